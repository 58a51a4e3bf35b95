/**
 * 200 clients at once on a keyed server capped at `maxSessions: 8`, through the gateway: half SDK v1
 * clients (2025 sessions), half SDK v2 clients (2026-07-28 conversations named with `berth/key`).
 * Every call completes (some after waiting for a slot), each in a session of its own (every counter
 * reads 1), the live server processes never exceed 8 (counted by pid while the load runs), and once
 * every client has ended its session (DELETE), no server process is left.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/process/group.js';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers.js';
import { gatewayFixture, resultText } from './helpers.js';

/** A minimal stateful server: 200 starts of the SDK fixture would cost ~30 s of CPU on their own. */
const TINY_COUNTER = fileURLToPath(new URL('../fixtures/tiny-counter.mjs', import.meta.url));
const CLIENTS = 200;
const MAX_SESSIONS = 8;

/** Watches the pids a pid file lists and keeps the most seen alive at once, until stopped. */
function watchPeak(pids: () => number[]) {
  const gone = new Set<number>();
  let peak = 0;
  let stopped = false;
  const look = () => {
    let live = 0;
    for (const pid of pids()) {
      if (gone.has(pid)) continue;
      if (isProcessAlive(pid)) live += 1;
      else gone.add(pid); // an exited pid stays gone (nothing here reuses pids this fast)
    }
    peak = Math.max(peak, live);
  };
  const watching = (async () => {
    while (!stopped) {
      look();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    look();
  })();
  return {
    async stop() {
      stopped = true;
      await watching;
      return peak;
    },
  };
}

describe('berth serve under load', () => {
  it(`${CLIENTS} concurrent clients on a keyed server with maxSessions ${MAX_SESSIONS}`, async () => {
    await using gw = await gatewayFixture(
      {
        k: {
          command: process.execPath,
          args: [TINY_COUNTER],
          session: 'keyed',
          maxSessions: MAX_SESSIONS,
          era: 'legacy',
        },
      },
      { limits: { maxInFlightPerPrincipal: CLIENTS * 2 } },
    );
    const { pids } = gw.fx;
    const peak = watchPeak(() => pids.pids('server'));
    const run = async (i: number): Promise<string> => {
      if (i % 2 === 0) {
        const client = new V1Client({ name: `load-v1-${i}`, version: '1.0.0' });
        const transport = new V1Transport(gw.url);
        await client.connect(transport);
        const value = resultText(await client.callTool({ name: 'k__increment', arguments: { by: 1 } }));
        await transport.terminateSession(); // DELETE: ends its conversation
        await client.close();
        return value;
      }
      const key = `conversation-${i}`;
      const client = new Client(
        { name: `load-v2-${i}`, version: '1.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await client.connect(new StreamableHTTPClientTransport(gw.url));
      const value = resultText(
        await client.callTool({ name: 'k__increment', arguments: { by: 1 }, _meta: { 'berth/key': key } }),
      );
      const ended = await fetch(gw.url, { method: 'DELETE', headers: { 'berth-key': key } });
      expect(ended.status).toBe(204);
      await client.close();
      return value;
    };
    const values = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => run(i)));
    expect(values).toEqual(Array.from({ length: CLIENTS }, () => '1'));
    // Every session ended with its client: nothing is left running.
    expect(await waitFor(() => pids.pids('server').every((pid) => !isProcessAlive(pid)), 10_000)).toBe(true);
    // The cap was reached (the watch saw the load) and never passed.
    const most = await peak.stop();
    expect(most).toBeGreaterThan(MAX_SESSIONS / 2);
    expect(most).toBeLessThanOrEqual(MAX_SESSIONS);
    expect(pids.pids('server').length).toBeGreaterThanOrEqual(CLIENTS);
  }, 90_000);
});
