/**
 * The gateway's authentication, attacked: static bearer tokens (missing, wrong, another principal's,
 * malformed, duplicated, huge headers) and OAuth resource-server mode with real JWTs signed by jose
 * with generated keys and served from a real JWKS HTTP server (forged, wrong audience or issuer,
 * expired, not yet valid, `alg: none`, HS256 with the public key as secret, no subject, missing
 * scopes, the issuer down, key rotation), the RFC 9728 metadata document, and tool scopes.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SignJWT,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayAuthSpec, OAuthAuthSpec } from '../../src/config/gateway.js';
import { ConfigError } from '../../src/errors.js';
import {
  ANONYMOUS,
  JWKS_RETRY_AFTER_S,
  REDACTED_TOKEN,
  createAuthenticator,
  toolScopesAllow,
  type Authenticator,
  type Principal,
} from '../../src/gateway/auth.js';
import { waitFor } from '../helpers.js';

const RESOURCE = new URL('http://127.0.0.1:7077/mcp');
const METADATA_URL = 'http://127.0.0.1:7077/.well-known/oauth-protected-resource/mcp';
const ALICE = 'a1'.repeat(16);
const BOB = 'b2'.repeat(16);

const open: Authenticator[] = [];
function authenticator(auth: GatewayAuthSpec | undefined, resource = RESOURCE): Authenticator {
  const created = createAuthenticator(auth, resource);
  open.push(created);
  return created;
}
afterEach(() => {
  for (const a of open.splice(0)) a.close();
  vi.useRealTimers();
});

function request(headers: [string, string][] | Record<string, string> = {}, url = RESOURCE.href): Request {
  return new Request(url, { method: 'POST', headers });
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function principal(result: Principal | Response): Principal {
  if (result instanceof Response) throw new Error(`expected a principal, got HTTP ${result.status}`);
  return result;
}

/** The refusal: its status, challenge and body, checked never to contain `secret`. */
async function refusal(result: Principal | Response, secret?: string) {
  if (!(result instanceof Response)) throw new Error(`expected a refusal, got principal ${result.name}`);
  const body = await result.text();
  const challenge = result.headers.get('www-authenticate') ?? '';
  if (secret) {
    expect(body).not.toContain(secret);
    expect(challenge).not.toContain(secret);
  }
  return {
    status: result.status,
    challenge,
    body: JSON.parse(body) as { error: string; error_description: string },
    retryAfter: result.headers.get('retry-after'),
  };
}

describe('no auth configured', () => {
  it('makes every request the anonymous principal, with no scopes and no metadata', async () => {
    const auth = authenticator(undefined);
    expect(await auth.authenticate(request())).toBe(ANONYMOUS);
    expect(await auth.authenticate(request(bearer(ALICE)))).toEqual({ name: 'anonymous', scopes: [] });
    expect(auth.metadata(new Request(METADATA_URL))).toBeUndefined();
  });
});

