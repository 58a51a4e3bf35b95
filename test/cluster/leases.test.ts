/**
 * Session leases in a real Redis: one owner per key at any moment, fencing tokens that only grow (even
 * after Redis lost its data), a lost owner reported once, a grace period for client-chosen keys after
 * a data loss, and a release that frees the key silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leases } from '../../src/cluster/leases.js';
import { connectRedis, type RedisLink } from '../../src/cluster/redis.js';
import { Replica } from '../../src/cluster/replica.js';
import { REDIS_SERVER, RedisServer } from './redis-server.js';

const LEASE_MS = 400;

describe.skipIf(!REDIS_SERVER)('cluster leases in a real Redis', () => {
  let redis: RedisServer;
  let link: RedisLink;
  let prefix = 0;
  /** A lease table under a prefix of its own, so tests do not see each other's keys. */
  const table = (leaseMs = LEASE_MS) =>
    new Leases(link, `berth:test${++prefix}:`, { leaseMs, seenMs: 60_000 });

  beforeAll(async () => {
    redis = await RedisServer.start();
    link = await connectRedis({ url: redis.url, commandTimeoutMs: 2_000 });
  });
  afterAll(async () => {
    await link?.close();
    await redis?.stop();
  });

  it('an answer that arrived while the event loop was stalled past the deadline is not a timeout', async () => {
    // A busy replica (spawning processes, a GC pause) can stall longer than a command's deadline:
    // Redis answered in time, and the answer waits to be read. Timers run before I/O in Node's loop,
    // so a deadline checked at once would call a prompt answer late, and drop sessions for nothing.
    // The client writes from the loop's check phase, so a stall that starts in the same turn as the
    // command also delays its write: the command is sent after the stall, and answered at once.
    const quick = await connectRedis({ url: redis.url, commandTimeoutMs: 250, connectTimeoutMs: 10_000 });
    const stall = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // busy
      }
    };
    try {
      // Sent before the stall: Redis answers meanwhile.
      const written = quick.command<string>(['PING']);
      await new Promise((resolve) => setImmediate(resolve));
      stall(700);
      expect(await written).toBe('PONG');
      // Stalled in the turn that queued it (run from the check phase, as the client's writes are).
      const delayed = new Promise<string>((resolve, reject) =>
        setImmediate(() => {
          quick.command<string>(['PING']).then(resolve, reject);
          stall(700);
        }),
      );
      expect(await delayed).toBe('PONG');
    } finally {
      await quick.close();
    }
  });

  it("a replica closed while it waits out a new cluster's grace stops at once, announcing nothing", async () => {
    const graceful = `berth:grace${++prefix}:`;
    // A new cluster (no epoch in Redis): start() waits one lease (a minute here) before joining.
    const replica = new Replica(link, {
      url: 'http://127.0.0.1:1/mcp',
      prefix: graceful,
      timings: { leaseMs: 60_000, seenMs: 60_000 },
      onDrop: () => undefined,
    });
    const started = replica.start();
    started.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100)); // waiting out the grace now
    const closing = replica.close();
    await expect(started).rejects.toThrow(/closed while it waited to join/);
    await closing;
    expect(await link.command<string[]>(['KEYS', `${graceful}replica:*`])).toEqual([]);
  });

  it('gives a key one owner; the others see it, and fences grow', async () => {
    const leases = table();
    const a = await leases.claim('k', 'A', 'fresh');
    expect(a.kind).toBe('claimed');
    const b = await leases.claim('k', 'B', 'fresh');
    expect(b).toEqual({ kind: 'owned', owner: { replica: 'A', fence: (a as { fence: number }).fence } });
    expect(await leases.owner('k')).toEqual({ replica: 'A', fence: (a as { fence: number }).fence });
    const other = await leases.claim('k2', 'B', 'fresh');
    expect(other.kind).toBe('claimed');
    expect((other as { fence: number }).fence).toBeGreaterThan((a as { fence: number }).fence);
  });

  it('only one of many concurrent claims wins', async () => {
    const leases = table();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => leases.claim('contested', `R${i}`, 'fresh')),
    );
    expect(outcomes.filter((o) => o.kind === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'owned')).toHaveLength(19);
  });

  it('reports a key whose owner stopped renewing as lost, exactly once, then lets it be claimed', async () => {
    const leases = table(150);
    expect((await leases.claim('k', 'A', 'fresh')).kind).toBe('claimed');
    await new Promise((resolve) => setTimeout(resolve, 300)); // A's lease expires
    // Two replicas asked at once: one reports the loss, the other claims the key afresh.
    const seen = await Promise.all([leases.claim('k', 'B'), leases.claim('k', 'C')]);
    expect(seen.filter((o) => o.kind === 'lost')).toEqual([{ kind: 'lost', replica: 'A', cause: 'expired' }]);
    expect(seen.filter((o) => o.kind === 'claimed')).toHaveLength(1);
    expect((await leases.claim('k', 'A')).kind).toBe('owned');
  });

  it('renews a held lease, and refuses a renewal by a replica that no longer holds it', async () => {
    const leases = table(300);
    const claim = await leases.claim('k', 'A', 'fresh');
    const fence = (claim as { fence: number }).fence;
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await leases.renew('k', 'A', fence)).toEqual({ kind: 'renewed', fence });
    }
    expect((await leases.owner('k'))?.replica).toBe('A'); // 400 ms after the claim: renewed
    expect(await leases.renew('k', 'B', fence)).toEqual({ kind: 'taken', by: 'A' });
    expect(await leases.renew('k', 'A', fence + 1)).toEqual({ kind: 'taken', by: 'A' });
  });

  it('frees a released key without reporting it lost; a stale release does nothing', async () => {
    const leases = table();
    const fence = ((await leases.claim('k', 'A', 'fresh')) as { fence: number }).fence;
    expect(await leases.release('k', 'A', fence + 1)).toBe(false);
    expect(await leases.release('k', 'A', fence)).toBe(true);
    expect(await leases.owner('k')).toBeUndefined();
    expect((await leases.claim('k', 'B', 'fresh')).kind).toBe('claimed');
  });

  it('only looks at a key in mode "existing": never claims it, still reports it lost once', async () => {
    const leases = table(150);
    expect(await leases.claim('k', 'A', 'existing')).toEqual({ kind: 'none' });
    expect(await leases.owner('k')).toBeUndefined();
    expect((await leases.claim('k', 'A', 'fresh')).kind).toBe('claimed');
    expect((await leases.claim('k', 'B', 'existing')).kind).toBe('owned');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await leases.claim('k', 'B', 'existing')).toEqual({
      kind: 'lost',
      replica: 'A',
      cause: 'expired',
    });
    expect(await leases.claim('k', 'B', 'existing')).toEqual({ kind: 'none' });
  });

  it('says why an owner gave a session up, and never tells a loss twice, even when its mark comes late', async () => {
    const leases = table(150);
    // Given up as the owner shut down, or could not confirm its lease: the next request hears which.
    for (const cause of ['shutdown', 'unconfirmed'] as const) {
      const key = `k-${cause}`;
      const fence = ((await leases.claim(key, 'A', 'fresh')) as { fence: number }).fence;
      expect(await leases.release(key, 'A', fence, cause)).toBe(true);
      expect(await leases.claim(key, 'B', 'existing')).toEqual({ kind: 'lost', replica: 'A', cause });
    }
    // A cut off from Redis: its lease runs out, and a request elsewhere is told the loss. When A
    // reaches Redis again and sends the mark it could not send before, the loss is not told again.
    const fence = ((await leases.claim('cut', 'A', 'fresh')) as { fence: number }).fence;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await leases.claim('cut', 'B', 'existing')).toEqual({
      kind: 'lost',
      replica: 'A',
      cause: 'expired',
    });
    expect(await leases.release('cut', 'A', fence, 'unconfirmed')).toBe(false);
    expect(await leases.claim('cut', 'B', 'existing')).toEqual({ kind: 'none' });
    expect((await leases.claim('cut', 'B')).kind).toBe('claimed');
  });

  it('after Redis lost its data: owners take their keys back, fences stay above the old ones, and new client keys wait out the grace', async () => {
    const leases = table(500);
    const before = ((await leases.claim('k', 'A', 'fresh')) as { fence: number }).fence;
    await redis.restart(); // SIGKILL, no persistence: every key is gone
    // The client reconnects by itself; wait until it is back.
    const deadline = Date.now() + 10_000;
    while (!link.ready && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(link.ready).toBe(true);
    // A new client-chosen key must wait: its old owner may still be serving it.
    const early = await leases.claim('other', 'B');
    expect(early.kind).toBe('grace');
    expect((early as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((early as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(500);
    // A fresh random key (a new 2025-era session id) needs no grace.
    expect((await leases.claim('fresh', 'B', 'fresh')).kind).toBe('claimed');
    // The owner renews: Redis forgot the lease, so it takes it back, under a larger fence.
    const back = await leases.renew('k', 'A', before);
    expect(back.kind).toBe('reclaimed');
    expect((back as { fence: number }).fence).toBeGreaterThan(before);
    expect((await leases.claim('k', 'B')).kind).toBe('owned');
    await new Promise((resolve) => setTimeout(resolve, 550));
    expect((await leases.claim('other', 'B')).kind).toBe('claimed');
  });

  it('rejects at once, naming Redis, while it is down; no command waits past its deadline', async () => {
    const own = await RedisServer.start();
    const conn = await connectRedis({ url: own.url, commandTimeoutMs: 500 });
    try {
      const leases = new Leases(conn, 'berth:down:', { leaseMs: 1_000, seenMs: 60_000 });
      await own.kill();
      const started = Date.now();
      await expect(leases.claim('k', 'A', 'fresh')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await conn.close();
      await own.stop();
    }
  });

  it('fails to connect with the address in the message, and no password in it', async () => {
    await expect(
      connectRedis({ url: 'redis://user:hunter2@127.0.0.1:1', commandTimeoutMs: 500 }),
    ).rejects.toThrow(/cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1/);
    await expect(
      connectRedis({ url: 'redis://user:hunter2@127.0.0.1:1', commandTimeoutMs: 500 }),
    ).rejects.not.toThrow(/hunter2/);
  });
});
