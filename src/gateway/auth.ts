/**
 * The gateway's authentication: who made a request, or the HTTP answer refusing it. It owns the
 * three modes of `gateway.auth` (none, static bearer tokens, OAuth 2.1 resource server), the
 * `WWW-Authenticate` challenges, the RFC 9728 protected-resource metadata document, the issuer's
 * key set (cached by jose; released by `close()`), and the scope → tool visibility rule.
 *
 * Choices worth knowing:
 * - A request's credentials come from one `Authorization: Bearer <token>` header only (case-
 *   insensitive scheme, one space, an RFC 7235 token68 value, at most {@link MAX_AUTHORIZATION_LENGTH}
 *   characters). Anything else, including two Authorization headers (which `Headers` joins with
 *   ", "), is refused with 401 `invalid_token`; no request can make `authenticate` throw.
 * - Static tokens are compared in constant time: both sides are hashed (SHA-256) and every
 *   configured token is compared with `timingSafeEqual`, with no early exit.
 * - OAuth tokens are JWTs verified by jose against the issuer's remote JWKS: signature with an
 *   asymmetric algorithm only ({@link JWT_ALGORITHMS}; never `none` or HMAC, so a public key cannot be
 *   used as an HMAC secret), `iss`, `aud`, `exp` required, `nbf` honoured with a clock tolerance of
 *   {@link CLOCK_TOLERANCE_S} seconds (an issuer whose clock runs a little ahead of ours still
 *   works). `exp` gets no tolerance: the SDK's `verifyBearerToken`, which then enforces required
 *   scopes and expiry, compares it with our clock exactly. `sub` is required (it is the principal).
 *   The SDK's challenge responses (401 / 403 `insufficient_scope`) are used as they are.
 * - When the issuer's keys cannot be fetched (issuer down, non-200, bad key set), the answer is
 *   503 with `Retry-After`, not 401: the client's token may be fine and a 401 would send it to get
 *   a new one for nothing. While fetching fails, fetches are retried at most every
 *   {@link JWKS_RETRY_AFTER_S} seconds (requests in between get 503 at once), so a down issuer is
 *   not hammered and requests do not each wait on it. Keys already cached keep working until
 *   jose's cache age (10 minutes) runs out. A token naming an unknown key refetches the set at
 *   most once per 30 s (jose's cooldown), which is how key rotation is picked up.
 * - Tokens never leave this module: not in errors, responses or logs, and not in the `AuthInfo`
 *   handed to the SDK's handlers, whose required `token` field carries {@link REDACTED_TOKEN}
 *   (the gateway never forwards client credentials upstream, so nothing needs the raw token).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  OAuthError,
  OAuthErrorCode,
  bearerAuthChallengeResponse,
  getOAuthProtectedResourceMetadataUrl,
  verifyBearerToken,
  type AuthInfo,
  type OAuthProtectedResourceMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import {
  createRemoteJWKSet,
  customFetch,
  jwtVerify,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTPayload,
} from 'jose';
import { wildcardMatcher } from '../catalog/wildcard.js';
import type { GatewayAuthSpec, OAuthAuthSpec, TokenAuthSpec } from '../config/gateway.js';
import { ConfigError } from '../errors.js';
import { jsonPath } from '../util/json.js';

/** Who made a request. */
export interface Principal {
  /** The principal's name: the token's name in `gateway.auth.tokens`, the JWT's `sub`, or 'anonymous' without auth. */
  readonly name: string;
  /** The scopes it holds (OAuth), empty for tokens / no auth. */
  readonly scopes: readonly string[];
  /** What the SDK's handlers receive as `ctx.http.authInfo` (never carries a raw token onward). */
  readonly authInfo?: AuthInfo;
}

/** The gateway's authentication: one per gateway, built from its config. */
export interface Authenticator {
  /** The principal behind a request, or the response refusing it: 401 with WWW-Authenticate (pointing at the resource metadata in OAuth mode), 403 insufficient_scope. Never throws for bad input. */
  authenticate(request: Request): Promise<Principal | Response>;
  /**
   * In OAuth mode, the RFC 9728 protected-resource metadata response for a GET of its well-known URL
   * (`/.well-known/oauth-protected-resource/mcp` for an endpoint at `/mcp`, per RFC 9728 path
   * insertion); undefined for any other path and in other modes. On that path HEAD is answered
   * too, OPTIONS gets a CORS preflight answer (the document is public), and other methods 405.
   */
  metadata(request: Request): Response | undefined;
  /** Releases what it holds (the JWKS cache, an in-flight key fetch). Later requests get 503. */
  close(): void;
}

