/**
 * Authorization-server migration (SEP-2352) for OAuth providers that cache discovery. The SDK reuses
 * a provider's `discoveryState()` for every later authorization and never reads the server's
 * protected resource metadata again, so after the resource moves to another authorization server it
 * would keep sending the user to the old one. It leaves noticing that to the host ("Hosts should call
 * `invalidateCredentials('discovery')` on repeated 401s"). berth does it where a refused token first
 * shows, before the SDK's own 401 handling runs: in the fetch of the server's transport.
 */
import {
  isDpopNonceChallenge,
  type AuthProvider,
  type FetchLike,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';
import { emitWarning } from 'node:process';

/** True for an OAuth client provider (as the SDK tells them apart from a bare token source). */
export function isOAuthProvider(
  provider: AuthProvider | OAuthClientProvider,
): provider is OAuthClientProvider {
  const candidate = provider as Partial<OAuthClientProvider>;
  return typeof candidate.tokens === 'function' && typeof candidate.clientInformation === 'function';
}

/**
 * Wraps the fetch a remote server's transport uses: when a request to the server (`serverUrl`'s
 * origin) that presented an access token (`Bearer` or `DPoP`) is answered 401, the provider's cached
 * discovery is dropped (`invalidateCredentials('discovery')`) before the SDK sees the 401, so the
 * authorization it then starts reads the resource metadata afresh and finds the server's current
 * authorization server (whose issuer no longer matches the stored client and tokens, which the SDK
 * then leaves unused). A 401 for a missing token, and a DPoP nonce challenge (answered by the SDK
 * with a new proof, not a new authorization), leave the cache alone, as does a 403 step-up.
 *
 * A provider without `invalidateCredentials` gets the fetch unchanged. If dropping the cache fails,
 * berth warns and lets the SDK handle the 401 as it would have.
 */
export function forgetDiscoveryOnRefusedToken(
  fetchImpl: FetchLike,
  serverUrl: URL,
  provider: OAuthClientProvider,
): FetchLike {
  if (typeof provider.invalidateCredentials !== 'function') return fetchImpl;
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (
      response.status === 401 &&
      new URL(input).origin === serverUrl.origin &&
      presentedToken(init) &&
      !isDpopNonceChallenge(response)
    ) {
      try {
        await provider.invalidateCredentials?.('discovery');
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        emitWarning(
          `${serverUrl.origin}: the OAuth provider could not drop its cached discovery: ${message}`,
          'BerthWarning',
        );
      }
    }
    return response;
  };
}

/** Whether the request carried an access token (`Authorization: Bearer …` or `DPoP …`). */
function presentedToken(init: RequestInit | undefined): boolean {
  const authorization = new Headers(init?.headers).get('authorization') ?? '';
  return /^(bearer|dpop)\s/i.test(authorization);
}
