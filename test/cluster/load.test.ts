/**
 * The cluster's proof at scale, on one real Redis and three real `berth serve` replicas behind a
 * round-robin proxy (no stickiness): 100 clients, each with a keyed counter conversation of its own,
 * call all the time while, in turn, (a) nothing happens, (b) one replica is killed with SIGKILL and
 * replaced, (c) every replica is stopped with SIGTERM and replaced, one by one (a deploy), and (d)
 * every replica stops. What each client saw and what the upstream servers recorded (their fencing
 * tokens) must show that no counter ever skipped or crossed, that a loss is told once and only to the
 * clients of the replica that died, that no conversation was served by two replicas, and that no
 * process and no Redis key is left.
 *
 * The phases share one cluster and run in order (each `it` continues the last one's load).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedis } from '../../src/cluster/redis.js';
import { v2Client } from '../gateway/helpers.js';
import {
  childrenOf,
  cleanUp,
  configFile,
  startHttpServe,
  track,
  type ServeProcess,
} from '../gateway/serve-process.js';
import { alive, waitFor } from '../helpers.js';
import { SECRET, expectOneOwnerAtATime, fenceLines, increment, type Outcome } from './cluster-helpers.js';
import { REDIS_SERVER, RedisServer } from './redis-server.js';
import { roundRobin, type RoundRobin } from './round-robin.js';

/** Clients, each with its own conversation (and so its own upstream process). */
const CLIENTS = 100;
/** Long enough that a loaded 2-core machine renews in time; a dead replica's keys free up after it. */
const LEASE_MS = 10_000;
/** Each client's pause between calls: a steady load that leaves the machine some room. */
const PAUSE_MS = 3_000;
/** Between two clients' first calls. */
const RAMP_MS = 30;
const PREFIX = 'load';
/** A counter server on Node's built-ins: a hundred of them start quickly on two cores. */
const COUNTER = fileURLToPath(new URL('../fixtures/counter-server.mjs', import.meta.url));

type Replica = ServeProcess & { url: URL };

/** Said once per lost conversation, by the replica that finds the loss mark. */
const LOST = /session lost: its owner replica/;
/** A draining replica's refusal of a request forwarded to it (not run: the counter shows it). */
const SHUTTING_DOWN = /berth gateway: shutting down/;
/** A clear refusal while the cluster moves a conversation: try again shortly. */
const RETRY = /retry in \d+ s/;

/** Every client calling in a loop until stopped, with what each call ended with. */
class Load {
  readonly outcomes: Outcome[][];
  #running = true;
  readonly #loops: Promise<void>[];

