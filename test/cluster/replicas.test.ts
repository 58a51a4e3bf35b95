/**
 * Gateway replicas on a real Redis: three `berth serve` processes behind a round-robin proxy (no
 * stickiness), with a keyed counter server. Every client's counter runs 1, 2, 3… whichever replica
 * each request lands on, in both eras; a replica killed with SIGKILL loses its sessions once and
 * clearly, and its clients then work again; after the replicas stop, no key is left in Redis.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/cluster/redis.js';
import { waitFor } from '../helpers.js';
import { resultText, v1Client, v2Client } from '../gateway/helpers.js';
import { cleanUp, configFile, startHttpServe, type ServeProcess } from '../gateway/serve-process.js';
import { FIXTURE } from '../helpers.js';
import { REDIS_SERVER, RedisServer } from './redis-server.js';
import { roundRobin, type RoundRobin } from './round-robin.js';

const SECRET = 'cluster-test-secret-0123456789abcdef';
const LEASE_MS = 1_500;

describe.skipIf(!REDIS_SERVER)('gateway replicas on a real Redis, behind a round-robin proxy', () => {
  let redis: RedisServer;
  let prefix = 0;
  const replicas: Array<ServeProcess & { url: URL }> = [];
  let proxy: RoundRobin | undefined;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    for (const replica of replicas.splice(0)) {
      if (replica.child.exitCode === null) replica.child.kill('SIGTERM');
      await replica.exited;
    }
    cleanUp();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** Three replicas of one cluster (a key prefix of its own) and the proxy in front of them. */
  async function cluster(count = 3) {
    const config = configFile(
      { k: { command: process.execPath, args: [FIXTURE], session: 'keyed' } },
      {
        gateway: {
          cluster: { redis: redis.url, secret: SECRET, leaseMs: LEASE_MS, prefix: `t${++prefix}` },
        },
      },
    );
    for (let i = 0; i < count; i++) replicas.push(await startHttpServe(config.path));
    proxy = await roundRobin(replicas.map((r) => r.url));
    return { proxy, prefix: `t${prefix}` };
  }

  it('2026-07-28 conversations: every counter runs 1, 2, 3… across the replicas', async () => {
    const { proxy } = await cluster();
    const clients = await Promise.all(Array.from({ length: 6 }, () => v2Client(proxy.url, 'modern')));
    try {
      const seen = await Promise.all(
        clients.map(async (client, i) => {
          const values: string[] = [];
          for (let n = 0; n < 5; n++) {
            const result = await client.callTool({
              name: 'k__increment',
              arguments: { by: 1 },
              _meta: { 'berth/key': `conversation-${i}` },
            });
            values.push(resultText(result));
          }
          return values;
        }),
      );
      for (const values of seen) expect(values).toEqual(['1', '2', '3', '4', '5']);
      // Every replica took requests: the proxy spread them.
      expect([...proxy.counts.values()].every((n) => n > 0)).toBe(true);
      expect(proxy.counts.size).toBe(3);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('2025-era sessions (SDK v1 and v2 clients): a session lives on the replica that opened it', async () => {
    const { proxy } = await cluster();
    const clients = [
      await v1Client(proxy.url),
      await v1Client(proxy.url),
      await v2Client(proxy.url, 'legacy'),
      await v2Client(proxy.url, 'legacy'),
    ];
    try {
      const seen = await Promise.all(
        clients.map(async (client) => {
          const values: string[] = [];
          for (let n = 0; n < 5; n++) {
            const result = await client.callTool({ name: 'k__increment', arguments: { by: 1 } });
            values.push(resultText(result));
          }
          return values;
        }),
      );
      for (const values of seen) expect(values).toEqual(['1', '2', '3', '4', '5']);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('a replica killed with SIGKILL: its conversations are lost once, clearly, then start afresh', async () => {
    const { proxy } = await cluster();
    const keys = Array.from({ length: 9 }, (_, i) => `c${i}`);
    const client = await v2Client(proxy.url, 'modern');
    const call = (key: string) =>
      client.callTool({ name: 'k__increment', arguments: { by: 1 }, _meta: { 'berth/key': key } }).then(
        (result) => ({ ok: true as const, text: resultText(result) }),
        (error: unknown) => ({ ok: false as const, text: String(error) }),
      );
    try {
      for (const key of keys) expect(await call(key)).toEqual({ ok: true, text: '1' });
      // Which replica owns which key: ask Redis, as the replicas do.
      const link = await connectRedis({ url: redis.url, commandTimeoutMs: 2_000 });
      const victim = replicas[0]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      proxy.upstreams = replicas.slice(1).map((r) => r.url); // the balancer notices it is gone
      await link.close();
      // Within a lease, the dead replica's keys become lost (once), the others keep counting.
      const outcomes = new Map<string, Array<{ ok: boolean; text: string }>>();
      for (const key of keys) outcomes.set(key, [await call(key)]);
      const deadline = Date.now() + LEASE_MS * 4;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (const key of keys) outcomes.get(key)!.push(await call(key));
      }
      let lostKeys = 0;
      for (const key of keys) {
        const results = outcomes.get(key)!;
        const lost = results.filter((r) => !r.ok && /session lost: its owner replica stopped/.test(r.text));
        const otherFailures = results.filter((r) => !r.ok && !lost.includes(r));
        // While the lease runs, a call may be told to retry; never anything else.
        for (const failure of otherFailures) expect(failure.text).toMatch(/retry in/);
        const values = results.filter((r) => r.ok).map((r) => Number(r.text));
        if (lost.length > 0) {
          lostKeys += 1;
          expect(lost).toHaveLength(1);
          // After the loss, a fresh session: it counts from 1 again.
          const after = results.slice(results.indexOf(lost[0]!) + 1).filter((r) => r.ok);
          expect(after.map((r) => Number(r.text))).toEqual(after.map((_, i) => i + 1));
        } else {
          // Unaffected: it kept counting from 1 with no gap.
          expect(values).toEqual(values.map((_, i) => i + 2));
        }
      }
      expect(lostKeys).toBeGreaterThan(0);
      expect(lostKeys).toBeLessThan(keys.length);
    } finally {
      await client.close();
    }
  });

  it('leaves no key of its own in Redis once every replica stopped', async () => {
    const { proxy, prefix } = await cluster(2);
    const client = await v2Client(proxy.url, 'modern');
    for (let i = 0; i < 4; i++)
      await client.callTool({ name: 'k__increment', arguments: {}, _meta: { 'berth/key': `k${i}` } });
    const legacy = await v1Client(proxy.url);
    await legacy.callTool({ name: 'k__increment', arguments: {} });
    await legacy.close();
    await client.close();
    for (const replica of replicas.splice(0)) {
      replica.child.kill('SIGTERM');
      expect((await replica.exited).code).toBe(0);
    }
    const link = await connectRedis({ url: redis.url, commandTimeoutMs: 2_000 });
    try {
      const keys = await link.command<string[]>(['KEYS', `${prefix}:*`]);
      // The fencing counter and the epoch stay (they must only grow); no owner, seen or replica key.
      expect(keys.sort()).toEqual([`${prefix}:epoch`, `${prefix}:fence`]);
    } finally {
      await link.close();
    }
    expect(await waitFor(() => true, 10)).toBe(true);
  });
});