describe('tokens mode', () => {
  const spec: GatewayAuthSpec = { type: 'tokens', tokens: { alice: ALICE, bob: BOB } };

  it('refuses a request without a token: 401 with a bare Bearer challenge', async () => {
    const r = await refusal(await authenticator(spec).authenticate(request()));
    expect(r.status).toBe(401);
    expect(r.challenge).toBe('Bearer realm="berth"');
  });

  it('refuses a wrong token with invalid_token, never echoing it', async () => {
    const auth = authenticator(spec);
    for (const wrong of [
      'c3'.repeat(16),
      ALICE.slice(0, -1),
      `${ALICE}x`,
      ALICE.toUpperCase(),
      BOB + ALICE,
    ]) {
      const r = await refusal(await auth.authenticate(request(bearer(wrong))), wrong);
      expect(r.status).toBe(401);
      expect(r.challenge).toMatch(/^Bearer realm="berth", error="invalid_token", error_description="/);
      expect(r.body.error).toBe('invalid_token');
    }
  });

  it('names each principal by its own token, and only by it', async () => {
    const auth = authenticator(spec);
    const alice = principal(await auth.authenticate(request(bearer(ALICE))));
    const bob = principal(await auth.authenticate(request(bearer(BOB))));
    expect(alice).toMatchObject({ name: 'alice', scopes: [] });
    expect(bob).toMatchObject({ name: 'bob', scopes: [] });
    // The same tokens with the principals swapped in the config: the names follow the tokens.
    const swapped = authenticator({ type: 'tokens', tokens: { alice: BOB, bob: ALICE } });
    expect(principal(await swapped.authenticate(request(bearer(ALICE)))).name).toBe('bob');
  });

  it('hands the SDK an AuthInfo without the token', async () => {
    const alice = principal(await authenticator(spec).authenticate(request(bearer(ALICE))));
    expect(alice.authInfo).toEqual({
      token: REDACTED_TOKEN,
      clientId: 'alice',
      scopes: [],
      extra: { principal: 'alice' },
    });
    expect(JSON.stringify(alice)).not.toContain(ALICE);
  });

  it('takes the scheme case-insensitively', async () => {
    const auth = authenticator(spec);
    for (const scheme of ['bearer', 'BEARER', 'bEaReR'])
      expect(principal(await auth.authenticate(request({ authorization: `${scheme} ${ALICE}` }))).name).toBe(
        'alice',
      );
  });

  it('refuses malformed Authorization headers with 401, never a throw', async () => {
    const auth = authenticator(spec);
    const malformed = [
      'Bearer ',
      'Bearer',
      '',
      `Bearer  ${ALICE}`,
      `Bearer\t${ALICE}`,
      `Bearer ${ALICE} extra`,
      `Bearer ${ALICE},`,
      `Basic ${Buffer.from(`alice:${ALICE}`).toString('base64')}`,
      `Token ${ALICE}`,
      `${ALICE}`,
      'Bearer \u00e9t\u00e9',
    ];
    for (const value of malformed) {
      const r = await refusal(await auth.authenticate(request({ authorization: value })), ALICE);
      expect(r.status, JSON.stringify(value)).toBe(401);
      expect(r.challenge).toContain('realm="berth"');
    }
  });

  it('refuses two Authorization headers, even when both carry a valid token', async () => {
    const auth = authenticator(spec);
    for (const pair of [
      [ALICE, ALICE],
      [ALICE, BOB],
      ['wrong', ALICE],
    ]) {
      const headers: [string, string][] = pair.map((t) => ['authorization', `Bearer ${t}`]);
      const r = await refusal(await auth.authenticate(request(headers)));
      expect(r.status).toBe(401);
      expect(r.body.error_description).toContain('expected one header');
    }
  });

  it('refuses a 100 KB header unread', async () => {
    const auth = authenticator(spec);
    const huge = `Bearer ${ALICE}${'a'.repeat(100 * 1024)}`;
    const r = await refusal(await auth.authenticate(request({ authorization: huge })));
    expect(r.status).toBe(401);
    expect(r.body.error_description).toContain('expected one header');
  });

  it('refuses at creation a configured token a bearer header cannot carry', () => {
    expect(() =>
      createAuthenticator({ type: 'tokens', tokens: { eve: 'has spaces in it, and commas' } }, RESOURCE),
    ).toThrow(ConfigError);
    expect(() =>
      createAuthenticator({ type: 'tokens', tokens: { eve: 'has spaces in it, and commas' } }, RESOURCE),
    ).toThrow(/\$\.gateway\.auth\.tokens\.eve/);
  });

  it('serves no metadata document', () => {
    expect(authenticator(spec).metadata(new Request(METADATA_URL))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// OAuth resource-server mode, against a real JWKS server.

interface Issuer {
  url: string;
  /** The keys the server publishes. */
  keys: JWK[];
  /** The status it answers with. */
  status: number;
  /** When true, requests get no answer. */
  hang: boolean;
  fetches: number;
  server: Server;
  hanging: ServerResponse[];
}

async function startIssuer(): Promise<Issuer> {
  const issuer: Issuer = {
    url: '',
    keys: [],
    status: 200,
    hang: false,
    fetches: 0,
    server: createServer((req, res) => {
      issuer.fetches++;
      if (issuer.hang) return void issuer.hanging.push(res);
      res.writeHead(issuer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: issuer.keys }));
    }),
    hanging: [],
  };
  issuer.server.listen(0, '127.0.0.1');
  await once(issuer.server, 'listening');
  issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}`;
  return issuer;
}

async function stopIssuer(issuer: Issuer): Promise<void> {
  for (const res of issuer.hanging.splice(0)) res.destroy();
  issuer.server.closeAllConnections();
  await new Promise<void>((resolve) => issuer.server.close(() => resolve()));
}

interface KeyPair {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function keyPair(kid: string, alg: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('OAuth mode', () => {
  let issuer: Issuer;
  let rsa: KeyPair;
  let ec: KeyPair;
  let ed: KeyPair;
  let stranger: KeyPair; // never published
  let spec: OAuthAuthSpec;
  const AUDIENCE = RESOURCE.href;

  beforeAll(async () => {
    issuer = await startIssuer();
    [rsa, ec, ed, stranger] = await Promise.all([
      keyPair('rsa-1', 'RS256'),
      keyPair('ec-1', 'ES256'),
      keyPair('ed-1', 'EdDSA'),
      keyPair('rsa-1', 'RS256'), // the same kid as the published key: a forgery attempt
    ]);
  });
  afterAll(async () => {
    await stopIssuer(issuer);
  });
  beforeEach(() => {
    issuer.keys = [rsa.jwk, ec.jwk, ed.jwk];
    issuer.status = 200;
    issuer.hang = false;
    issuer.fetches = 0;
    spec = {
      type: 'oauth',
      issuer: issuer.url,
      audience: AUDIENCE,
      jwksUrl: `${issuer.url}/jwks`,
      requiredScopes: ['mcp'],
      toolScopes: { 'tools:read': ['fs__read*'], 'tools:all': ['*'] },
    };
  });

  /** A JWT from the issuer; a claim set to undefined is left out. */
  async function mint(claims: JWTPayload = {}, key: KeyPair = rsa, header: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: issuer.url,
      aud: AUDIENCE,
      sub: 'alice',
      scope: 'mcp tools:read',
      iat: now,
      exp: now + 3600,
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  async function refused(auth: Authenticator, token: string) {
    const r = await refusal(
      await auth.authenticate(request(bearer(token))),
      token.length > 8 ? token : undefined,
    );
    expect(r.status).toBe(401);
    expect(r.challenge).toContain('error="invalid_token"');
    expect(r.challenge).toContain(`resource_metadata="${METADATA_URL}"`);
    return r.body.error_description;
  }

  it('accepts a valid token: the principal is its subject, with its scopes', async () => {
    const auth = authenticator(spec);
    const token = await mint({ sub: 'alice@example.com', client_id: 'desktop-app' });
    const alice = principal(await auth.authenticate(request(bearer(token))));
    expect(alice.name).toBe('alice@example.com');
    expect(alice.scopes).toEqual(['mcp', 'tools:read']);
    expect(alice.authInfo).toMatchObject({
      token: REDACTED_TOKEN,
      clientId: 'desktop-app',
      scopes: ['mcp', 'tools:read'],
      resourceMetadataUrl: METADATA_URL,
      extra: { principal: 'alice@example.com' },
    });
    expect(alice.authInfo?.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(JSON.stringify(alice)).not.toContain(token);
    // ES256 and EdDSA keys of the same set work too; the key set was fetched once.
    for (const key of [ec, ed])
      expect(principal(await auth.authenticate(request(bearer(await mint({}, key))))).name).toBe('alice');
    expect(issuer.fetches).toBe(1);
  });

  it('reads scopes from "scp" as an array or a string, and refuses a malformed scope claim', async () => {
    const auth = authenticator(spec);
    const scp = await mint({ scope: undefined, scp: ['mcp', 'tools:all'] });
    expect(principal(await auth.authenticate(request(bearer(scp)))).scopes).toEqual(['mcp', 'tools:all']);
    const scpString = await mint({ scope: undefined, scp: 'mcp  tools:all' });
    expect(principal(await auth.authenticate(request(bearer(scpString)))).scopes).toEqual([
      'mcp',
      'tools:all',
    ]);
    for (const scope of [42, ['mcp', 7], { mcp: true }])
      expect(await refused(auth, await mint({ scope }))).toContain('scope');
  });

  it('refuses a request without a token: 401 pointing at the metadata, with the required scopes', async () => {
    const r = await refusal(await authenticator(spec).authenticate(request()));
    expect(r.status).toBe(401);
    expect(r.challenge).toBe(`Bearer resource_metadata="${METADATA_URL}", scope="mcp"`);
    expect(r.challenge).not.toContain('error=');
  });

  it('refuses malformed JWTs', async () => {
    const auth = authenticator(spec);
    const junk = Buffer.from(Array.from({ length: 7_500 }, (_, i) => (i * 7919) % 256)).toString('base64url');
    for (const token of [
      'a.b.c',
      'abc',
      'a.b',
      'a.b.c.d.e',
      `${b64({ alg: 'RS256', kid: 'rsa-1' })}.${b64({ sub: 'alice' })}`,
      `${b64({ alg: 'RS256', kid: 'rsa-1' })}.bm90IGpzb24.c2ln`,
      `bm90IGpzb24.${b64({ sub: 'alice' })}.c2ln`,
      `${junk.slice(0, 3000)}.${junk.slice(3000, 7000)}.${junk.slice(7000)}`, // 10 KB of junk
    ])
      await refused(auth, token);
    for (const value of ['Bearer !!!.@@@.###', 'Bearer a.b.c d', `Bearer ${'%'.repeat(10_000)}`, 'Bearer '])
      expect((await refusal(await auth.authenticate(request({ authorization: value })))).status).toBe(401);
    // Two headers, each with a valid token: refused, not the first taken.
    const valid = await mint();
    const two = await auth.authenticate(
      request([
        ['authorization', `Bearer ${valid}`],
        ['authorization', `Bearer ${valid}`],
      ]),
    );
    expect((await refusal(two)).status).toBe(401);
  });

  it('refuses a token signed by another key, even under a published kid', async () => {
    const auth = authenticator(spec);
    expect(await refused(auth, await mint({}, stranger))).toBe('the token signature is not valid');
    const unknownKid = await mint({}, { ...stranger, kid: 'rsa-unknown' });
    expect(await refused(auth, unknownKid)).toContain('no single key');
  });

  it('refuses a token for another audience', async () => {
    const auth = authenticator(spec);
    for (const aud of ['http://127.0.0.1:7077/other', 'https://elsewhere.example/mcp', [`${AUDIENCE}x`]])
      expect(await refused(auth, await mint({ aud }))).toContain('"aud"');
    expect(await refused(auth, await mint({ aud: undefined }))).toContain('"aud"');
    // A token for several audiences, this gateway among them, is accepted.
    const several = await mint({ aud: ['https://elsewhere.example', AUDIENCE] });
    expect(principal(await auth.authenticate(request(bearer(several)))).name).toBe('alice');
  });

  it('refuses a token from another issuer', async () => {
    const auth = authenticator(spec);
    for (const iss of ['https://evil.example', `${issuer.url}/`, undefined])
      expect(await refused(auth, await mint({ iss }))).toContain('"iss"');
  });

  it('refuses an expired token, and one without an expiry', async () => {
    const auth = authenticator(spec);
    const now = Math.floor(Date.now() / 1000);
    expect(await refused(auth, await mint({ exp: now - 3600, iat: now - 7200 }))).toBe(
      'the token has expired',
    );
    expect(await refused(auth, await mint({ exp: now - 5 }))).toMatch(/expired/i);
    expect(await refused(auth, await mint({ exp: undefined }))).toContain('"exp"');
  });

  it('refuses a token not valid yet (nbf), within a 30 s clock tolerance', async () => {
    const auth = authenticator(spec);
    const now = Math.floor(Date.now() / 1000);
    expect(await refused(auth, await mint({ nbf: now + 600 }))).toContain('"nbf"');
    expect(principal(await auth.authenticate(request(bearer(await mint({ nbf: now + 10 })))))).toMatchObject({
      name: 'alice',
    });
  });

  it('refuses alg "none"', async () => {
    const auth = authenticator(spec);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer.url, aud: AUDIENCE, sub: 'alice', scope: 'mcp', exp: now + 3600 };
    for (const alg of ['none', 'None', 'NONE'])
      expect(await refused(auth, `${b64({ alg, kid: 'rsa-1' })}.${b64(claims)}.`)).toContain('algorithm');
  });

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const auth = authenticator(spec);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer.url, aud: AUDIENCE, sub: 'mallory', scope: 'mcp', exp: now + 3600 };
    const pem = await exportSPKI(rsa.publicKey);
    for (const secret of [pem, JSON.stringify(rsa.jwk), rsa.jwk.n!]) {
      for (const alg of ['HS256', 'HS512']) {
        const forged = await new SignJWT(claims)
          .setProtectedHeader({ alg, kid: 'rsa-1' })
          .sign(new TextEncoder().encode(secret));
        expect(await refused(auth, forged)).toContain('algorithm');
      }
    }
  });

  it('refuses a token without a subject', async () => {
    const auth = authenticator(spec);
    expect(await refused(auth, await mint({ sub: undefined }))).toContain('"sub"');
    expect(await refused(auth, await mint({ sub: '' }))).toContain('"sub"');
  });

  it('answers 403 insufficient_scope when a required scope is missing', async () => {
    const auth = authenticator({ ...spec, requiredScopes: ['mcp', 'gateway'] });
    const token = await mint({ scope: 'mcp tools:all' });
    const r = await refusal(await auth.authenticate(request(bearer(token))), token);
    expect(r.status).toBe(403);
    expect(r.challenge).toContain('error="insufficient_scope"');
    expect(r.challenge).toContain('scope="mcp gateway"');
    expect(r.challenge).toContain(`resource_metadata="${METADATA_URL}"`);
    // No scope claim at all: the same.
    expect(
      (await refusal(await auth.authenticate(request(bearer(await mint({ scope: undefined })))))).status,
    ).toBe(403);
    const both = await mint({ scope: 'gateway mcp' });
    expect(principal(await auth.authenticate(request(bearer(both)))).scopes).toEqual(['gateway', 'mcp']);
  });

  it('serves the RFC 9728 metadata document at the URL its challenges name', async () => {
    const auth = authenticator(spec);
    const challenge = (await refusal(await auth.authenticate(request()))).challenge;
    const url = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(url).toBe(METADATA_URL);
    const response = auth.metadata(new Request(url!));
    expect(response?.status).toBe(200);
    expect(response?.headers.get('content-type')).toContain('application/json');
    expect(await response?.json()).toEqual({
      resource: 'http://127.0.0.1:7077/mcp',
      authorization_servers: [issuer.url],
      scopes_supported: ['mcp', 'tools:read', 'tools:all'],
      bearer_methods_supported: ['header'],
    });
    expect(auth.metadata(new Request(`${METADATA_URL}/`))?.status).toBe(200);
    expect(auth.metadata(new Request(url!, { method: 'HEAD' }))?.status).toBe(200);
    expect(auth.metadata(new Request(url!, { method: 'OPTIONS' }))?.status).toBe(204);
    expect(auth.metadata(new Request(url!, { method: 'POST' }))?.status).toBe(405);
    // Any other path is not its business.
    for (const other of [
      RESOURCE.href,
      'http://127.0.0.1:7077/.well-known/oauth-protected-resource',
      'http://127.0.0.1:7077/.well-known/oauth-authorization-server',
      'http://127.0.0.1:7077/.well-known/oauth-protected-resource/mcp/x',
    ])
      expect(auth.metadata(new Request(other)), other).toBeUndefined();
    // Path insertion follows the endpoint's path.
    const nested = authenticator(
      { ...spec, requiredScopes: [], toolScopes: undefined },
      new URL('https://gw.example/a/b'),
    );
    const doc = (await nested
      .metadata(new Request('https://gw.example/.well-known/oauth-protected-resource/a/b'))
      ?.json()) as Record<string, unknown>;
    expect(doc).toEqual({
      resource: 'https://gw.example/a/b',
      authorization_servers: [issuer.url],
      bearer_methods_supported: ['header'],
    });
  });

  it('answers 503 with Retry-After while the issuer is down, without hammering it, and recovers', async () => {
    const down = await startIssuer();
    const downUrl = down.url;
    await stopIssuer(down); // nothing listens there now
    const r = await refusal(
      await authenticator({ ...spec, jwksUrl: `${downUrl}/jwks` }).authenticate(
        request(bearer(await mint())),
      ),
    );
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe(String(JWKS_RETRY_AFTER_S));
    expect(r.body.error).toBe('temporarily_unavailable');

    // An issuer answering 500: one fetch, then 503 at once until the retry time, then it recovers.
    vi.useFakeTimers({ toFake: ['Date'] });
    issuer.status = 500;
    const auth = authenticator(spec);
    const token = await mint();
    expect((await refusal(await auth.authenticate(request(bearer(token))))).status).toBe(503);
    expect(issuer.fetches).toBe(1);
    vi.setSystemTime(Date.now() + 4_000);
    const again = await refusal(await auth.authenticate(request(bearer(token))));
    expect(again.status).toBe(503);
    expect(Number(again.retryAfter)).toBeGreaterThan(0);
    expect(Number(again.retryAfter)).toBeLessThanOrEqual(JWKS_RETRY_AFTER_S - 4 + 1);
    expect(issuer.fetches).toBe(1);
    issuer.status = 200;
    vi.setSystemTime(Date.now() + JWKS_RETRY_AFTER_S * 1000);
    expect(principal(await auth.authenticate(request(bearer(token)))).name).toBe('alice');
    expect(issuer.fetches).toBe(2);
  });

  it('picks up a rotated key: a token with a new kid refetches the key set', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const auth = authenticator(spec);
    expect(principal(await auth.authenticate(request(bearer(await mint())))).name).toBe('alice');
    expect(issuer.fetches).toBe(1);
    const rotated = await keyPair('rsa-2', 'RS256');
    issuer.keys = [rotated.jwk]; // the issuer rotates: the old key is gone
    const fresh = await mint({}, rotated);
    // Within jose's 30 s cooldown after a fetch, an unknown kid does not refetch (a flood of made-up
    // kids cannot hammer the issuer); after it, the first such token fetches the new set.
    expect(await refused(auth, fresh)).toContain('no single key');
    expect(issuer.fetches).toBe(1);
    vi.setSystemTime(Date.now() + 31_000);
    expect(principal(await auth.authenticate(request(bearer(fresh)))).name).toBe('alice');
    expect(issuer.fetches).toBe(2);
    expect(await refused(auth, await mint())).toContain('no single key'); // the old key is gone
  });

  it('close() ends an in-flight key fetch: the request gets 503 at once', async () => {
    issuer.hang = true;
    const auth = authenticator(spec);
    const started = Date.now();
    const pending = auth.authenticate(request(bearer(await mint())));
    expect(await waitFor(() => issuer.fetches === 1)).toBe(true);
    auth.close();
    const r = await refusal(await pending);
    expect(r.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(4_000); // jose's own fetch timeout is 5 s
    expect((await refusal(await auth.authenticate(request(bearer(await mint()))))).status).toBe(503);
    expect(issuer.fetches).toBe(1);
  });

  it('refuses at creation a key source open to tampering', () => {
    for (const [field, value] of [
      ['jwksUrl', 'http://keys.example/jwks'],
      ['issuer', 'http://issuer.example'],
      ['issuer', 'https://issuer.example/?x=1'],
      ['jwksUrl', 'not a url'],
    ] as const) {
      expect(() => createAuthenticator({ ...spec, [field]: value }, RESOURCE), value).toThrow(ConfigError);
      expect(() => createAuthenticator({ ...spec, [field]: value }, RESOURCE), value).toThrow(field);
    }
    createAuthenticator(
      { ...spec, issuer: 'https://issuer.example', jwksUrl: 'https://issuer.example/jwks' },
      RESOURCE,
    ).close();
  });
});

describe('toolScopesAllow', () => {
  const oauth: OAuthAuthSpec = {
    type: 'oauth',
    issuer: 'https://issuer.example',
    audience: 'x',
    jwksUrl: 'https://issuer.example/jwks',
    requiredScopes: [],
    toolScopes: { 'tools:read': ['fs__read*', 'search__*'], 'tools:all': ['*'] },
  };
  const as = (...scopes: string[]): Principal => ({ name: 'p', scopes });

  it('allows every tool when no tool scopes are configured', () => {
    expect(toolScopesAllow(undefined, ANONYMOUS, 'fs__write')).toBe(true);
    expect(toolScopesAllow({ type: 'tokens', tokens: {} }, as(), 'fs__write')).toBe(true);
    expect(toolScopesAllow({ ...oauth, toolScopes: undefined }, as(), 'fs__write')).toBe(true);
  });

  it("shows a tool iff one of the principal's scopes lists a matching pattern", () => {
    expect(toolScopesAllow(oauth, as('tools:read'), 'fs__read_file')).toBe(true);
    expect(toolScopesAllow(oauth, as('tools:read'), 'search__query')).toBe(true);
    expect(toolScopesAllow(oauth, as('tools:read'), 'fs__write_file')).toBe(false);
    expect(toolScopesAllow(oauth, as('tools:read'), 'xfs__read_file')).toBe(false);
    expect(toolScopesAllow(oauth, as('mcp', 'tools:all'), 'fs__write_file')).toBe(true);
    expect(toolScopesAllow(oauth, as('mcp'), 'fs__read_file')).toBe(false);
    expect(toolScopesAllow(oauth, as(), 'fs__read_file')).toBe(false);
  });

  it('treats scope names as names, not object keys, and an empty table as hiding everything', () => {
    for (const scope of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      expect(toolScopesAllow(oauth, as(scope), 'fs__read_file')).toBe(false);
    expect(toolScopesAllow({ ...oauth, toolScopes: {} }, as('tools:all'), 'fs__read_file')).toBe(false);
  });
});
