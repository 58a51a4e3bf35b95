/**
 * Faults around a running gateway, with real clients and real fixture servers: a client that vanishes
 * mid-call (its HTTP request dropped: the upstream call is cancelled, in both eras), and an upstream
 * server that crashes mid-call (the client gets an error naming the server; the next call works).
 * What happens to a `berth serve` process on SIGTERM and SIGKILL is in cli.test.ts.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connect } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { fixture, waitFor } from '../helpers.js';
import { gatewayFixture, resultText } from './helpers.js';

/**
 * A fetch whose tool calls can all be dropped at once, as a client process that dies or loses its
 * network drops them: the connection closes under the request, and no `notifications/cancelled` is
 * sent (the SDK client never learns of it).
 */
function vanishingFetch() {
  let vanish = new AbortController();
  const fetchLike = (url: string | URL, init?: RequestInit) => {
    const isCall = typeof init?.body === 'string' && init.body.includes('"tools/call"');
    if (!isCall) return fetch(url, init);
    const signal = init.signal ? AbortSignal.any([init.signal, vanish.signal]) : vanish.signal;
    return fetch(url, { ...init, signal });
  };
  return {
    fetch: fetchLike,
    /** Drops the calls in flight; later calls get a live connection again. */
    vanish: () => {
      vanish.abort(new Error('the client vanished'));
      vanish = new AbortController();
    },
  };
}

describe('a client vanishing mid-call', () => {
  for (const era of ['2025 (SDK v1)', '2026-07-28 (SDK v2)'] as const) {
    it(`cancels the upstream call: ${era}`, async () => {
      await using gw = await gatewayFixture({
        s: fixture(),
        k: fixture([], { session: 'keyed', maxSessions: 4 }),
      });
      const { pids } = gw.fx;
      const dropped = vanishingFetch();
      let client: {
        callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
        close(): Promise<void>;
      };
      if (era.startsWith('2025')) {
        const v1 = new V1Client({ name: 'vanishing-v1', version: '1.0.0' });
        await v1.connect(new V1Transport(gw.url, { fetch: dropped.fetch }));
        client = v1;
      } else {
        const v2 = new Client(
          { name: 'vanishing-v2', version: '1.0.0' },
          { versionNegotiation: { mode: { pin: '2026-07-28' } } },
        );
        await v2.connect(new StreamableHTTPClientTransport(gw.url, { fetch: dropped.fetch }));
        client = v2;
      }
      for (const server of ['s', 'k']) {
        const before = pids.count('cancelled');
        const sleeping = pids.count('sleeping');
        const call = client.callTool({ name: `${server}__sleep`, arguments: { ms: 2_000 } });
        const settled = call.then(
          () => 'answered',
          () => 'failed',
        );
        // The call has reached the server: now the client goes.
        expect(await waitFor(() => pids.count('sleeping') > sleeping, 5_000)).toBe(true);
        dropped.vanish();
        expect(await settled).toBe('failed');
        // The server sees the cancellation well before its 2 s sleep would have ended.
        expect(await waitFor(() => pids.count('cancelled') > before, 1_900)).toBe(true);
      }
      await client.close();
    });
  }
  it('frees the dropped request’s place: its principal is not held at its in-flight limit (2025)', async () => {
    await using gw = await gatewayFixture({ s: fixture() }, { limits: { maxInFlightPerPrincipal: 1 } });
    const { pids } = gw.fx;
    const dropped = vanishingFetch();
    const client = new V1Client({ name: 'vanishing-v1', version: '1.0.0' });
    await client.connect(new V1Transport(gw.url, { fetch: dropped.fetch }));
    const call = client.callTool({ name: 's__sleep', arguments: { ms: 2_000 } }).catch(() => 'failed');
    expect(await waitFor(() => pids.count('sleeping') === 1, 5_000)).toBe(true);
    dropped.vanish();
    expect(await call).toBe('failed');
    expect(await waitFor(() => pids.count('cancelled') === 1, 1_900)).toBe(true);
    // The only place this principal has is free again: the next call is served, not refused with 429.
    expect(resultText(await client.callTool({ name: 's__echo', arguments: { value: 'next' } }))).toBe('next');
    await client.close();
  });
});

describe('an upstream server crashing mid-call', () => {
  it('gives the client an error naming the server, and the next call works (both eras)', async () => {
    await using gw = await gatewayFixture({
      s: fixture([], { restart: { initialDelayMs: 0 } }),
      k: fixture([], { session: 'keyed', maxSessions: 4 }),
    });
    const v1 = new V1Client({ name: 'crash-v1', version: '1.0.0' });
    await v1.connect(new V1Transport(gw.url));
    const v2 = new Client(
      { name: 'crash-v2', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await v2.connect(new StreamableHTTPClientTransport(gw.url));
    for (const client of [v1, v2]) {
      for (const server of ['s', 'k']) {
        const crashed = (await client.callTool({ name: `${server}__crash`, arguments: {} })) as {
          isError?: boolean;
        };
        expect(crashed.isError).toBe(true);
        expect(resultText(crashed)).toContain(`"${server}"`);
        expect(
          resultText(await client.callTool({ name: `${server}__echo`, arguments: { value: 'again' } })),
        ).toBe('again');
      }
    }
    await v1.close();
    await v2.close();
  });
});

describe('a gateway shutting down', () => {
  it('lets the call in flight finish, then waits on no idle connection, nor one that never sent a request', async () => {
    const drainTimeoutMs = 8_000;
    await using gw = await gatewayFixture({ s: fixture() }, { limits: { drainTimeoutMs } });
    // A connection that never sends a request (a browser's preconnect, a pool's spare socket).
    const silent = connect(Number(gw.url.port), '127.0.0.1');
    await once(silent, 'connect');
    const silentClosed = once(silent, 'close');
    silent.resume();
    const client = new V1Client({ name: 'busy', version: '1.0.0' });
    await client.connect(new V1Transport(gw.url));
    const call = client.callTool({ name: 's__sleep', arguments: { ms: 400 } });
    expect(await waitFor(() => gw.fx.pids.count('sleeping') === 1, 5_000)).toBe(true);
    const started = Date.now();
    const closed = gw.gateway.close();
    expect(resultText(await call)).toBe('slept 400');
    await closed;
    await silentClosed;
    // Done once the call was: the connections left (the call's, now idle, and the silent one) are
    // closed at once rather than when the drain deadline or a keep-alive timeout passes.
    expect(Date.now() - started).toBeLessThan(drainTimeoutMs / 3);
    await client.close();
  });
});
