/**
 * The gateway's status page without a browser: off by default, behind the endpoint's auth (bearer,
 * the signed cookie, Host/Origin checks, `status.principals`), what it shows (servers, sessions by
 * client without their ids, recent calls without arguments) and what it never shows (config secrets,
 * tokens), and the life of its event streams (a vanished client, the cap, the gateway's close, a
 * client that does not read).
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createGatewayHandler } from '../../src/gateway/index.js';
import {
  createHost,
  Relay,
  relayHandlers,
  serve,
  type GatewayConfig,
  type StatusOptions,
} from '../../src/index.js';
import { StatusStreams } from '../../src/gateway/status/streams.js';
import { Redactor } from '../../src/gateway/status/redact.js';
import { fixture, hostFixture, waitFor, waitForAsync } from '../helpers.js';
import { v1Client, v2Client } from './helpers.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdefgh';
const ENV_SECRET = 'sk-live-5f2e9c1b7a3d';
const tokens = { auth: { tokens: { alice: ALICE, bob: BOB } } } satisfies GatewayConfig;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A gateway with the status page on, over fixture servers; disposing closes gateway then host. */
async function statusFixture(
  servers: Record<string, Record<string, unknown>>,
  gateway: GatewayConfig = {},
  status: StatusOptions = {},
) {
  const relay = new Relay(30_000);
  const fx = await hostFixture(servers, relayHandlers(relay));
  const secrets = Object.values(servers).flatMap((s) =>
    Object.values((s.env ?? {}) as Record<string, string>),
  );
  const running = await serve(fx.host, {
    gateway: { listen: '127.0.0.1:0', status: true, ...gateway },
    relay,
    status: { secrets: () => secrets, ...status },
  }).catch(async (error: unknown) => {
    await fx[Symbol.asyncDispose]();
    throw error;
  });
  const at = (path: string) => new URL(path, running.url);
  return {
    fx,
    gateway: running,
    url: running.url,
    at,
    json: async (token = ALICE) => {
      const response = await fetch(at('/status.json'), { headers: bearer(token) });
      expect(response.status).toBe(200);
      return (await response.json()) as Snapshot;
    },
    [Symbol.asyncDispose]: async () => {
      await running.close();
      await fx[Symbol.asyncDispose]();
    },
  };
}

interface Snapshot {
  servers: Array<{
    name: string;
    state: string;
    restarts: number;
    pid?: number;
    sessions: Array<{ client: string; state: string }>;
    stderrTail?: string;
    lastError?: { code: string; message: string };
  }>;
  calls: Array<{
    principal: string;
    method: string;
    target: string;
    server: string;
    durationMs: number;
    outcome: string;
    code?: string;
  }>;
}