/** The principal of every request when the gateway has no auth configured. */
export const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', scopes: Object.freeze([]) });

/** What `AuthInfo.token` (a field the SDK's type requires) holds instead of the client's token. */
export const REDACTED_TOKEN = '[redacted]';

/** The longest `Authorization` header value looked at; longer ones are refused unread. */
export const MAX_AUTHORIZATION_LENGTH = 16 * 1024;

/** Seconds of clock skew allowed between the issuer and the gateway for `nbf` (and jose's `iat` check). */
export const CLOCK_TOLERANCE_S = 30;

/** How long (seconds) to answer 503 without refetching after the issuer's keys could not be fetched. */
export const JWKS_RETRY_AFTER_S = 10;

/** The JWS algorithms accepted for access tokens: asymmetric ones only. */
export const JWT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

/** How long one fetch of the key set may take, in milliseconds. */
const JWKS_TIMEOUT_MS = 5_000;

/** RFC 7235 token68: the only shape a bearer token can have in the header. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** `<file>` of the config errors raised here: the section, since the file is not known here. */
const SECTION = '<gateway>';

/**
 * Builds a gateway's authentication from its `gateway.auth` (undefined: every request is
 * {@link ANONYMOUS}). `resource` is the gateway endpoint's full URL (e.g. http://127.0.0.1:7077/mcp).
 * Throws `ConfigError` for a config it cannot honour safely: a token a bearer header cannot carry,
 * or an issuer / JWKS URL that is not https (plain http is allowed on loopback only).
 */
export function createAuthenticator(auth: GatewayAuthSpec | undefined, resource: URL): Authenticator {
  if (auth === undefined) return anonymousAuthenticator();
  if (auth.type === 'tokens') return tokenAuthenticator(auth);
  return oauthAuthenticator(auth, resource);
}

/**
 * Whether a principal may see (and call) a tool: true when no `toolScopes` are configured; else a
 * tool is visible iff one of the principal's scopes lists a pattern (`*` wildcards) matching its
 * catalog name. A `toolScopes` that is set but empty hides every tool.
 */
export function toolScopesAllow(
  auth: GatewayAuthSpec | undefined,
  principal: Principal,
  catalogName: string,
): boolean {
  if (auth?.type !== 'oauth' || auth.toolScopes === undefined) return true;
  const table = scopeMatchers(auth.toolScopes);
  return principal.scopes.some((scope) => table.get(scope)?.(catalogName) ?? false);
}

const matcherCache = new WeakMap<Record<string, string[]>, Map<string, (name: string) => boolean>>();

/** The compiled patterns of a `toolScopes` table (a Map: a scope named `constructor` is just a name). */
function scopeMatchers(toolScopes: Record<string, string[]>): Map<string, (name: string) => boolean> {
  let table = matcherCache.get(toolScopes);
  if (!table) {
    table = new Map(
      Object.entries(toolScopes).map(([scope, patterns]) => [scope, wildcardMatcher(patterns)]),
    );
    matcherCache.set(toolScopes, table);
  }
  return table;
}

function anonymousAuthenticator(): Authenticator {
  return {
    authenticate: async () => ANONYMOUS,
    metadata: () => undefined,
    close: () => {},
  };
}

/** What the `Authorization` header holds: nothing, a bearer token, or something unusable. */
type Credentials = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'malformed' };

