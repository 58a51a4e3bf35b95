/**
 * PLACEHOLDER (replaced by the full module): the gateway's authentication, no auth and bearer tokens.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { GatewayAuthSpec } from '../config/gateway.js';

/** Who made a request. */
export interface Principal {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly authInfo?: AuthInfo;
}

/** The gateway's authentication. */
export interface Authenticator {
  authenticate(request: Request): Promise<Principal | Response>;
  metadata(request: Request): Response | undefined;
  close(): void;
}

/** Builds the authenticator. */
export function createAuthenticator(auth: GatewayAuthSpec | undefined, _resource: URL): Authenticator {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const tokens =
    auth?.type === 'tokens' ? Object.entries(auth.tokens).map(([name, t]) => [name, digest(t)] as const) : [];
  return {
    authenticate: async (request) => {
      if (!auth) return { name: 'anonymous', scopes: [] };
      const header = request.headers.get('authorization') ?? '';
      const match = /^Bearer (.+)$/i.exec(header);
      if (match) {
        const given = digest(match[1]!);
        let found: string | undefined;
        for (const [name, token] of tokens) if (timingSafeEqual(given, token)) found = name;
        if (found) return { name: found, scopes: [] };
      }
      return new Response(JSON.stringify({ error: 'unauthorized' }), {
        status: 401,
        headers: { 'www-authenticate': 'Bearer', 'content-type': 'application/json' },
      });
    },
    metadata: () => undefined,
    close: () => undefined,
  };
}

/** Whether OAuth tool scopes let a principal see a tool (placeholder: always). */
export function toolScopesAllow(
  _auth: GatewayAuthSpec | undefined,
  _principal: Principal,
  _name: string,
): boolean {
  return true;
}
