/**
 * Load against real servers: 10,000 calls across 20 stdio servers with 200 in flight. Every call must
 * return its own payload (nothing lost, nothing duplicated or crossed), and the host's heap must come
 * back to its baseline once the burst is over.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { alive, fixture, pidFile, text } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    // The pause is the point: finalizers and weak callbacks run between GCs; no event marks
    // "the heap has settled". Bounded: 3 x 50 ms.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}

describe('load', () => {
  it('10,000 calls over 20 servers, 200 in flight: none lost or duplicated; the heap returns to baseline', async () => {
    const SERVERS = 20;
    const CALLS = 10_000;
    const IN_FLIGHT = 200;
    const pids = pidFile();
    const servers = Object.fromEntries(
      Array.from({ length: SERVERS }, (_, i) => [`s${i}`, fixture([], { startupTimeoutMs: 60_000 }, pids)]),
    );
    const host = await createHost({ mcpServers: servers });
    try {
      expect(host.status().every((s) => s.state === 'ready')).toBe(true);
      // Warm every path once, then take the baseline.
      await Promise.all(
        Object.keys(servers).map((name) => host.callTool(`${name}__echo`, { value: 'warm' })),
      );
      const baseline = await settledHeap();

      const results = new Array<string>(CALLS);
      let next = 0;
      const worker = async () => {
        while (next < CALLS) {
          const i = next++;
          const payload = `call-${i}`;
          results[i] = text(await host.callTool(`s${i % SERVERS}__echo`, { value: payload }));
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

      const expected = Array.from({ length: CALLS }, (_, i) => `call-${i}`);
      expect(results).toEqual(expected);
      expect(new Set(results).size).toBe(CALLS);

      const after = await settledHeap();
      // Nothing per call is retained: well under 1 KB a call would be 10 MB; allow a few MB of noise.
      expect(after - baseline).toBeLessThan(5 * 1024 * 1024);
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  }, 120_000);
});
