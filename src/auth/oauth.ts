/**
 * An `OAuthClientProvider` (the SDK's interface for the authorization-code flow with PKCE) whose
 * state lives in a `TokenStore`, one record per server URL. When a server needs the user, berth
 * hands the authorization URL to `onAuthorizationUrl`; the application opens it, receives the
 * redirect, and calls `host.finishAuth(server, code)`. Tokens are then saved, refreshed by the SDK,
 * and reused by every later session and process. The discovery state (which authorization server
 * the flow went to) is kept with the verifier, so the SDK checks that the code is exchanged where it
 * was issued (SEP-2352), and what the SDK finds no longer valid is dropped from the store.
 */
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import type { AuthRecord, TokenStore } from './store.js';

/** How berth's stored OAuth provider behaves. */
export interface StoredOAuthOptions {
  /** Where state persists. */
  store: TokenStore;
  /** The record key: the server's URL. */
  key: string;
  /** Where the authorization server sends the user back (your app's callback, e.g. a loopback URL). */
  redirectUrl: string;
  /** Shown to the user and sent at dynamic client registration. */
  clientName?: string;
  scope?: string;
  /** A pre-registered client, instead of dynamic registration. */
  client?: { clientId: string; clientSecret?: string };
  /** Called with the URL the user must open to authorize. */
  onAuthorizationUrl: (url: URL) => void | Promise<void>;
}

/** Builds a provider whose registrations, tokens and verifier persist in `options.store`. */
export function storedOAuthProvider(options: StoredOAuthOptions): OAuthClientProvider {
  const { store, key } = options;
  const update = async (patch: Partial<AuthRecord>) =>
    store.save(key, { ...(await store.load(key)), ...patch });
  const metadata: OAuthClientMetadata = {
    client_name: options.clientName ?? 'berth',
    redirect_uris: [options.redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: options.client?.clientSecret ? 'client_secret_basic' : 'none',
    ...(options.scope && { scope: options.scope }),
  };
  return {
    get redirectUrl() {
      return options.redirectUrl;
    },
    get clientMetadata() {
      return metadata;
    },
    async clientInformation(): Promise<StoredOAuthClientInformation | undefined> {
      if (options.client) {
        return { client_id: options.client.clientId, client_secret: options.client.clientSecret };
      }
      return (await store.load(key))?.clientInformation;
    },
    saveClientInformation: (clientInformation: StoredOAuthClientInformation) => update({ clientInformation }),
    tokens: async (): Promise<StoredOAuthTokens | undefined> => (await store.load(key))?.tokens,
    saveTokens: (tokens: StoredOAuthTokens) => update({ tokens }),
    redirectToAuthorization: (url: URL) => options.onAuthorizationUrl(url),
    saveCodeVerifier: (codeVerifier: string) => update({ codeVerifier }),
    async codeVerifier(): Promise<string> {
      const verifier = (await store.load(key))?.codeVerifier;
      if (!verifier) throw new Error(`berth: no PKCE code verifier saved for ${key}`);
      return verifier;
    },
    saveDiscoveryState: (discoveryState: OAuthDiscoveryState) => update({ discoveryState }),
    discoveryState: async (): Promise<OAuthDiscoveryState | undefined> =>
      (await store.load(key))?.discoveryState,
    // What the SDK (or berth, for discovery: a refused token) finds no longer valid. A client
    // configured in the entry is not the store's to drop: it is read from the options, not the record.
    async invalidateCredentials(
      scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery',
    ): Promise<void> {
      const record = await store.load(key);
      if (!record) return;
      const all = scope === 'all';
      const kept: AuthRecord = { ...record };
      if (all || scope === 'client') delete kept.clientInformation;
      if (all || scope === 'tokens') delete kept.tokens;
      if (all || scope === 'verifier') delete kept.codeVerifier;
      if (all || scope === 'discovery') delete kept.discoveryState;
      await store.save(key, kept);
    },
  };
}