  constructor(clients: Client[]) {
    this.outcomes = clients.map(() => []);
    this.#loops = clients.map(async (client, i) => {
      // A ramp, as real clients arrive: a hundred upstream processes never start in the same instant.
      await new Promise((resolve) => setTimeout(resolve, i * RAMP_MS));
      while (this.#running) {
        this.outcomes[i]!.push(await increment(client, key(i)));
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
    });
  }

  /** How many calls each client has made so far. */
  marks(): number[] {
    return this.outcomes.map((o) => o.length);
  }

  /** Waits until every client has `count` successful calls after `marks` (or the deadline passes). */
  async progressed(marks: number[], count = 2, timeoutMs = 30_000): Promise<void> {
    const done = () => this.outcomes.every((o, i) => o.slice(marks[i]).filter((r) => r.ok).length >= count);
    const ok = await waitFor(done, timeoutMs);
    const lagging = this.outcomes
      .map((o, i) => ({ i, since: o.slice(marks[i]) }))
      .filter(({ since }) => since.filter((r) => r.ok).length < count)
      .slice(0, 3)
      .map(({ i, since }) => `client ${i}: ${JSON.stringify(since.slice(-3))}`);
    expect(ok, `every client went on calling successfully; lagging: ${lagging.join('; ')}`).toBe(true);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

function key(i: number): string {
  return `client-${i}`;
}

/** A call cut off in transit (the replica it went through died): the client cannot know whether it ran. */
const DROPPED = /upstream unreachable|fetch failed|terminated|socket|may have run there/i;

/**
 * What a client saw, checked call by call: each success continues its counter by one, except the
 * first after a loss, which starts a fresh conversation at 1, and the first after a call cut off in
 * transit (`DROPPED`: it may have run, so one step may be missing; from call `strictFrom` on, not
 * even then: it must not have run); a loss is told once (never twice
 * without a success between); every other failure is one of `allowed`. Returns the losses.
 */
function checkClient(i: number, outcomes: Outcome[], allowed: RegExp[], strictFrom = Infinity): number {
  let last = 0;
  let lostSince = false;
  let droppedSince = false;
  let losses = 0;
  for (const [n, outcome] of outcomes.entries()) {
    const where = `client ${i}, call ${n}: ${outcome.text}`;
    if (outcome.ok) {
      const value = Number(outcome.text);
      if (lostSince) expect(value, where).toBe(1);
      else if (droppedSince && n < strictFrom) expect([last + 1, last + 2], where).toContain(value);
      else expect(value, where).toBe(last + 1);
      last = value;
      lostSince = false;
      droppedSince = false;
    } else if (LOST.test(outcome.text)) {
      expect(lostSince, `${where} (told twice)`).toBe(false);
      lostSince = true;
      losses += 1;
    } else {
      expect(
        allowed.some((pattern) => pattern.test(outcome.text)),
        where,
      ).toBe(true);
      if (DROPPED.test(outcome.text) && !RETRY.test(outcome.text)) droppedSince = true;
    }
  }
  return losses;
}

describe.skipIf(!REDIS_SERVER)(
  'gateway replicas under load: 100 clients, a kill, a deploy',
  { timeout: 60_000 },
  () => {
    let redis: RedisServer;
    let proxy: RoundRobin;
    let config: ReturnType<typeof configFile>;
    let fences: () => ReturnType<typeof fenceLines>;
    const replicas: Replica[] = [];
    const everyReplica: Replica[] = [];
    /** Every process the replicas ever had as a child (upstream servers, watchdogs). */
    const children = new Set<number>();
    let clients: Client[] = [];
    let load: Load | undefined;

    /** Sessions the replicas ended themselves, unable to confirm a lease in time (from their logs). */
    const unconfirmedDrops = () =>
      everyReplica
        .map((r) => r.stderr().match(/"reason":"unconfirmed"/g)?.length ?? 0)
        .reduce((a, b) => a + b, 0);
    const noteChildren = () => {
      for (const replica of replicas)
        for (const child of childrenOf(replica.child.pid!)) children.add(child.pid);
    };
    const startReplica = async () => {
      const replica = await startHttpServe(config.path, [], 60_000);
      everyReplica.push(replica);
      return replica;
    };

    beforeAll(async () => {
      redis = await RedisServer.start();
      const fenceFile = join(mkdtempSync(join(tmpdir(), 'berth-fences-')), 'fences.txt');
      fences = () => fenceLines(fenceFile);
      config = configFile(
        {
          k: {
            command: process.execPath,
            args: [COUNTER],
            session: 'keyed',
            maxSessions: CLIENTS * 2, // every conversation on one replica, if it comes to that
            env: { FIXTURE_FENCE_FILE: fenceFile },
          },
        },
        {
          gateway: {
            cluster: { redis: redis.url, secret: SECRET, leaseMs: LEASE_MS, prefix: PREFIX },
            limits: { maxInFlightPerPrincipal: CLIENTS * 4 },
          },
        },
      );
      replicas.push(...(await Promise.all([0, 1, 2].map(() => startReplica()))));
      proxy = await roundRobin(replicas.map((r) => r.url));
      clients = await Promise.all(Array.from({ length: CLIENTS }, () => v2Client(proxy.url, 'modern')));
    }, 60_000);

    afterAll(async () => {
      await load?.stop();
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await proxy?.close();
      for (const replica of everyReplica) {
        if (replica.child.exitCode === null && replica.child.signalCode === null)
          replica.child.kill('SIGTERM');
        await replica.exited;
      }
      track([...config.pids.pids(), ...children]);
      cleanUp();
      await redis?.stop();
    }, 60_000);

    it('(a) every counter runs 1, 2, 3… with calls spread over every replica', async () => {
      load = new Load(clients);
      await load.progressed(
        load.marks().map(() => 0),
        3,
        60_000,
      );
      noteChildren();
      // A loss here can only be one a replica declared itself (it could not confirm a lease in time:
      // a starved machine), and is then told once: never a silent skip or a crossing.
      const losses = load.outcomes.map((outcomes, i) => checkClient(i, outcomes, [RETRY]));
      expect(losses.filter((n) => n > 0).length).toBeLessThanOrEqual(unconfirmedDrops());
      expect(proxy.counts.size).toBe(3);
      expect([...proxy.counts.values()].every((n) => n > CLIENTS / 2)).toBe(true);
      // The conversations opened all over the cluster, each with its own upstream process.
      const lines = fences();
      expect(new Set(lines.map((l) => l.replica)).size).toBe(3);
      expect(new Set(lines.map((l) => l.pid)).size).toBeGreaterThanOrEqual(CLIENTS);
      expectOneOwnerAtATime(lines);
    });

    it('(b) kill -9 of a replica: its clients are told once and go on afresh, the others never notice', async () => {
      const running = load!;
      const victim = replicas.shift()!;
      noteChildren();
      const victimChildren = childrenOf(victim.child.pid!).map((c) => c.pid);
      const lines = fences();
      const victimId = lines.find((line) => victimChildren.includes(line.pid))!.replica;
      const before = running.marks();
      const dropsBefore = unconfirmedDrops();
      victim.child.kill('SIGKILL');
      await victim.exited;
      // The conversations it served when it died (by the fence lines of its live upstream processes).
      const victimKeys = new Set(
        fences()
          .filter((line) => line.replica === victimId && victimChildren.includes(line.pid))
          .map((line) => line.key),
      );
      expect(victimKeys.size).toBeGreaterThan(0);
      proxy.upstreams = replicas.map((r) => r.url); // the balancer notices it is gone
      // A replacement joins (as an orchestrator would start one).
      replicas.push(await startReplica());
      proxy.upstreams = replicas.map((r) => r.url);

      // Its upstream processes and its watchdog are reaped without it.
      expect(await waitFor(() => alive(victimChildren).length === 0, 15_000), 'reaped').toBe(true);
      // Every client gets going again (the victim's after their lease ran out and they were told).
      await running.progressed(before, 3, 60_000);
      noteChildren();

      let unexplained = 0;
      for (const [i, all] of running.outcomes.entries()) {
        const outcomes = all.slice(before[i]);
        // A call in transit through the victim at the kill (whoever's it was) is cut off.
        expect(
          outcomes.filter((o) => !o.ok && DROPPED.test(o.text) && !RETRY.test(o.text)).length,
          `client ${i}`,
        ).toBeLessThanOrEqual(2);
        checkClient(i, all, [RETRY, DROPPED]);
        const losses = outcomes.filter((o) => !o.ok && LOST.test(o.text)).length;
        if (victimKeys.has(key(i))) {
          // Told once, then a fresh conversation (checkClient: it counts from 1).
          expect(losses, `client ${i}`).toBe(1);
        } else if (losses > 0) {
          unexplained += 1;
        } else {
          // Unaffected: never refused (at most cut off in transit).
          expect(
            outcomes.filter((o) => !o.ok && !DROPPED.test(o.text)),
            `client ${i}`,
          ).toEqual([]);
        }
      }
      // Anyone else told of a loss lost it to a replica that declared it (see (a)), not to the kill.
      expect(unexplained).toBeLessThanOrEqual(unconfirmedDrops() - dropsBefore);
      // And no conversation ever heard from two replicas at once; the dead one spoke to no new process.
      const after = fences();
      expectOneOwnerAtATime(after);
      expect(after.some((line) => line.replica === victimId && !victimChildren.includes(line.pid))).toBe(
        false,
      );
    }, 150_000);

    it('(c) a deploy, every replica stopped and replaced in turn: no accepted call is lost', async () => {
      const running = load!;
      const start = running.marks();
      for (let n = 0; n < 3; n++) {
        const old = replicas.shift()!;
        replicas.push(await startReplica()); // surge: the new one first
        noteChildren();
        proxy.upstreams = replicas.map((r) => r.url); // the old one leaves the balancer, then stops
        const marks = running.marks();
        old.child.kill('SIGTERM');
        expect((await old.exited).code, old.stderr()).toBe(0);
        await running.progressed(marks, 1, 60_000);
      }
      noteChildren();
      for (const [i, outcomes] of running.outcomes.entries()) {
        // From the deploy on: a loss is told once; other refusals say to retry, or that the answer
        // was cut off, and then the counter shows the call did not run: nothing accepted vanished.
        checkClient(i, outcomes, [RETRY, DROPPED, SHUTTING_DOWN], start[i]);
      }
      expectOneOwnerAtATime(fences());
    }, 200_000);

    it('(d) once every replica stopped: no process and no Redis key is left', async () => {
      await load!.stop();
      await Promise.all(clients.map((c) => c.close()));
      clients = [];
      noteChildren();
      for (const replica of replicas.splice(0)) {
        replica.child.kill('SIGTERM');
        expect((await replica.exited).code, replica.stderr()).toBe(0);
      }
      const processes = [...config.pids.pids(), ...children];
      expect(await waitFor(() => alive(processes).length === 0, 15_000), 'no process left').toBe(true);
      const link = await connectRedis({ url: redis.url, commandTimeoutMs: 5_000 });
      try {
        expect(await link.command<string[]>(['KEYS', `${PREFIX}:*`])).toEqual([]);
      } finally {
        await link.close();
      }
    });
  },
);
