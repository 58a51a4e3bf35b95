/**
 * `berth serve`, attacked over real HTTP: one test per "secure by default" property of issue 11.
 * Every gateway here is a real `serve()` on a loopback port over real fixture servers; hostile
 * requests are raw HTTP (node:http and node:net, so Host, chunking and stalls are ours to choose),
 * and what a client sees is checked with the real SDK clients. After each hostile request, a normal
 * client call still works; and no response body the gateway sent in a test, nor its `warn` output,
 * ever contains a token.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import {
  STATUS_CODES,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server as HttpServer,
} from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server, type ServerContext } from '@modelcontextprotocol/server';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GATEWAY_DEFAULTS } from '../../src/config/gateway.js';
import {
  ConfigError,
  Relay,
  relayHandlers,
  serve,
  type GatewayConfig,
  type RunningGateway,
} from '../../src/index.js';
import { fixture, hostFixture, startHttpFixture, waitFor, type HttpFixture } from '../helpers.js';
import { resultText, v1Client, v2Client } from './helpers.js';

const ALICE = 'a1'.repeat(16);
const BOB = 'b2'.repeat(16);
const TOKENS: GatewayConfig = { auth: { tokens: { alice: ALICE, bob: BOB } } };

/** Every secret a response body or a warning must never contain. */
const SECRETS = new Set<string>([ALICE, BOB]);
/** Every body the gateway answered with in this test, and everything it warned. */
const seen: string[] = [];
afterEach(() => {
  const leaked = seen.filter((text) => [...SECRETS].some((secret) => text.includes(secret)));
  seen.length = 0;
  expect(leaked, 'a token in a response body or a warning').toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** A gateway over real fixture servers, with its warnings recorded (and checked for tokens). */
async function gateway(
  gatewayConfig: GatewayConfig = {},
  servers: Record<string, Record<string, unknown>> = { s: fixture() },
) {
  const relay = new Relay(30_000);
  const fx = await hostFixture(servers, relayHandlers(relay));
  const warnings: string[] = [];
  let running: RunningGateway;
  try {
    running = await serve(fx.host, {
      gateway: { listen: '127.0.0.1:0', ...gatewayConfig },
      relay,
      warn: (message) => {
        warnings.push(message);
        seen.push(message);
      },
    });
  } catch (error) {
    await fx[Symbol.asyncDispose]();
    throw error;
  }
  return {
    fx,
    url: running.url,
    warnings,
    [Symbol.asyncDispose]: async () => {
      await running.close();
      await fx[Symbol.asyncDispose]();
    },
  };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface RawOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** Sent with a Content-Length. */
  body?: string;
  /** Sent chunked, without a Content-Length. */
  chunks?: string[];
}

/** One HTTP request on its own connection, exactly as given (Host included); the body is recorded. */
async function raw(url: URL, options: RawOptions = {}): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      path: options.path ?? url.pathname,
      method: options.method ?? 'POST',
      headers: options.headers,
      agent: false,
      signal: AbortSignal.timeout(15_000),
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        seen.push(body, JSON.stringify(res.headers));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    // A server that answers before the whole body is sent may close the connection under our writes.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else req.end(options.body);
  });
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A POST of a JSON-RPC message (or any text) to the endpoint. */
function post(
  url: URL,
  body: unknown,
  options: { token?: string; headers?: Record<string, string>; sessionId?: string } = {},
): Promise<RawResponse> {
  return raw(url, {
    headers: {
      ...JSON_HEADERS,
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...(options.sessionId && { 'mcp-session-id': options.sessionId }),
      ...options.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** The JSON-RPC error of a response body (plain JSON or one SSE event). */
function rpcErrorOf(body: string): { code: number; message: string } | undefined {
  const json = body.startsWith('{') ? body : (/^data: (.*)$/m.exec(body)?.[1] ?? '{}');
  return (JSON.parse(json) as { error?: { code: number; message: string } }).error;
}

/** A normal client of each era still gets its call answered: the gateway is up and serving. */
async function stillWorks(url: URL, token?: string, tool = 's__echo'): Promise<void> {
  const offer = token ? { token } : {};
  const legacy = await v1Client(url, offer);
  try {
    expect(resultText(await legacy.callTool({ name: tool, arguments: { value: 'v1 ok' } }))).toBe('v1 ok');
    await (legacy.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
  } finally {
    await legacy.close();
  }
  const modern = await v2Client(url, 'modern', offer);
  try {
    expect(resultText(await modern.callTool({ name: tool, arguments: { value: 'v2 ok' } }))).toBe('v2 ok');
  } finally {
    await modern.close();
  }
}

function sessionIdOf(client: { transport?: unknown }): string {
  const id = (client.transport as { sessionId?: string }).sessionId;
  if (!id) throw new Error('the client has no session id');
  return id;
}

// ---------------------------------------------------------------------------------------------

describe('bind', () => {
  it('listens on loopback by default', async () => {
    expect(GATEWAY_DEFAULTS.listen.host).toBe('127.0.0.1');
    await using gw = await gateway({ listen: ':0' });
    expect(gw.url.hostname).toBe('127.0.0.1');
    await stillWorks(gw.url);
  });

  it('refuses a non-loopback address without auth, unless told it is insecure', async () => {
    await using fx = await hostFixture({ s: fixture() });
    for (const listen of ['0.0.0.0:0', '[::]:0']) {
      const refused = await serve(fx.host, { gateway: { listen } }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ConfigError);
      expect(String((refused as Error).message)).toMatch(/not loopback.*without auth.*gateway\.auth/);
    }
    for (const extra of [{ insecure: true }, TOKENS]) {
      const running = await serve(fx.host, { gateway: { listen: '0.0.0.0:0', ...extra } });
      try {
        expect(Number(running.url.port)).toBeGreaterThan(0);
        const local = new URL(running.url.href.replace('0.0.0.0', '127.0.0.1'));
        await stillWorks(local, 'tokens' in (extra.auth ?? {}) ? ALICE : undefined);
      } finally {
        await running.close();
      }
    }
  });
});

/** This machine's first non-loopback address of a family, if it has one. */
function externalAddress(family: 'IPv4' | 'IPv6'): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === family && !a.address.startsWith('fe80'))?.address;
}

describe('a non-loopback address', () => {
  for (const family of ['IPv4', 'IPv6'] as const) {
    const address = externalAddress(family);
    it.skipIf(!address)(`accepts its own ${family} address as Host, and no other`, async () => {
      const listen = family === 'IPv6' ? `[${address}]:0` : `${address}:0`;
      await expect(gateway({ listen })).rejects.toThrow(ConfigError);
      await using gw = await gateway({ ...TOKENS, listen });
      expect(gw.url.hostname).toBe(family === 'IPv6' ? `[${address}]` : address);
      const evil = await post(gw.url, INITIALIZE, {
        token: ALICE,
        headers: { host: `evil.example:${gw.url.port}` },
      });
      expect(evil.status).toBe(403);
      await stillWorks(gw.url, ALICE);
    });
  }
});

describe('Host and Origin', () => {
  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, before auth', async () => {
    await using gw = await gateway(TOKENS);
    const port = gw.url.port;
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `localhost.evil.example:${port}`,
      `0.0.0.0:${port}`,
    ]) {
      const r = await post(gw.url, INITIALIZE, { token: ALICE, headers: { host } });
      expect(r.status, host).toBe(403);
      expect(rpcErrorOf(r.body)?.message).toMatch(/Invalid Host/);
    }
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${port}`,
      'null',
      'https://127.0.0.1.evil.example',
    ]) {
      const r = await post(gw.url, INITIALIZE, { token: ALICE, headers: { origin } });
      expect(r.status, origin).toBe(403);
      expect(rpcErrorOf(r.body)?.message).toMatch(/Origin/);
    }
    // The loopback names pass, on any port, and so does a loopback Origin.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const r = await post(gw.url, INITIALIZE, {
        token: ALICE,
        headers: { host, origin: 'http://localhost:3000' },
      });
      expect(r.status, host).toBe(200);
    }
    await stillWorks(gw.url, ALICE);
  });

  it('lets allow-listed hosts and origins through, and only them', async () => {
    await using gw = await gateway({
      ...TOKENS,
      allowedHosts: ['gw.example'],
      allowedOrigins: ['app.example'],
    });
    const port = gw.url.port;
    const ok = await post(gw.url, INITIALIZE, {
      token: ALICE,
      headers: { host: `gw.example:${port}`, origin: 'https://app.example' },
    });
    expect(ok.status).toBe(200);
    expect(
      (await post(gw.url, INITIALIZE, { token: ALICE, headers: { host: `sub.gw.example:${port}` } })).status,
    ).toBe(403);
    expect(
      (await post(gw.url, INITIALIZE, { token: ALICE, headers: { origin: 'https://evil.app.example' } }))
        .status,
    ).toBe(403);
    await stillWorks(gw.url, ALICE);
  });
});

describe('bearer tokens', () => {
  it('refuses a missing or wrong token with 401 and a challenge; the right token works', async () => {
    await using gw = await gateway(TOKENS);
    const missing = await post(gw.url, INITIALIZE);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer /);
    for (const token of ['c3'.repeat(16), ALICE.slice(0, -1), `${ALICE}0`, BOB.toUpperCase()]) {
      SECRETS.add(token);
      const wrong = await post(gw.url, INITIALIZE, { token });
      expect(wrong.status).toBe(401);
      expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    }
    // The real SDK client without a token, or with a wrong one, cannot connect.
    await expect(v1Client(gw.url)).rejects.toThrow();
    await expect(v2Client(gw.url, 'modern', { token: 'c3'.repeat(16) })).rejects.toThrow();
    await stillWorks(gw.url, ALICE);
    await stillWorks(gw.url, BOB);
  });

  it("never lets one principal use another's session id: 404, and the owner's session keeps working", async () => {
    await using gw = await gateway(TOKENS, { s: fixture(), k: fixture([], { session: 'keyed' }) });
    const alice = await v1Client(gw.url, { token: ALICE });
    await alice.callTool({ name: 'k__increment', arguments: { by: 5 } });
    const id = sessionIdOf(alice);
    const call = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'k__increment', arguments: { by: 1 } },
    };
    const asBob = await post(gw.url, call, { token: BOB, sessionId: id });
    expect(asBob.status).toBe(404);
    expect(rpcErrorOf(asBob.body)?.message).toBe('Session not found');
    // GET (the stream) and DELETE (ending it) with another's id are refused the same way.
    for (const method of ['GET', 'DELETE']) {
      const r = await raw(gw.url, {
        method,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${BOB}`, 'mcp-session-id': id },
      });
      expect(r.status, method).toBe(404);
    }
    // As unknown as a made-up id; and no token at all is a 401 before any session lookup.
    expect((await post(gw.url, call, { token: BOB, sessionId: 'x'.repeat(43) })).status).toBe(404);
    expect((await post(gw.url, call, { sessionId: id })).status).toBe(401);
    // Alice's session is untouched: the counter went up only by her call.
    expect(resultText(await alice.callTool({ name: 'k__increment', arguments: { by: 1 } }))).toBe('6');
    await alice.close();
    // A 2026-era conversation is the principal's too: bob ending "work" ends his own, not alice's.
    const modern = await v2Client(gw.url, 'modern', { token: ALICE });
    const inc = () =>
      modern
        .callTool({ name: 'k__increment', arguments: { by: 1 }, _meta: { 'berth/key': 'work' } })
        .then(resultText);
    expect(await inc()).toBe('1');
    const end = await raw(gw.url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${BOB}`, 'berth-key': 'work' },
    });
    expect(end.status).toBe(204);
    expect(await inc()).toBe('2');
    await modern.close();
    await stillWorks(gw.url, BOB);
  });

  it('gives each session a different id of at least 128 random bits', async () => {
    await using gw = await gateway(TOKENS);
    const ids = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await post(gw.url, INITIALIZE, { token: i % 2 ? ALICE : BOB });
      expect(r.status).toBe(200);
      const id = String(r.headers['mcp-session-id']);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(id.length * 6).toBeGreaterThanOrEqual(128); // base64url: 6 bits a character
      ids.add(id);
    }
    expect(ids.size).toBe(8);
    await stillWorks(gw.url, ALICE);
  });
});

describe('no token passthrough', () => {
  let upstream: HttpFixture;
  let headerLog: string;
  const UPSTREAM_TOKEN = 'upstream-own-credential-0123456789';

  beforeAll(async () => {
    headerLog = join(mkdtempSync(join(tmpdir(), 'berth-gw-')), 'headers');
    upstream = await startHttpFixture('http-server.mjs', {
      env: { REQUIRED_TOKEN: UPSTREAM_TOKEN, HEADER_LOG: headerLog },
    });
  });
  afterAll(() => upstream.stop());

  it("never forwards a client's token or headers upstream, to a stdio or a remote server", async () => {
    await using gw = await gateway(TOKENS, {
      s: fixture(),
      remote: {
        type: 'http',
        url: `${upstream.origin}/mcp`,
        auth: { type: 'bearer', token: UPSTREAM_TOKEN },
      },
    });
    const headers = { 'x-client-secret': 'do-not-forward-me', cookie: 'session=do-not-forward-me' };
    for (const client of [
      await v1Client(gw.url, { token: ALICE, headers }),
      await v2Client(gw.url, 'modern', { token: ALICE, headers }),
    ]) {
      const meta = resultText(
        await client.callTool({ name: 's__meta', arguments: {}, _meta: { trace: 't-1' } }),
      );
      expect(JSON.parse(meta)).toMatchObject({ trace: 't-1' });
      expect(meta).not.toContain(ALICE);
      expect(meta.toLowerCase()).not.toContain('authorization');
      const whoami = resultText(await client.callTool({ name: 'remote__whoami', arguments: {} }));
      expect(whoami).not.toContain(ALICE);
      expect(resultText(await client.callTool({ name: 'remote__increment', arguments: { by: 1 } }))).toMatch(
        /^\d+$/,
      );
      await client.close();
    }
    expect(existsSync(headerLog)).toBe(true);
    const lines = readFileSync(headerLog, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(line).not.toContain(ALICE);
      expect(line).not.toContain('do-not-forward-me');
      // Upstream credentials are berth's own.
      expect((JSON.parse(line) as IncomingHttpHeaders).authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
    }
    await stillWorks(gw.url, ALICE);
  });

  it("never hands a client's token to the SDK's request handlers, in either era", async () => {
    const views: string[] = [];
    const original = Object.getOwnPropertyDescriptor(
      Object.getPrototypeOf(Server.prototype),
      'setRequestHandler',
    )?.value as (...all: unknown[]) => void;
    type Handler = (request: unknown, ctx: ServerContext) => unknown;
    const spy = vi.spyOn(Server.prototype, 'setRequestHandler').mockImplementation(function (
      this: Server,
      method: string,
      handler: unknown,
      more?: unknown,
    ) {
      const wrap =
        (inner: Handler): Handler =>
        (request, ctx) => {
          views.push(
            JSON.stringify({
              method,
              header: ctx.http?.req?.headers.get('authorization') ?? null,
              authInfo: ctx.http?.authInfo ?? null,
            }),
          );
          return inner(request, ctx);
        };
      const args = more === undefined ? [wrap(handler as Handler)] : [handler, wrap(more as Handler)];
      return original.call(this, method, ...args);
    });
    try {
      await using gw = await gateway(TOKENS);
      for (const client of [
        await v1Client(gw.url, { token: ALICE }),
        await v2Client(gw.url, 'modern', { token: ALICE }),
      ]) {
        await client.listTools();
        await client.callTool({ name: 's__echo', arguments: { value: 'x' } });
        await client.close();
      }
    } finally {
      spy.mockRestore();
    }
    expect(views.filter((v) => v.includes('"tools/call"')).length).toBeGreaterThanOrEqual(2);
    for (const view of views) {
      expect(view).not.toContain(ALICE);
      expect(JSON.parse(view)).toMatchObject({ header: null, authInfo: { clientId: 'alice' } });
    }
  });

  it('never writes a token in a warning or on the console', async () => {
    const spies = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
      vi.spyOn(process.stderr, 'write'),
    ];
    try {
      await using gw = await gateway({ ...TOKENS, prefix: 'never' });
      await stillWorks(gw.url, ALICE, 'echo');
      await post(gw.url, INITIALIZE, { token: `${ALICE}x` });
      // A collision that appears at runtime is warned about.
      await gw.fx.host.add('t', fixture());
      expect(await waitFor(() => gw.warnings.length > 0, 10_000)).toBe(true);
      for (const spy of spies) for (const args of spy.mock.calls) seen.push(args.map(String).join(' '));
      await gw.fx.host.remove('t');
      await stillWorks(gw.url, ALICE, 'echo');
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// OAuth 2.1 resource-server mode, against a real JWKS server.

describe('OAuth resource server', () => {
  const AUDIENCE = 'https://gateway.test/mcp';
  let jwks: HttpServer;
  let issuer: string;
  let signer: { privateKey: CryptoKey; jwk: JWK };
  let stranger: { privateKey: CryptoKey; jwk: JWK };

  beforeAll(async () => {
    const pair = async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' } };
    };
    [signer, stranger] = await Promise.all([pair(), pair()]);
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [signer.jwk] }));
    });
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    jwks.closeAllConnections();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  });

  const oauth = (extra: GatewayConfig = {}): GatewayConfig => ({
    auth: {
      oauth: {
        issuer,
        audience: AUDIENCE,
        jwksUrl: `${issuer}/jwks`,
        toolScopes: { 'tools:echo': ['s__echo'], 'tools:all': ['*'] },
      },
    },
    ...extra,
  });

  /** A JWT from the issuer (a claim set to undefined is left out); recorded as a secret. */
  async function mint(claims: JWTPayload = {}, key = signer): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: issuer,
      aud: AUDIENCE,
      sub: 'alice',
      scope: 'tools:all',
      iat: now,
      exp: now + 600,
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(key.privateKey);
    SECRETS.add(token);
    return token;
  }

  it('publishes its protected-resource metadata and points every 401 at it', async () => {
    await using gw = await gateway(oauth());
    const metadataUrl = `${gw.url.origin}/.well-known/oauth-protected-resource/mcp`;
    const document = await raw(gw.url, { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' });
    expect(document.status).toBe(200);
    expect(JSON.parse(document.body)).toMatchObject({
      resource: gw.url.href,
      authorization_servers: [issuer],
      scopes_supported: expect.arrayContaining(['tools:echo', 'tools:all']) as unknown,
    });
    const missing = await post(gw.url, INITIALIZE);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toContain(`resource_metadata="${metadataUrl}"`);
    const now = Math.floor(Date.now() / 1000);
    const refused = {
      malformed: 'a.b.c',
      'not a JWT': 'not-a-jwt-at-all',
      'wrong audience': await mint({ aud: 'https://elsewhere.example/mcp' }),
      expired: await mint({ exp: now - 120, iat: now - 720 }),
      'another key': await mint({}, stranger),
      'another issuer': await mint({ iss: 'https://evil.example' }),
      'no subject': await mint({ sub: undefined }),
    };
    for (const [why, token] of Object.entries(refused)) {
      SECRETS.add(token);
      const r = await post(gw.url, INITIALIZE, { token });
      expect(r.status, why).toBe(401);
      expect(r.headers['www-authenticate'], why).toContain('error="invalid_token"');
      expect(r.headers['www-authenticate'], why).toContain(`resource_metadata="${metadataUrl}"`);
    }
    await stillWorks(gw.url, await mint());
  });

  it("makes the token's subject the principal; its scopes narrow what is listed and callable", async () => {
    await using gw = await gateway(oauth({ principals: { bob: { tools: { deny: ['s__env'] } } } }));
    const echoOnly = await mint({ scope: 'tools:echo' });
    for (const client of [
      await v1Client(gw.url, { token: echoOnly }),
      await v2Client(gw.url, 'modern', { token: echoOnly }),
    ]) {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['s__echo']);
      const hidden = await client.callTool({ name: 's__pid', arguments: {} }).then(
        (result) => JSON.stringify(result),
        (error: unknown) => String(error),
      );
      expect(hidden).toContain('Unknown tool: s__pid');
      await client.close();
    }
    const all = await v1Client(gw.url, { token: await mint() });
    expect((await all.listTools()).tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['s__echo', 's__pid', 's__env']),
    );
    // The principal is the subject, not the token: another token of alice's may use her session,
    // bob's (whose principal filter also applies) may not.
    const id = sessionIdOf(all);
    const list = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };
    expect((await post(gw.url, list, { token: await mint({ jti: 'second' }), sessionId: id })).status).toBe(
      200,
    );
    const bob = await mint({ sub: 'bob' });
    expect((await post(gw.url, list, { token: bob, sessionId: id })).status).toBe(404);
    const bobClient = await v1Client(gw.url, { token: bob });
    const bobTools = (await bobClient.listTools()).tools.map((t) => t.name);
    expect(bobTools).toContain('s__pid');
    expect(bobTools).not.toContain('s__env');
    await bobClient.close();
    await all.close();
    await stillWorks(gw.url, echoOnly);
  });

  it("applies each request's own token scopes in a 2025 session, not those of its first request", async () => {
    await using gw = await gateway(oauth());
    const broad = await mint({ scope: 'tools:all' });
    const narrow = await mint({ scope: 'tools:echo' });
    const init = await post(gw.url, INITIALIZE, { token: broad });
    expect(init.status).toBe(200);
    const sessionId = String(init.headers['mcp-session-id']);
    const list = await post(
      gw.url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      {
        token: narrow,
        sessionId,
      },
    );
    expect(list.status).toBe(200);
    expect(list.body).toContain('s__echo');
    expect(list.body).not.toContain('s__pid');
    const call = await post(
      gw.url,
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 's__pid', arguments: {} } },
      { token: narrow, sessionId },
    );
    expect(rpcErrorOf(call.body)?.message).toContain('Unknown tool: s__pid');
    await stillWorks(gw.url, narrow);
  });
});

describe('per-principal tool filters', () => {
  it('hide tools from the list and from calls, in both eras', async () => {
    await using gw = await gateway({
      ...TOKENS,
      principals: {
        alice: { tools: { deny: ['s__pid', 's__env'] } },
        bob: { tools: { allow: ['s__echo'] } },
      },
    });
    for (const [token, hidden, visible] of [
      [ALICE, ['s__pid', 's__env'], ['s__echo', 's__get']],
      [BOB, ['s__pid', 's__get'], ['s__echo']],
    ] as const) {
      for (const client of [await v1Client(gw.url, { token }), await v2Client(gw.url, 'modern', { token })]) {
        const names = (await client.listTools()).tools.map((t) => t.name);
        expect(names).toEqual(expect.arrayContaining([...visible]));
        for (const name of hidden) {
          expect(names).not.toContain(name);
          const outcome = await client.callTool({ name, arguments: {} }).then(
            (result) => JSON.stringify(result),
            (error: unknown) => String(error),
          );
          expect(outcome).toContain(`Unknown tool: ${name}`);
        }
        await client.close();
      }
    }
    await stillWorks(gw.url, BOB);
  });
});

// ---------------------------------------------------------------------------------------------
// Limits and hostile input.

describe('limits', () => {
  it('refuses a body over maxBodyBytes with 413, with a Content-Length and chunked without one', async () => {
    await using gw = await gateway({ ...TOKENS, limits: { maxBodyBytes: 1024 } });
    const auth = { authorization: `Bearer ${ALICE}` };
    const big = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, pad: 'x'.repeat(2000) } });
    const sized = await raw(gw.url, { headers: { ...JSON_HEADERS, ...auth }, body: big });
    expect(sized.status).toBe(413);
    // Every refusal is a JSON-RPC error (no id), as the SDK's transport answers, for any client to read.
    expect(rpcErrorOf(sized.body)?.code).toBe(-32000);
    expect(rpcErrorOf(sized.body)?.message).toMatch(/Payload Too Large/);
    const chunked = await raw(gw.url, {
      headers: { ...JSON_HEADERS, ...auth },
      chunks: [big.slice(0, 600), big.slice(600, 1200), big.slice(1200)],
    });
    expect(chunked.status).toBe(413);
    // Just under the limit is served.
    expect((await post(gw.url, INITIALIZE, { token: ALICE })).status).toBe(200);
    await stillWorks(gw.url, ALICE);
  });

  it('answers wrong content types, malformed JSON, batches and oversized ids with 4xx, never a 5xx', async () => {
    await using gw = await gateway(TOKENS);
    for (const type of ['text/plain', 'application/jsonp', 'application/x-www-form-urlencoded', '']) {
      const r = await post(gw.url, INITIALIZE, { token: ALICE, headers: { 'content-type': type } });
      expect(r.status, type).toBe(415);
      expect(rpcErrorOf(r.body)?.message).toMatch(/Content-Type must be application\/json/);
    }
    const parse = await post(gw.url, '{"jsonrpc": "2.0", "id": 1, "method": ', { token: ALICE });
    expect(parse.status).toBe(400);
    expect(rpcErrorOf(parse.body)?.code).toBe(-32700);
    const batch = await post(gw.url, [INITIALIZE, { ...INITIALIZE, id: 2 }], { token: ALICE });
    expect(batch.status).toBe(400);
    expect(rpcErrorOf(batch.body)?.code).toBe(-32600);
    expect(rpcErrorOf(batch.body)?.message).toMatch(/batch/);
    for (const id of ['x'.repeat(257), 'x'.repeat(100_000), 1e300, 2 ** 60, -(2 ** 60), 0.5]) {
      const r = await post(gw.url, { ...INITIALIZE, id }, { token: ALICE });
      expect(r.status, String(id).slice(0, 20)).toBe(400);
      expect(rpcErrorOf(r.body)?.code).toBe(-32600);
    }
    const longKey = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 's__echo', arguments: { value: 'x' }, _meta: { 'berth/key': 'k'.repeat(300) } },
    };
    expect((await post(gw.url, longKey, { token: ALICE })).status).toBe(400);
    const longEnd = await raw(gw.url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ALICE}`, 'berth-key': 'k'.repeat(300) },
    });
    expect(longEnd.status).toBe(400);
    // Odd but well-formed JSON, a prototype-polluting body, deep nesting, bad UTF-8, odd methods.
    let deep = '"bottom"';
    for (let i = 0; i < 20_000; i++) deep = `{"a":${deep}}`;
    const odd: unknown[] = [
      'null',
      '42',
      '"just a string"',
      '{}',
      { jsonrpc: '2.0', id: {}, method: 'tools/list' },
      { jsonrpc: '2.0', id: 1, method: '__proto__', params: {} },
      '{"jsonrpc":"2.0","id":1,"method":"initialize","__proto__":{"polluted":true},"params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"p","version":"1"}}}',
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"s__echo","arguments":{"value":${deep}}}}`,
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1'),
    ];
    for (const body of odd) {
      const r = await post(gw.url, body, { token: ALICE });
      expect(r.status, String(body).slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(r.status, String(body).slice(0, 40)).toBeLessThan(500);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const method of ['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND']) {
      const r = await raw(gw.url, { method, headers: { authorization: `Bearer ${ALICE}` } });
      expect(r.status, method).toBeGreaterThanOrEqual(400);
      expect(r.status, method).toBeLessThan(500);
    }
    await stillWorks(gw.url, ALICE);
  });

  it('answers a Host or request target that makes no URL, and a method fetch forbids, with 4xx', async () => {
    await using gw = await gateway(TOKENS);
    const headers = { ...JSON_HEADERS, authorization: `Bearer ${ALICE}` };
    const body = JSON.stringify(INITIALIZE);
    for (const host of [
      'a b',
      '[',
      'x:99999',
      'a@b',
      `127.0.0.1:${gw.url.port}@evil.example`,
      'u:p@127.0.0.1',
    ]) {
      const r = await raw(gw.url, { headers: { ...headers, host }, body });
      expect(r.status, host).toBe(400);
    }
    for (const path of ['http://evil.example/mcp', '*', '@evil.example/mcp']) {
      const r = await raw(gw.url, { path, headers, body }).catch((error: unknown) => String(error));
      // Node's own parser may refuse a target outright (400, or a closed connection); never a 5xx.
      if (typeof r !== 'string') expect(r.status, path).toBe(400);
    }
    const trace = await raw(gw.url, { method: 'TRACE', headers: { authorization: `Bearer ${ALICE}` } });
    expect(trace.status).toBe(405);
    await stillWorks(gw.url, ALICE);
  });

  it('keeps nothing of an initialize the SDK transport refuses', async () => {
    await using gw = await gateway(TOKENS);
    const notified = vi.spyOn(Server.prototype, 'sendToolListChanged');
    try {
      for (let i = 0; i < 20; i++) {
        // No text/event-stream in Accept: the SDK transport answers 406 and opens no session.
        const r = await post(gw.url, INITIALIZE, { token: ALICE, headers: { accept: 'application/json' } });
        expect(r.status).toBe(406);
      }
      // A list change reaches every client server still alive: there must be none.
      await gw.fx.host.add('t', fixture());
      expect(notified).not.toHaveBeenCalled();
    } finally {
      notified.mockRestore();
    }
    await stillWorks(gw.url, ALICE);
  });

  it('refuses requests beyond maxInFlightPerPrincipal with 429, for that principal only', async () => {
    await using gw = await gateway({ ...TOKENS, limits: { maxInFlightPerPrincipal: 2 } });
    const alice = await v1Client(gw.url, { token: ALICE });
    const calls = [1, 2].map(() => alice.callTool({ name: 's__sleep', arguments: { ms: 1500 } }));
    expect(await waitFor(() => gw.fx.pids.count('sleeping') === 2, 10_000)).toBe(true);
    const third = await post(gw.url, INITIALIZE, { token: ALICE });
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBeDefined();
    expect(rpcErrorOf(third.body)?.message).toMatch(/requests of "alice" are in flight already/);
    // Bob is not held up by alice's calls.
    await stillWorks(gw.url, BOB);
    expect((await Promise.all(calls)).map(resultText)).toEqual(['slept 1500', 'slept 1500']);
    await alice.close();
    await stillWorks(gw.url, ALICE);
  });

  it('refuses a new session or conversation at maxClientSessions with 503 and Retry-After; existing ones work', async () => {
    await using gw = await gateway(
      { ...TOKENS, limits: { maxClientSessions: 2 } },
      {
        s: fixture(),
        k: fixture([], { session: 'keyed' }),
      },
    );
    const legacy = await v1Client(gw.url, { token: ALICE });
    expect(resultText(await legacy.callTool({ name: 'k__increment', arguments: { by: 1 } }))).toBe('1');
    const statuses: { status: number; retryAfter: string | null }[] = [];
    const modern = new Client(
      { name: 'recording', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(
      new StreamableHTTPClientTransport(gw.url, {
        requestInit: { headers: { authorization: `Bearer ${BOB}` } },
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          statuses.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
          return response;
        },
      }),
    );
    const inc = (key: string) =>
      modern
        .callTool({ name: 'k__increment', arguments: { by: 1 }, _meta: { 'berth/key': key } })
        .then(resultText);
    expect(await inc('one')).toBe('1'); // the second and last slot
    statuses.length = 0;
    await expect(inc('two')).rejects.toThrow();
    expect(statuses).toContainEqual({ status: 503, retryAfter: '5' });
    // A new 2025 session is refused the same way, for any principal.
    const init = await post(gw.url, INITIALIZE, { token: ALICE });
    expect(init.status).toBe(503);
    expect(init.headers['retry-after']).toBe('5');
    await expect(v1Client(gw.url, { token: BOB })).rejects.toThrow();
    // The existing session and conversation keep working, with their state.
    expect(resultText(await legacy.callTool({ name: 'k__increment', arguments: { by: 1 } }))).toBe('2');
    expect(await inc('one')).toBe('2');
    // Once one ends, there is room again.
    await (legacy.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
    await legacy.close();
    await modern.close();
    expect(
      (
        await raw(gw.url, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${BOB}`, 'berth-key': 'one' },
        })
      ).status,
    ).toBe(204);
    await stillWorks(gw.url, ALICE);
  });

  it('holds maxClientSessions when many clients initialize at once', async () => {
    await using gw = await gateway({ ...TOKENS, limits: { maxClientSessions: 1 } });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(gw.url, INITIALIZE, { token: i % 2 ? ALICE : BOB })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(503)]);
    const winner = answers.find((r) => r.status === 200)!;
    const token = answers.indexOf(winner) % 2 ? ALICE : BOB;
    const end = await raw(gw.url, {
      method: 'DELETE',
      headers: {
        authorization: `Bearer ${token}`,
        'mcp-session-id': String(winner.headers['mcp-session-id']),
      },
    });
    expect(end.status).toBe(200);
    await stillWorks(gw.url, ALICE);
  });
  it('refuses a request without a valid token, or for a foreign Host, before reading its body', async () => {
    await using gw = await gateway({ ...TOKENS, limits: { maxBodyBytes: 4_000_000 } });
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: `Bearer ${'c3'.repeat(16)}` }, 401],
      [{ authorization: `Bearer ${ALICE}`, host: 'evil.example' }, 403],
      [{ authorization: `Bearer ${ALICE}`, origin: 'http://evil.example' }, 403],
    ];
    for (const [headers, status] of cases) {
      // Headers announcing a 4 MB body, one byte of it, then nothing: the answer must not wait for it.
      const lines = Object.entries({ host: `127.0.0.1:${gw.url.port}`, ...JSON_HEADERS, ...headers }).map(
        ([name, value]) => `${name}: ${value}`,
      );
      const { answer, outcome } = await rawExchange(
        gw.url,
        `POST /mcp HTTP/1.1\r\n${lines.join('\r\n')}\r\ncontent-length: 4000000\r\n\r\n{`,
      );
      seen.push(answer);
      expect(answer.split('\r\n')[0], JSON.stringify(headers)).toBe(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      );
      expect(outcome, JSON.stringify(headers)).toBe('closed');
    }
    await stillWorks(gw.url, ALICE);
  });

  it('disconnects an authenticated client that stalls its body, past requestTimeoutMs', async () => {
    await using gw = await gateway({ ...TOKENS, limits: { headersTimeoutMs: 200, requestTimeoutMs: 400 } });
    const started = Date.now();
    const lines = Object.entries({
      host: `127.0.0.1:${gw.url.port}`,
      ...JSON_HEADERS,
      authorization: `Bearer ${ALICE}`,
    }).map(([name, value]) => `${name}: ${value}`);
    const { answer, outcome } = await rawExchange(
      gw.url,
      `POST /mcp HTTP/1.1\r\n${lines.join('\r\n')}\r\ncontent-length: 100\r\n\r\n{"jsonrpc"`,
    );
    expect(outcome).toBe('closed');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(5_000);
    await stillWorks(gw.url, ALICE);
  });

  it('disconnects a client that sends nothing, or stalls in its request line, past headersTimeoutMs', async () => {
    await using gw = await gateway({ ...TOKENS, limits: { headersTimeoutMs: 300 } });
    for (const sent of ['', 'POST /mcp HTT']) {
      const started = Date.now();
      const { answer, outcome } = await rawExchange(gw.url, sent);
      expect(outcome, JSON.stringify(sent)).toBe('closed');
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    await stillWorks(gw.url, ALICE);
  });
});

/**
 * Writes `text` (possibly nothing) on a raw connection to the gateway and waits up to 5 s for the
 * gateway to close it; returns what it answered and whether it closed.
 */
async function rawExchange(url: URL, text: string): Promise<{ answer: string; outcome: unknown }> {
  const socket = connect(Number(url.port), '127.0.0.1');
  socket.on('error', () => undefined);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  await once(socket, 'connect');
  if (text) socket.write(text);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    once(socket, 'close').then(() => 'closed'),
    new Promise((resolve) => (timer = setTimeout(resolve, 5_000, 'still open'))),
  ]);
  clearTimeout(timer);
  socket.destroy();
  return { answer, outcome };
}