function credentialsOf(request: Request): Credentials {
  const value = request.headers.get('authorization');
  if (value === null) return { kind: 'none' };
  if (value.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed' };
  const match = BEARER.exec(value);
  return match?.[1] ? { kind: 'bearer', token: match[1] } : { kind: 'malformed' };
}

const MALFORMED = 'expected one header "Authorization: Bearer <token>"';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function tokenAuthenticator(auth: TokenAuthSpec): Authenticator {
  const entries = Object.entries(auth.tokens).map(([name, token]) => {
    if (!TOKEN68.test(token)) {
      throw new ConfigError([
        {
          file: SECTION,
          path: jsonPath(['gateway', 'auth', 'tokens', name]),
          message:
            'expected a token of letters, digits and -._~+/ only (a bearer header cannot carry other characters); generate one with `openssl rand -hex 32`',
        },
      ]);
    }
    return { name, digest: sha256(token) };
  });
  const refuse = (error?: string) => {
    const params: [string, string][] = [['realm', 'berth']];
    if (error) params.push(['error', 'invalid_token'], ['error_description', error]);
    return challenge(401, params, {
      error: error ? 'invalid_token' : 'unauthorized',
      error_description: error ?? 'this gateway needs "Authorization: Bearer <token>"',
    });
  };
  return {
    async authenticate(request) {
      const credentials = credentialsOf(request);
      if (credentials.kind === 'none') return refuse();
      if (credentials.kind === 'malformed') return refuse(MALFORMED);
      const presented = sha256(credentials.token);
      let matched: string | undefined;
      for (const entry of entries) {
        // Every entry is compared, whatever matched before: the time taken says nothing of which.
        const equal = timingSafeEqual(presented, entry.digest);
        matched = equal ? entry.name : matched;
      }
      if (matched === undefined) return refuse('the token is not valid for this gateway');
      const authInfo: AuthInfo = {
        token: REDACTED_TOKEN,
        clientId: matched,
        scopes: [],
        extra: { principal: matched },
      };
      return { name: matched, scopes: [], authInfo };
    },
    metadata: () => undefined,
    close: () => {},
  };
}

/** The issuer's keys could not be had; the client cannot fix that, so it is a 503, not a 401. */
class KeysUnavailable extends Error {
  constructor(
    readonly retryAfterS: number,
    options?: { cause?: unknown },
  ) {
    super("the authorization server's signing keys could not be fetched", options);
  }
}

/** jose errors of the token itself (from the key lookup), as opposed to the key source failing. */
const TOKEN_KEY_FAULTS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A fixed description per jose failure: nothing from the token is ever echoed. */
function describeJoseFailure(error: unknown): string {
  switch (errorCode(error)) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: unknown }).claim;
      return ['iss', 'aud', 'nbf', 'exp', 'iat', 'sub'].includes(String(claim))
        ? `the token's "${String(claim)}" claim is missing or not accepted here`
        : 'the token has a claim that is not accepted here';
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'the token is signed with an algorithm that is not accepted';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return "no single key of the issuer's key set matches the token";
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is not valid';
    default:
      return 'the token is not a valid JWT';
  }
}

/** The `scope` (space-separated) and `scp` (array, or space-separated) claims, or undefined when malformed. */
function scopesOf(payload: JWTPayload): string[] | undefined {
  const scopes = new Set<string>();
  for (const claim of [payload.scope, payload.scp]) {
    if (claim === undefined) continue;
    let list: unknown[];
    if (typeof claim === 'string') list = claim.split(' ');
    else if (Array.isArray(claim)) list = claim;
    else return undefined;
    for (const scope of list) {
      if (typeof scope !== 'string') return undefined;
      if (scope !== '') scopes.add(scope);
    }
  }
  return [...scopes];
}