/** The status of a GET sent with exactly these headers (Host included). */
function rawStatus(url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

/** Reads SSE `snapshot` events off a response body. */
function sseReader(response: Response) {
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let raw = '';
  return {
    raw: () => raw,
    /** The next event or comment block (undefined at the end of the stream). */
    async next(): Promise<string | undefined> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return block;
        }
        const chunk = await reader.read();
        if (chunk.done) return undefined;
        const text = decoder.decode(chunk.value, { stream: true });
        raw += text;
        buffer += text;
      }
    },
    /** The next snapshot that satisfies `test`. */
    async snapshot(test: (s: Snapshot) => boolean = () => true): Promise<Snapshot> {
      for (;;) {
        const block = await this.next();
        if (block === undefined) throw new Error('the stream ended');
        const data = /^event: snapshot\ndata: (.*)$/s.exec(block)?.[1];
        if (data === undefined) continue;
        const snapshot = JSON.parse(data) as Snapshot;
        if (test(snapshot)) return snapshot;
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('status page: off by default, behind the endpoint auth', () => {
  it('is not served unless turned on', async () => {
    const fx = await hostFixture({ s: fixture() });
    const gateway = await serve(fx.host, { gateway: { listen: '127.0.0.1:0' } });
    try {
      for (const path of ['/status', '/status.json', '/status/events']) {
        expect((await fetch(new URL(path, gateway.url))).status).toBe(404);
      }
    } finally {
      await gateway.close();
      await fx[Symbol.asyncDispose]();
    }
  });

  it('refuses requests without a valid token, from a foreign Host or Origin, and other principals', async () => {
    await using gw = await statusFixture({ s: fixture() }, { ...tokens, status: { principals: ['alice'] } });
    // A person opening the page gets the sign-in page, with 401 and the challenge.
    const page = await fetch(gw.at('/status'));
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await page.text()).toContain('Sign in');
    for (const path of ['/status.json', '/status/events']) {
      expect((await fetch(gw.at(path))).status).toBe(401);
      expect((await fetch(gw.at(path), { headers: bearer('x'.repeat(32)) })).status).toBe(401);
      expect((await fetch(gw.at(path), { headers: bearer(BOB) })).status).toBe(403);
      // DNS rebinding: fetch cannot set Host, node:http can.
      expect(await rawStatus(gw.at(path), { ...bearer(ALICE), host: `evil.example:${gw.url.port}` })).toBe(
        403,
      );
      expect(
        (await fetch(gw.at(path), { headers: { ...bearer(ALICE), origin: 'https://evil.example' } })).status,
      ).toBe(403);
    }
    const ok = await fetch(gw.at('/status.json'), { headers: bearer(ALICE) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(gw.at('/status/nothing'), { headers: bearer(ALICE) })).status).toBe(404);
    expect((await fetch(gw.at('/status.json'), { method: 'POST', headers: bearer(ALICE) })).status).toBe(405);
  });

  it('signs a browser in with a short-lived signed cookie, never with the token', async () => {
    await using gw = await statusFixture({ s: fixture() }, tokens);
    expect((await fetch(gw.at('/status/session'), { method: 'POST' })).status).toBe(401);
    const signIn = await fetch(gw.at('/status/session'), { method: 'POST', headers: bearer(BOB) });
    expect(signIn.status).toBe(204);
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=(3599|3600);/);
    expect(setCookie).not.toContain(BOB);
    const cookie = setCookie.split(';')[0]!;
    const page = await fetch(gw.at('/status'), { headers: { cookie } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect((await fetch(gw.at('/status.json'), { headers: { cookie } })).status).toBe(200);
    // Forged or altered cookies are worth nothing.
    const [name, value] = cookie.split('=') as [string, string];
    const forged = Buffer.from(JSON.stringify(['alice', Date.now() + 3_600_000])).toString('base64url');
    for (const bad of [
      `${name}=${forged}.${value.split('.')[1]}`,
      `${name}=${value.slice(0, -2)}xx`,
      `${name}=${value.split('.')[0]}`,
      `${name}=`,
    ]) {
      expect((await fetch(gw.at('/status.json'), { headers: { cookie: bad } })).status).toBe(401);
    }
    // A cookie cannot mint another cookie; signing out clears it.
    expect((await fetch(gw.at('/status/session'), { method: 'POST', headers: { cookie } })).status).toBe(401);
    const out = await fetch(gw.at('/status/session'), { method: 'DELETE', headers: { cookie } });
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});

describe('status page: the cookie over HTTPS', () => {
  const signIn = (url: URL, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { ...bearer(ALICE), ...headers } }).then((r) =>
      r.headers.get('set-cookie'),
    );

  it('is Secure when a TLS-terminating proxy says the browser came over HTTPS, not on plain HTTP', async () => {
    await using gw = await statusFixture({ s: fixture() }, tokens);
    const at = gw.at('/status/session');
    expect(await signIn(at)).not.toMatch(/Secure/);
    expect(await signIn(at, { 'x-forwarded-proto': 'http' })).not.toMatch(/Secure/);
    expect(await signIn(at, { 'x-forwarded-proto': 'https' })).toMatch(/; Secure$/);
    expect(await signIn(at, { 'x-forwarded-proto': 'HTTPS, http' })).toMatch(/; Secure$/);
    expect(await signIn(at, { forwarded: 'for=192.0.2.60;proto="https";by=203.0.113.43' })).toMatch(
      /; Secure$/,
    );
    expect(await signIn(at, { forwarded: 'for=192.0.2.60;proto=http' })).not.toMatch(/Secure/);
    // Signing out clears the cookie with the attributes it was set with.
    const out = await fetch(at, {
      method: 'DELETE',
      headers: { ...bearer(ALICE), 'x-forwarded-proto': 'https' },
    });
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0; HttpOnly; SameSite=Strict; Secure$/);
    // The Secure cookie still signs the browser in (the proxy passes it on over HTTP).
    const cookie = (await signIn(at, { 'x-forwarded-proto': 'https' }))!.split(';')[0]!;
    expect((await fetch(gw.at('/status.json'), { headers: { cookie } })).status).toBe(200);
  });

  it('is Secure when the fetch handler is served over TLS (an https request URL)', async () => {
    await using fx = await hostFixture({ s: fixture() });
    const handler = createGatewayHandler(fx.host, { gateway: { ...tokens, status: true } });
    try {
      const request = (origin: string) =>
        handler.fetch(
          new Request(`${origin}/status/session`, {
            method: 'POST',
            // What a server passes on: the Host header the browser sent.
            headers: { ...bearer(ALICE), host: new URL(origin).host },
          }),
        );
      const secure = await request('https://localhost');
      expect(secure.status).toBe(204);
      expect(secure.headers.get('set-cookie')).toMatch(/; Secure$/);
      expect((await request('http://localhost')).headers.get('set-cookie')).not.toMatch(/Secure/);
    } finally {
      await handler.close();
    }
  });
});

describe('status page: what it shows', () => {
  it('shows servers, sessions by client without their ids, and calls without their arguments', async () => {
    // Calls are tool calls, prompt gets and resource reads; a read of a URI no server has is shown
    // without it (what a client asks for is its data).
    await using gw = await statusFixture(
      { k: fixture([], { session: 'keyed', maxSessions: 4 }), s: fixture() },
      tokens,
    );
    const legacy = await v1Client(gw.url, { token: ALICE });
    const modern = await v2Client(gw.url, 'modern', { token: BOB });
    await legacy.callTool({ name: 'k__increment', arguments: { by: 1 } });
    await modern.callTool({ name: 's__echo', arguments: { value: 'argument-secret-9f8e7d' } });
    await modern.callTool({ name: 's__fail', arguments: {} });
    await modern.getPrompt({ name: 's__greet', arguments: { name: 'prompt-argument-4c3b2a' } });
    await modern.callTool({ name: 's__add-prompt-and-resource', arguments: {} });
    const added = () => gw.fx.host.resources().some((r) => r.uri === 'fixture://added');
    expect(await waitFor(added, 10_000)).toBe(true);
    await modern.readResource({ uri: 'fixture://added' });
    // Both servers list this one: the read is refused as ambiguous, and shown without a server.
    await expect(modern.readResource({ uri: 'fixture://state' })).rejects.toThrow(/listed by/);
    await expect(modern.readResource({ uri: 'fixture://private-path-1a2b3c' })).rejects.toThrow();
    const sessionId = (legacy.transport as { sessionId?: string } | undefined)?.sessionId ?? '';
    expect(sessionId.length).toBeGreaterThan(20);
    let snapshot: Snapshot | undefined;
    expect(
      await waitForAsync(async () => {
        snapshot = await gw.json();
        return snapshot.calls.length === 8;
      }, 10_000),
    ).toBe(true);
    expect(snapshot!.servers.map((s) => [s.name, s.state])).toEqual([
      ['k', 'ready'],
      ['s', 'ready'],
    ]);
    const keyed = snapshot!.servers.find((s) => s.name === 'k')!;
    expect(keyed.sessions.map((s) => s.client)).toEqual([expect.stringMatching(/^alice · [0-9a-f]{8}$/)]);
    expect(snapshot!.calls.map((c) => [c.principal, c.method, c.target, c.server, c.outcome])).toEqual([
      ['bob', 'resources/read', '(a URI no server lists)', '', 'error'],
      ['bob', 'resources/read', 'fixture://state', '', 'error'],
      ['bob', 'resources/read', 'fixture://added', 's', 'ok'],
      ['bob', 'tools/call', 's__add-prompt-and-resource', 's', 'ok'],
      ['bob', 'prompts/get', 's__greet', 's', 'ok'],
      ['bob', 'tools/call', 's__fail', 's', 'tool_error'],
      ['bob', 'tools/call', 's__echo', 's', 'ok'],
      ['alice', 'tools/call', 'k__increment', 'k', 'ok'],
    ]);
    expect(snapshot!.calls.every((c) => c.durationMs >= 0)).toBe(true);
    const served = JSON.stringify(snapshot);
    expect(served).not.toContain('prompt-argument-4c3b2a');
    expect(served).not.toContain('private-path-1a2b3c');
    expect(served).not.toContain(sessionId);
    expect(served).not.toContain('argument-secret-9f8e7d');
    await legacy.close();
    await modern.close();
  });

  it('never serves a config secret or a token, though a server writes them to stderr', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    await using gw = await statusFixture(
      {
        leaky: fixture(
          [
            '--stderr-env=API_KEY',
            `--stderr=${b64(`Authorization: Bearer ${ALICE}\npassword=hunter2hunter2`)}`,
          ],
          { env: { API_KEY: ENV_SECRET } },
        ),
      },
      tokens,
    );
    await waitForAsync(
      async () => (await gw.json()).servers[0]?.stderrTail?.includes('API_KEY') === true,
      10_000,
    );
    const cookie = (
      await fetch(gw.at('/status/session'), { method: 'POST', headers: bearer(ALICE) })
    ).headers.get('set-cookie')!;
    const events = await fetch(gw.at('/status/events'), { headers: { cookie: cookie.split(';')[0]! } });
    const reader = sseReader(events);
    const snapshot = await reader.snapshot();
    await reader.cancel();
    const json = await (await fetch(gw.at('/status.json'), { headers: bearer(ALICE) })).text();
    const page = await (await fetch(gw.at('/status'), { headers: bearer(ALICE) })).text();
    expect(snapshot.servers[0]!.stderrTail).toContain('API_KEY is [redacted]');
    expect(snapshot.servers[0]!.stderrTail).toContain('Bearer [redacted]');
    expect(snapshot.servers[0]!.stderrTail).toContain('password=[redacted]');
    for (const served of [reader.raw(), json, page]) {
      for (const secret of [ENV_SECRET, ALICE, BOB, 'hunter2hunter2']) expect(served).not.toContain(secret);
    }
  });

  it('redacts a secret wherever it appears, the longest first', () => {
    const redactor = new Redactor();
    redactor.update(['abcdef', 'abcdefghij', '1']);
    expect(redactor.text('x abcdefghij y abcdef z 1')).toBe('x [redacted] y [redacted] z 1');
    expect(redactor.text('token: "zzz" api_key=qq basic dXNlcjpwYXNz')).toBe(
      'token: "[redacted]" api_key=[redacted] basic [redacted]',
    );
  });
});

describe('status page: event streams', () => {
  it('sends a snapshot at once and another when a server restarts', async () => {
    await using gw = await statusFixture({ s: fixture() });
    const reader = sseReader(await fetch(gw.at('/status/events')));
    const first = await reader.snapshot();
    expect(first.servers[0]).toMatchObject({ name: 's', state: 'ready', restarts: 0, waiting: 0 });
    await gw.fx.host.restart('s');
    const after = await reader.snapshot(
      (s) => s.servers[0]?.restarts === 1 && s.servers[0].state === 'ready',
    );
    expect(after.servers[0]!.pid).not.toBe(first.servers[0]!.pid);
    await reader.cancel();
  });

  it('caps the streams, and frees the slot of a client that went away', async () => {
    // No refresh or heartbeat would wake the vanished client's stream: only its abort frees the slot.
    await using gw = await statusFixture(
      { s: fixture() },
      {},
      { maxStreams: 2, refreshMs: 60_000, heartbeatMs: 60_000 },
    );
    const a = new AbortController();
    const first = await fetch(gw.at('/status/events'), { signal: a.signal });
    const second = await fetch(gw.at('/status/events'));
    expect([first.status, second.status]).toEqual([200, 200]);
    const refused = await fetch(gw.at('/status/events'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    a.abort();
    // The vanished client's slot comes back without any event on its stream.
    expect(
      await waitForAsync(async () => {
        const again = await fetch(gw.at('/status/events'));
        if (again.status === 200) {
          await again.body!.cancel();
          return true;
        }
        return false;
      }, 10_000),
    ).toBe(true);
    await second.body!.cancel();
  });

  it('sends heartbeats on a quiet stream', async () => {
    await using gw = await statusFixture({ s: fixture() }, {}, { heartbeatMs: 50, refreshMs: 60_000 });
    const reader = sseReader(await fetch(gw.at('/status/events')));
    await reader.snapshot();
    for (;;) {
      const block = await reader.next();
      if (block === ': heartbeat') break;
    }
    await reader.cancel();
  });

  it('ends every stream when the gateway closes, and the close does not wait on them', async () => {
    const fx = await hostFixture({ s: fixture() });
    // A drain deadline past the test's own: a close that waited on the streams would time the test out.
    const gateway = await serve(fx.host, {
      gateway: { listen: '127.0.0.1:0', status: true, limits: { drainTimeoutMs: 120_000 } },
    });
    try {
      const readers = await Promise.all(
        [1, 2, 3].map(async () => sseReader(await fetch(new URL('/status/events', gateway.url)))),
      );
      for (const reader of readers) await reader.snapshot();
      await gateway.close();
      for (const reader of readers) {
        let block: string | undefined = '';
        while (block !== undefined) block = await reader.next().catch(() => undefined);
      }
      await expect(fetch(new URL('/status.json', gateway.url))).rejects.toThrow();
    } finally {
      await gateway.close();
      await fx[Symbol.asyncDispose]();
    }
  });

  it('keeps no backlog for a client that does not read: it gets the latest snapshot once it does', async () => {
    let n = 0;
    let builds = 0;
    const streams = new StatusStreams(
      () => {
        builds += 1;
        return JSON.stringify({ n });
      },
      { coalesceMs: 1, refreshMs: 60_000, heartbeatMs: 60_000 },
    );
    const body = streams.open(new AbortController().signal);
    if (typeof body === 'string') throw new Error(body);
    const reader = body.getReader();
    const decode = async () => new TextDecoder().decode((await reader.read()).value);
    expect(await decode()).toBe('retry: 2000\n\n');
    expect(await decode()).toBe('event: snapshot\ndata: {"n":0}\n\n');
    for (let i = 0; i < 10_000; i++) {
      n += 1;
      streams.changed();
    }
    await waitFor(() => builds > 1 || false, 100); // give the coalescing timer its turn
    expect(await decode()).toBe('event: snapshot\ndata: {"n":10000}\n\n');
    expect(builds).toBe(2);
    streams.close();
    expect((await reader.read()).done).toBe(true);
  });

  it('refuses a stream after close, and an aborted client never holds a slot', () => {
    const streams = new StatusStreams(() => '{}', { maxStreams: 1 });
    const aborted = new AbortController();
    aborted.abort();
    expect(typeof streams.open(aborted.signal)).toBe('object');
    expect(streams.size).toBe(0);
    streams.close();
    expect(streams.open(new AbortController().signal)).toBe('closed');
  });
});

describe('status page: config', () => {
  it('refuses an endpoint path the page would shadow, and unknown principals', async () => {
    await expect(createHost({ mcpServers: {}, gateway: { path: '/status', status: true } })).rejects.toThrow(
      /status page/,
    );
    await expect(
      createHost({ mcpServers: {}, gateway: { ...tokens, status: { principals: ['carol'] } } }),
    ).rejects.toThrow(/no principal "carol"/);
  });
});
