/**
 * Credentials for remote servers: turns a config entry's `auth` (bearer, client credentials, OAuth
 * code flow) or the host's `authProvider` into the SDK provider its sessions use. It owns the one
 * token store the host's OAuth entries share, created when the first such entry needs it.
 */
import {
  ClientCredentialsProvider,
  type AuthProvider,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';
import { storedOAuthProvider } from '../auth/oauth.js';
import { FileTokenStore, type TokenStore } from '../auth/store.js';
import type { ServerSpec } from '../config/types.js';
import type { HostOptions } from './options.js';

/** Resolves each server's credentials from its entry and the host's options. */
export class Credentials {
  readonly #authProvider: HostOptions['authProvider'];
  readonly #oauth: HostOptions['oauth'];
  #tokenStore: TokenStore | undefined;

  constructor(options: Pick<HostOptions, 'authProvider' | 'oauth'>) {
    this.#authProvider = options.authProvider;
    this.#oauth = options.oauth;
  }

  /** The credentials of a remote server: its config entry's `auth`, or the host's provider. */
  for(spec: ServerSpec): AuthProvider | OAuthClientProvider | undefined {
    if (spec.transport === 'stdio') return undefined;
    const { auth } = spec;
    if (auth?.type === 'bearer') return { token: async () => auth.token };
    if (auth?.type === 'client_credentials') {
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
