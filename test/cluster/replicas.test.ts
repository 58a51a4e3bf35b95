/**
 * Gateway replicas on a real Redis: three `berth serve` processes behind a round-robin proxy (no
 * stickiness), with a keyed counter server. Every client's counter runs 1, 2, 3… whichever replica
 * each request lands on, in both eras; a replica killed with SIGKILL loses its sessions once and
 * clearly, and its clients then work again; after the replicas stop, no key is left in Redis.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/cluster/redis.js';
import { resultText, v1Client, v2Client } from '../gateway/helpers.js';
import { SECRET, expectOneOwnerAtATime, fenceLines, increment } from './cluster-helpers.js';
import { cleanUp, configFile, startHttpServe, type ServeProcess } from '../gateway/serve-process.js';
import { FIXTURE, waitFor } from '../helpers.js';
import { REDIS_SERVER, RedisServer } from './redis-server.js';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roundRobin, type RoundRobin } from './round-robin.js';
import { cuttable } from './cuttable.js';

const LEASE_MS = 1_500;

describe.skipIf(!REDIS_SERVER)(
  'gateway replicas on a real Redis, behind a round-robin proxy',
  { timeout: 90_000 },
  () => {
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

    /**
     * Three replicas of one cluster (a key prefix of its own) and the proxy in front of them. The
     * first reaches Redis at `firstRedis` when given (a relay the test can cut).
     */
    async function cluster(count = 3, settings: Record<string, unknown> = {}, firstRedis?: string) {
      const fences = join(mkdtempSync(join(tmpdir(), 'berth-fences-')), 'fences.txt');
      const name = `t${++prefix}`;
      const config = (url: string) =>
        configFile(
          {
            k: {
              command: process.execPath,
              args: [FIXTURE],
              session: 'keyed',
              env: { FIXTURE_FENCE_FILE: fences },
            },
          },
          {
            gateway: {
              cluster: { redis: url, secret: SECRET, leaseMs: LEASE_MS, prefix: name, ...settings },
            },
          },
        ).path;
      const shared = config(redis.url);
      for (let i = 0; i < count; i++)
        replicas.push(await startHttpServe(i === 0 && firstRedis ? config(firstRedis) : shared));
      proxy = await roundRobin(replicas.map((r) => r.url));
      return { proxy, prefix: name, fences: () => fenceLines(fences) };
    }

    it('2026-07-28 conversations: every counter runs 1, 2, 3… across the replicas', async () => {
      const { proxy, fences } = await cluster();
      const clients = await Promise.all(Array.from({ length: 6 }, () => v2Client(proxy.url, 'modern')));
      try {
        const seen = await Promise.all(
          clients.map(async (client, i) => {
            const values: string[] = [];
            for (let n = 0; n < 5; n++) {
              const result = await increment(client, `conversation-${i}`);
              values.push(result.text);
            }
            return values;
          }),
        );
        for (const values of seen) expect(values).toEqual(['1', '2', '3', '4', '5']);
        // Every replica took requests: the proxy spread them.
        expect([...proxy.counts.values()].every((n) => n > 0)).toBe(true);
        expect(proxy.counts.size).toBe(3);
        expectOneOwnerAtATime(fences());
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
      const { proxy, fences } = await cluster();
      const keys = Array.from({ length: 9 }, (_, i) => `c${i}`);
      const client = await v2Client(proxy.url, 'modern');
      const call = (key: string) => increment(client, key);
      try {
        for (const key of keys) expect(await call(key)).toEqual({ ok: true, text: '1' });
        const victim = replicas[0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        proxy.upstreams = replicas.slice(1).map((r) => r.url); // the balancer notices it is gone
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
        expectOneOwnerAtATime(fences());
      } finally {
        await client.close();
      }
    });

    it('a replica stopped for a deploy finishes the call in flight, then its conversations are lost once', async () => {
      const { proxy, fences } = await cluster();
      const victim = replicas[0]!;
      // A conversation the victim owns: its first request went straight to it.
      const direct = await v2Client(victim.url, 'modern');
      const client = await v2Client(proxy.url, 'modern');
      try {
        expect(await increment(direct, 'deploy')).toEqual({ ok: true, text: '1' });
        const slow = direct.callTool({
          name: 'k__sleep',
          arguments: { ms: 1_500 },
          _meta: { 'berth/key': 'deploy' },
        });
        await new Promise((resolve) => setTimeout(resolve, 300)); // the call is in flight
        victim.child.kill('SIGTERM');
        // Accepted before the stop: it finishes.
        expect(resultText(await slow)).toMatch(/slept/);
        expect((await victim.exited).code).toBe(0);
        proxy.upstreams = replicas.slice(1).map((r) => r.url);
        // Then, through the others: lost once (never a silent blank session), then a fresh one.
        const first = await increment(client, 'deploy');
        expect(first.ok).toBe(false);
        expect(first.text).toMatch(/session lost: its owner replica shut down/);
        expect(await increment(client, 'deploy')).toEqual({ ok: true, text: '1' });
        expect(await increment(client, 'deploy')).toEqual({ ok: true, text: '2' });
        expectOneOwnerAtATime(fences());
      } finally {
        await direct.close().catch(() => undefined);
        await client.close();
      }
    });

    it('Redis restarted (its data lost): owners take their conversations back; nothing crosses', async () => {
      const { proxy, fences } = await cluster();
      const client = await v2Client(proxy.url, 'modern');
      const keys = Array.from({ length: 6 }, (_, i) => `r${i}`);
      try {
        for (const key of keys) expect(await increment(client, key)).toEqual({ ok: true, text: '1' });
        await redis.restart();
        const results = new Map<string, Array<{ ok: boolean; text: string }>>(keys.map((k) => [k, []]));
        const deadline = Date.now() + LEASE_MS * 4;
        while (Date.now() < deadline) {
          for (const key of keys) results.get(key)!.push(await increment(client, key));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        // On a loaded machine a loss may come late in that window: each key's calls go on (within a
        // deadline) until one is served after it.
        const recovered = Date.now() + 30_000;
        for (const key of keys) {
          while (!results.get(key)!.at(-1)!.ok && Date.now() < recovered) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            results.get(key)!.push(await increment(client, key));
          }
        }
        for (const key of keys) {
          const outcomes = results.get(key)!;
          // Refusals say why (retry, or the session was lost); a served call continues its own counter.
          for (const failure of outcomes.filter((r) => !r.ok))
            expect(failure.text).toMatch(/retry in|session lost/);
          const lost = outcomes.findIndex((r) => !r.ok && /session lost/.test(r.text));
          const served = outcomes.filter((r) => r.ok).map((r) => Number(r.text));
          if (lost === -1) expect(served).toEqual(served.map((_, i) => i + 2));
          // Recovered: the last calls all succeed.
          expect(outcomes.at(-1)?.ok, JSON.stringify(outcomes)).toBe(true);
        }
        expectOneOwnerAtATime(fences());
      } finally {
        await client.close();
      }
    });

    it("never passes on a client's own berth/owner: only the gateway vouches for an owner", async () => {
      const { proxy, fences } = await cluster(1);
      const client = await v2Client(proxy.url, 'modern');
      try {
        await client.callTool({
          name: 'k__increment',
          arguments: {},
          _meta: {
            'berth/key': 'forge',
            'test/key': 'forge',
            'berth/owner': { replica: 'evil', fence: 1e15 },
          },
        });
        const [line] = fences();
        expect(line?.replica).not.toBe('evil');
        expect(line?.fence).not.toBe(1e15);
      } finally {
        await client.close();
      }
    });

    it('accepts its advertised address as Host (forwarded requests carry it), and no other', async () => {
      await cluster(1, { advertise: 'http://replica-a.test:7077/mcp' });
      const url = replicas[0]!.url;
      const initialize = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      });
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            {
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              method: 'POST',
              headers: {
                host,
                'content-type': 'application/json',
                accept: 'application/json, text/event-stream',
              },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end(initialize);
        });
      expect(await status(`replica-a.test:${url.port}`)).toBe(200);
      expect(await status(`replica-b.test:${url.port}`)).toBe(403);
    });

    it('holds a lease only for a conversation that opened: not for an unknown tool or a DELETE', async () => {
      const { proxy, prefix } = await cluster(1);
      const client = await v2Client(proxy.url, 'modern');
      const link = await connectRedis({ url: redis.url, commandTimeoutMs: 2_000 });
      const owners = () => link.command<string[]>(['KEYS', `${prefix}:owner:*`]);
      try {
        await expect(
          client.callTool({ name: 'k__no_such_tool', arguments: {}, _meta: { 'berth/key': 'ghost' } }),
        ).rejects.toThrow();
        const ended = await fetch(proxy.url, { method: 'DELETE', headers: { 'berth-key': 'never-opened' } });
        expect(ended.status).toBe(204);
        expect(await owners()).toEqual([]);
        expect((await increment(client, 'real')).ok).toBe(true);
        expect(await owners()).toHaveLength(1);
      } finally {
        await link.close();
        await client.close();
      }
    });

    it('a forwarded call may outlast a lease while its owner lives; a hung owner is given up', async () => {
      const { proxy } = await cluster();
      const owner = replicas[0]!;
      const direct = await v2Client(owner.url, 'modern');
      const client = await v2Client(proxy.url, 'modern');
      const sleep = (ms: number) =>
        client
          .callTool({ name: 'k__sleep', arguments: { ms }, _meta: { 'berth/key': 'long' } })
          .then(resultText, (error: unknown) => String(error));
      try {
        expect(await increment(direct, 'long')).toEqual({ ok: true, text: '1' }); // owned by replica 0
        // Three at once through the round robin: two of them are forwarded to the owner.
        const calls = await Promise.all([sleep(LEASE_MS * 2), sleep(LEASE_MS * 2), sleep(LEASE_MS * 2)]);
        expect(calls).toEqual(Array(3).fill(`slept ${LEASE_MS * 2}`));
        expect([...proxy.counts.values()].every((n) => n > 0)).toBe(true);
        // The owner hangs (stopped, not dead: its socket still accepts): its lease runs out, and a
        // request forwarded to it ends with an answer instead of waiting for ever.
        proxy.upstreams = replicas.slice(1).map((r) => r.url);
        const hung = sleep(LEASE_MS * 2);
        await new Promise((resolve) => setTimeout(resolve, 200));
        owner.child.kill('SIGSTOP');
        try {
          expect(await hung).toMatch(/session lost|owner replica/);
        } finally {
          owner.child.kill('SIGCONT');
        }
      } finally {
        await direct.close().catch(() => undefined);
        await client.close().catch(() => undefined);
      }
    });

    it('a forwarded call whose owner dies mid-call: it may have run, so the client is not told to retry', async () => {
      await cluster(2);
      const [owner, other] = replicas as [ServeProcess & { url: URL }, ServeProcess & { url: URL }];
      const direct = await v2Client(owner.url, 'modern');
      const client = await v2Client(other.url, 'modern');
      try {
        expect(await increment(direct, 'midcall')).toEqual({ ok: true, text: '1' }); // owned by the first
        const slow = client
          .callTool({ name: 'k__sleep', arguments: { ms: 5_000 }, _meta: { 'berth/key': 'midcall' } })
          .then(resultText, (error: unknown) => String(error));
        await new Promise((resolve) => setTimeout(resolve, 500)); // forwarded, running on the owner
        owner.child.kill('SIGKILL');
        const text = await slow;
        expect(text).toMatch(/may have run there; check before repeating it/);
        expect(text).not.toMatch(/retry in/);
      } finally {
        await direct.close().catch(() => undefined);
        await client.close().catch(() => undefined);
      }
    });

    it('a replica cut off from Redis stops serving what it cannot prove it owns; the loss is told once', async () => {
      const relay = await cuttable(redis.url);
      try {
        await cluster(2, {}, relay.url);
        const [cutOff, other] = replicas as [ServeProcess & { url: URL }, ServeProcess & { url: URL }];
        const direct = await v2Client(cutOff.url, 'modern');
        const client = await v2Client(other.url, 'modern');
        try {
          expect(await increment(direct, 'cut')).toEqual({ ok: true, text: '1' }); // owned by the cut one
          relay.cut();
          // Past its lease, it has stopped serving the conversation, and says so in its log.
          expect(await waitFor(() => /"reason":"unconfirmed"/.test(cutOff.stderr()), LEASE_MS * 4)).toBe(
            true,
          );
          const refused = await increment(direct, 'cut');
          expect(refused.ok).toBe(false);
          expect(refused.text).toMatch(/Redis/);
          // Its lease ran out in Redis: the other replica tells the loss, once.
          let lost = await increment(client, 'cut');
          for (let i = 0; i < 20 && /retry in/.test(lost.text); i++) {
            await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 5));
            lost = await increment(client, 'cut');
          }
          expect(lost.text).toMatch(/session lost: its owner replica stopped, or lost touch with Redis/);
          // The cut one reaches Redis again and sends the loss mark it could not send before: the
          // loss was told already, so the next request starts afresh instead of hearing it again.
          relay.mend();
          await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
          expect(await increment(client, 'cut')).toEqual({ ok: true, text: '1' });
          expect(await increment(client, 'cut')).toEqual({ ok: true, text: '2' });
        } finally {
          await direct.close().catch(() => undefined);
          await client.close().catch(() => undefined);
        }
      } finally {
        await relay.close();
      }
    });

    it('leaves no key of its own in Redis once every replica stopped', async () => {
      const { proxy, prefix } = await cluster(2);
      const client = await v2Client(proxy.url, 'modern');
      for (let i = 0; i < 4; i++) expect((await increment(client, `k${i}`)).ok).toBe(true);
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
        // The last replica out removed every key of the cluster.
        expect(await link.command<string[]>(['KEYS', `${prefix}:*`])).toEqual([]);
      } finally {
        await link.close();
      }
    });
  },
);
