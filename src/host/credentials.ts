/**
 * Credentials for remote servers: turns a config entry's `auth` (bearer, client credentials, OAuth
 * code flow) or the host's `authProvider` into the SDK provider its sessions use, made when the
 * server's first session opens (so a host that opens none never loads the SDK for it), once per
 * server. It owns the one token store the host's OAuth entries share, created when the first such
 * entry needs it.
 */
import type { AuthProvider, OAuthClientProvider } from '@modelcontextprotocol/client';
import { storedOAuthProvider } from '../auth/oauth.js';
import { FileTokenStore, type TokenStore } from '../auth/store.js';
import type { ServerSpec } from '../config/types.js';
import type { HostOptions } from './options.js';
import type { AuthSource } from '../session/owner.js';
import { mcpSdk } from './sdk.js';

/** Resolves each server's credentials from its entry and the host's options. */
export class Credentials {
  readonly #authProvider: HostOptions['authProvider'];
  readonly #oauth: HostOptions['oauth'];
  #tokenStore: TokenStore | undefined;

  constructor(options: Pick<HostOptions, 'authProvider' | 'oauth'>) {
    this.#authProvider = options.authProvider;
    this.#oauth = options.oauth;
  }

  /**
   * Where a remote server's credentials come from (its config entry's `auth`, or the host's provider),
   * or undefined for none. Asked more than once, the source gives the same provider.
   */
  for(spec: ServerSpec): AuthSource | undefined {
    if (spec.transport === 'stdio') return undefined;
    if (!spec.auth && !this.#authProvider) return undefined;
    // One provider for all the server's sessions; a failure to make one is not kept (the next open asks again).
    let made: Promise<AuthProvider | OAuthClientProvider | undefined> | undefined;
    return () =>
      (made ??= this.#make(spec).catch((error: unknown) => {
        made = undefined;
        throw error;
      }));
  }

  async #make(
    spec: ServerSpec & { transport: 'http' | 'sse' },
  ): Promise<AuthProvider | OAuthClientProvider | undefined> {
    const { auth } = spec;
    if (auth?.type === 'bearer') return { token: async () => auth.token };
    if (auth?.type === 'client_credentials') {
      const { ClientCredentialsProvider } = mcpSdk.loaded ?? (await mcpSdk.load());
      return new ClientCredentialsProvider({
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        scope: auth.scope,
      });
    }
    const oauth = this.#oauth;
    if (auth?.type === 'oauth' && oauth) {
      this.#tokenStore ??= oauth.store ?? new FileTokenStore();
      return storedOAuthProvider({
        store: this.#tokenStore,
        key: spec.url,
        redirectUrl: oauth.redirectUrl,
        clientName: oauth.clientName,
        scope: auth.scope,
        ...(auth.clientId && { client: { clientId: auth.clientId, clientSecret: auth.clientSecret } }),
        onAuthorizationUrl: (url) => oauth.onAuthorizationUrl(spec.name, url),
      });
    }
    return this.#authProvider?.(spec.name);
  }
}
