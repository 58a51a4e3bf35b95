/**
 * An OAuth code flow against a real protected MCP server and its authorization servers
 * (fixtures/oauth-server.mjs), through a provider that caches discovery, as the SDK recommends: an
 * application's, and berth's own (an entry's `auth: { type: 'oauth' }`), which keeps it in the token
 * store with the flow. When the resource moves to another authorization server (SEP-2352), the token
 * it refuses makes berth drop the cached discovery, so the next authorization goes to the new server
 * with a registration of its own, never with the old server's client.
 */
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  OAuthTokens,
} from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHost, MemoryTokenStore, ServerError, type Host } from '../../src/index.js';
import { text, startHttpFixture, type HttpFixture } from '../helpers.js';

const REDIRECT = 'http://127.0.0.1:1/callback';

/** An in-memory code-flow client that keeps everything the SDK hands it, discovery included. */
class CachingProvider implements OAuthClientProvider {
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';
  #discovery: OAuthDiscoveryState | undefined;
  /** Authorization URLs the SDK asked the user agent to open, in order. */
  readonly authorizations: URL[] = [];
  readonly redirectUrl = REDIRECT;
  readonly clientMetadata: OAuthClientMetadata = { client_name: 'berth test', redirect_uris: [REDIRECT] };
  clientInformation = () => this.#client;
  saveClientInformation = (info: OAuthClientInformationMixed) => void (this.#client = info);
  tokens = () => this.#tokens;
  saveTokens = (tokens: OAuthTokens) => void (this.#tokens = tokens);
  redirectToAuthorization = (url: URL) => void this.authorizations.push(url);
  saveCodeVerifier = (verifier: string) => void (this.#verifier = verifier);
  codeVerifier = () => this.#verifier;
  saveDiscoveryState = (state: OAuthDiscoveryState) => void (this.#discovery = state);
  discoveryState = () => this.#discovery;
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#verifier = '';
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
  }
}

/** Plays the user agent: opens the authorization URL and returns the callback query it redirects to. */
async function approve(url: URL | undefined): Promise<URLSearchParams> {
  if (!url) throw new Error('no authorization was requested');
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (!location) throw new Error(`the authorization endpoint answered ${response.status}`);
  return new URL(location).searchParams;
}

describe('authorization-server migration (SEP-2352)', () => {
  let server: HttpFixture;

  // A fresh set of servers per test: the move is one-way.
  beforeEach(async () => {
    server = await startHttpFixture('oauth-server.mjs');
  });
  afterEach(() => server.stop());

  const events = async () =>
    (await (await fetch(`${server.origin}/log`)).json()) as { as: string; event: string; clientId: string }[];

  it('a token refused after the move sends the next authorization to the new server, newly registered', async () => {
    const provider = new CachingProvider();
    let host: Host | undefined;
    try {
      host = await createHost(
        { mcpServers: { api: { url: `${server.origin}/mcp` } } },
        { authProvider: (name) => (name === 'api' ? provider : undefined) },
      );
      expect(host.status()[0]?.state).toBe('unauthorized');
      await host.finishAuth('api', await approve(provider.authorizations[0]));
      expect(host.status()[0]?.state).toBe('ready');
      expect(text(await host.callTool('api__whoami'))).toBe('as1');

      await fetch(`${server.origin}/migrate`, { method: 'POST' });
      // The live session's token is refused: the call fails, having begun a new authorization.
      const refused = host.callTool('api__whoami');
      await expect(refused).rejects.toBeInstanceOf(ServerError);
      await expect(refused).rejects.toMatchObject({ needsAuthorization: true });
      expect(provider.authorizations).toHaveLength(2);
      expect(provider.authorizations[1]!.href).toContain(`${server.origin}/as2/authorize`);

      await host.finishAuth('api', await approve(provider.authorizations[1]));
      expect(text(await host.callTool('api__whoami'))).toBe('as2');
      const log = await events();
      const as1Client = log.find((e) => e.as === 'as1' && e.event === 'register')?.clientId;
      expect(log.filter((e) => e.as === 'as2' && e.event === 'register')).toHaveLength(1);
      expect(log.filter((e) => e.as === 'as2' && e.clientId === as1Client)).toEqual([]);
    } finally {
      await host?.close();
    }
  });

  it('berth’s own OAuth entry keeps the discovery with the flow: the code goes where it was issued, and moves too', async () => {
    const store = new MemoryTokenStore();
    const opened: URL[] = [];
    const warnings: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    });
    const url = `${server.origin}/mcp`;
    let host: Host | undefined;
    try {
      host = await createHost(
        { mcpServers: { api: { url, auth: { type: 'oauth' } } } },
        {
          oauth: { redirectUrl: REDIRECT, store, onAuthorizationUrl: (_server, at) => void opened.push(at) },
        },
      );
      expect(host.status()[0]?.state).toBe('unauthorized');
      // Kept with the verifier, for the callback leg.
      expect((await store.load(url))?.discoveryState?.authorizationServerUrl).toBe(`${server.origin}/as1`);
      await host.finishAuth('api', await approve(opened[0]));
      expect(text(await host.callTool('api__whoami'))).toBe('as1');
      // The SDK checked the exchange against the recorded authorization server: no warning that it could not.
      expect(warnings.filter((w) => /SEP-2352|saveDiscoveryState/.test(w))).toEqual([]);

      await fetch(`${server.origin}/migrate`, { method: 'POST' });
      await expect(host.callTool('api__whoami')).rejects.toMatchObject({ needsAuthorization: true });
      expect(opened.at(-1)?.href).toContain(`${server.origin}/as2/authorize`);
      await host.finishAuth('api', await approve(opened.at(-1)));
      expect(text(await host.callTool('api__whoami'))).toBe('as2');
      expect((await store.load(url))?.tokens?.access_token).toMatch(/^as2-token-/);
    } finally {
      warn.mockRestore();
      await host?.close();
    }
  });
});