function checkKeySourceUrl(field: 'issuer' | 'jwksUrl', text: string): URL {
  const problem = (message: string) =>
    new ConfigError([{ file: SECTION, path: jsonPath(['gateway', 'auth', 'oauth', field]), message }]);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw problem(`expected an https URL, got ${JSON.stringify(text)}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || /^127\./.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw problem(
      `expected an https URL (plain http only on loopback: the signing keys must not be open to tampering), got ${JSON.stringify(text)}`,
    );
  if (field === 'issuer' && (url.search || url.hash))
    throw problem(`expected an issuer URL without query or fragment, got ${JSON.stringify(text)}`);
  return url;
}

function oauthAuthenticator(auth: OAuthAuthSpec, resource: URL): Authenticator {
  checkKeySourceUrl('issuer', auth.issuer);
  const jwksUrl = checkKeySourceUrl('jwksUrl', auth.jwksUrl);
  const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(resource);
  const metadataPath = new URL(resourceMetadataUrl).pathname;
  const scopesSupported = [...new Set([...auth.requiredScopes, ...Object.keys(auth.toolScopes ?? {})])];
  const document: OAuthProtectedResourceMetadata = {
    resource: resource.href,
    authorization_servers: [auth.issuer],
    ...(scopesSupported.length > 0 && { scopes_supported: scopesSupported }),
    bearer_methods_supported: ['header'],
  };

  const closing = new AbortController();
  let retryAt = 0; // while fetching the keys fails: when the next fetch may be tried (ms epoch)
  const keys = createRemoteJWKSet(jwksUrl, {
    timeoutDuration: JWKS_TIMEOUT_MS,
    [customFetch]: async (url: string, init: RequestInit) => {
      if (closing.signal.aborted) throw new KeysUnavailable(JWKS_RETRY_AFTER_S);
      const wait = Math.ceil((retryAt - Date.now()) / 1000);
      if (wait > 0) throw new KeysUnavailable(wait);
      const signal = init.signal ? AbortSignal.any([init.signal, closing.signal]) : closing.signal;
      return fetch(url, { ...init, signal });
    },
  });
  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    try {
      return await keys(header, token);
    } catch (error) {
      if (TOKEN_KEY_FAULTS.has(errorCode(error) ?? '')) throw error;
      if (error instanceof KeysUnavailable) throw error;
      retryAt = Date.now() + JWKS_RETRY_AFTER_S * 1000;
      throw new KeysUnavailable(JWKS_RETRY_AFTER_S, { cause: error });
    }
  };

  const verifier: OAuthTokenVerifier = {
    async verifyAccessToken(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: auth.issuer,
          audience: auth.audience,
          algorithms: [...JWT_ALGORITHMS],
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (error) {
        if (error instanceof KeysUnavailable) throw error;
        throw new OAuthError(OAuthErrorCode.InvalidToken, describeJoseFailure(error));
      }
      const { sub } = payload;
      if (typeof sub !== 'string' || sub === '')
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'the token has no subject ("sub")');
      const scopes = scopesOf(payload);
      if (scopes === undefined)
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'the token\'s "scope" or "scp" claim is malformed');
      const clientId = [payload.client_id, payload.azp].find(
        (c): c is string => typeof c === 'string' && c !== '',
      );
      return {
        token: REDACTED_TOKEN,
        clientId: clientId ?? sub,
        scopes,
        ...(payload.exp !== undefined && { expiresAt: payload.exp }),
        extra: { principal: sub },
      };
    },
  };

  const options = { requiredScopes: auth.requiredScopes, resourceMetadataUrl };
  const refuse = (description: string) =>
    bearerAuthChallengeResponse(new OAuthError(OAuthErrorCode.InvalidToken, description), options);
  const unavailable = (retryAfterS: number) =>
    Response.json(
      {
        error: OAuthErrorCode.TemporarilyUnavailable,
        error_description: "the authorization server's signing keys could not be fetched; try again later",
      },
      { status: 503, headers: { 'Retry-After': String(retryAfterS) } },
    );

  return {
    async authenticate(request) {
      const credentials = credentialsOf(request);
      if (credentials.kind === 'none') {
        const params: [string, string][] = [['resource_metadata', resourceMetadataUrl]];
        if (auth.requiredScopes.length > 0) params.push(['scope', auth.requiredScopes.join(' ')]);
        return challenge(401, params, {
          error: 'unauthorized',
          error_description: 'this gateway needs "Authorization: Bearer <token>" (an OAuth access token)',
        });
      }
      if (credentials.kind === 'malformed') return refuse(MALFORMED);
      if (closing.signal.aborted) return unavailable(JWKS_RETRY_AFTER_S);
      try {
        const authInfo = await verifyBearerToken(`Bearer ${credentials.token}`, { verifier, ...options });
        const name = authInfo.extra?.principal;
        if (typeof name !== 'string') return bearerAuthChallengeResponse(undefined, options); // cannot happen: 500
        return { name, scopes: authInfo.scopes, authInfo };
      } catch (error) {
        if (error instanceof KeysUnavailable) return unavailable(error.retryAfterS);
        return bearerAuthChallengeResponse(error, options);
      }
    },
    metadata(request) {
      const path = new URL(request.url).pathname;
      if (path !== metadataPath && path !== `${metadataPath}/`) return undefined;
      return metadataResponse(request, document);
    },
    close() {
      closing.abort();
    },
  };
}

/** A `WWW-Authenticate: Bearer …` answer, values quoted as the SDK quotes them. */
function challenge(status: number, params: [string, string][], body: Record<string, string>): Response {
  const quoted = params.map(
    ([key, value]) => `${key}="${value.replaceAll(/[\\"]/g, '\\$&').replaceAll(/[^\u0020-\u007E]/g, ' ')}"`,
  );
  return Response.json(body, { status, headers: { 'WWW-Authenticate': `Bearer ${quoted.join(', ')}` } });
}

const METADATA_METHODS = 'GET, HEAD, OPTIONS';

function metadataResponse(request: Request, document: OAuthProtectedResourceMetadata): Response {
  const cors = { 'Access-Control-Allow-Origin': '*' };
  switch (request.method) {
    case 'GET':
      return Response.json(document, { headers: cors });
    case 'HEAD':
      return new Response(null, { headers: { ...cors, 'Content-Type': 'application/json' } });
    case 'OPTIONS':
      return new Response(null, {
        status: 204,
        headers: { ...cors, 'Access-Control-Allow-Methods': METADATA_METHODS },
      });
    default:
      return Response.json(
        {
          error: OAuthErrorCode.MethodNotAllowed,
          error_description: `${request.method} is not allowed here`,
        },
        { status: 405, headers: { ...cors, Allow: METADATA_METHODS } },
      );
  }
}
