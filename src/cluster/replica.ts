/**
 * One gateway replica's place in the cluster: its identity and address (announced in Redis while it
 * lives), the session keys it owns, and the renewal loop that keeps their leases. It alone claims,
 * renews and releases this replica's leases; the gateway only asks it where a key is served.
 *
 * Fencing: a lease is held locally only as long as Redis has confirmed it, minus a margin: each
 * renewal round that Redis answers extends it to (the round's start + one lease - the margin). When
 * that moment passes without a confirmation (Redis unreachable, the process paused), the replica
 * stops serving the key before Redis can let another replica claim it, and says why. So two
 * replicas never serve one session, whatever the network does, as long as clocks run at about the
 * same rate for one lease.
 */
import { randomBytes } from 'node:crypto';
import { Leases, type ClaimMode, type LeaseTimings, type LossCause } from './leases.js';
import type { RedisLink } from './redis.js';

/** Where a request for a key is served. */
export type Placement =
  | { kind: 'local'; fence: number }
  | { kind: 'remote'; replica: string; url: string | undefined }
  | { kind: 'lost'; reason: string }
  | { kind: 'retry'; afterMs: number; reason: string }
  | { kind: 'unknown' };

/** Why this replica stopped serving a key it owned. */
export type DropReason = 'taken' | 'unconfirmed' | 'closing';

/** Options of a replica. */
export interface ReplicaOptions {
  /** The address other replicas forward to (this replica's MCP endpoint). */
  url: string;
  /** Key prefix in Redis (one per cluster). */
  prefix: string;
  timings: LeaseTimings;
  /** Called when the replica stops serving a key it owned: end its sessions here. */
  onDrop: (key: string, reason: DropReason) => void;
  /** Reports renewal errors (Redis unreachable). */
  onError?: (error: Error) => void;
}

interface Held {
  fence: number;
  /** Until when (performance.now()) Redis has confirmed the lease, minus the margin. */
  confirmedUntil: number;
}

/** This replica: its leases, and where every other key lives. */
export class Replica {
  /** Random per process: a restarted replica is a new one (its old sessions are lost, not resumed). */
  readonly id = randomBytes(9).toString('base64url');
  readonly #redis: RedisLink;
  readonly #leases: Leases;
  readonly #options: ReplicaOptions;
  readonly #held = new Map<string, Held>();
  /** Claims in progress, so concurrent requests for one key share one claim. */
  readonly #claiming = new Map<string, Promise<Placement>>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  /** Releases started by drops, awaited by close(). */
  readonly #releasing = new Set<Promise<unknown>>();
  /** Keys lost here whose "lost" mark Redis has not taken yet (unreachable): key → fence. */
  readonly #marks = new Map<string, { fence: number; cause: LossCause }>();
  #closed = false;
  /** Ends start()'s grace wait early (set while it waits). */
  #stopWaiting: (() => void) | undefined;

  constructor(redis: RedisLink, options: ReplicaOptions) {
    this.#redis = redis;
    this.#options = options;
    this.#leases = new Leases(redis, options.prefix, options.timings);
  }

  /** The margin kept before a lease's end: a third of it. */
  get #marginMs(): number {
    return this.#options.timings.leaseMs / 3;
  }

  /**
   * Announces this replica and starts renewing (every third of a lease). When Redis has no record of
   * the cluster yet (a new cluster, or a Redis that lost its data), it first waits out the grace
   * period, so that its clients are not refused while it runs.
   */
  async start(): Promise<void> {
    const age = await this.#leases.epochAge();
    const grace = this.#options.timings.leaseMs - age;
    if (grace > 0 && !this.#closed) {
      // close() cuts the wait short (a replica told to stop while it joins).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, grace);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#stopWaiting = done;
      });
      this.#stopWaiting = undefined;
    }
    if (!this.#closed) await this.#announce();
    if (this.#closed) {
      throw new Error(
        'berth cluster: the replica was closed while it waited to join (a new cluster waits out one lease)',
      );
    }
    const every = Math.max(10, Math.floor(this.#options.timings.leaseMs / 3));
    this.#timer = setInterval(() => {
      this.#round ??= this.#renewAll().finally(() => (this.#round = undefined));
    }, every);
  }

  /** The keys this replica serves now. */
  get keys(): readonly string[] {
    return [...this.#held.keys()];
  }

  /**
   * Where `key` is served, claiming it for this replica when no one owns it (see `ClaimMode`: a fresh
   * random key needs no grace; an `existing` one is never claimed, and is `unknown` when no one has it).
   */
  place(key: string, mode: ClaimMode = 'claim'): Promise<Placement> {
    const held = this.#held.get(key);
    if (held) {
      if (performance.now() < held.confirmedUntil)
        return Promise.resolve({ kind: 'local', fence: held.fence });
      return this.#reconfirm(key, held);
    }
    if (this.#closed)
      return Promise.resolve({ kind: 'retry', afterMs: 1_000, reason: 'this replica is stopping' });
    let claim = this.#claiming.get(key);
    if (!claim) {
      claim = this.#claim(key, mode).finally(() => this.#claiming.delete(key));
      this.#claiming.set(key, claim);
    }
    return claim;
  }

  /**
   * A request for a key whose confirmation has lapsed (a late renewal round, a slow Redis): one
   * renewal decides. Still ours and unchanged in Redis: served. Anything else: the session is lost,
   * and this request's client is the one told.
   */
  async #reconfirm(key: string, held: Held): Promise<Placement> {
    const started = performance.now();
    try {
      const outcome = await this.#leases.renew(key, this.id, held.fence);
      if (outcome.kind === 'renewed' && this.#held.get(key) === held) {
        held.confirmedUntil = this.#until(started);
        return { kind: 'local', fence: held.fence };
      }
      if (outcome.kind === 'reclaimed') held.fence = outcome.fence;
    } catch (error) {
      this.#report(error);
    }
    this.#drop(key, 'unconfirmed', true);
    return unconfirmed();
  }

  /** Whether this replica serves `key` now (its lease confirmed). */
  owns(key: string): boolean {
    const held = this.#held.get(key);
    return held !== undefined && performance.now() < held.confirmedUntil;
  }

  /** The fence this replica holds `key` under, if it serves it. */
  fenceOf(key: string): number | undefined {
    return this.owns(key) ? this.#held.get(key)?.fence : undefined;
  }

  async #claim(key: string, mode: ClaimMode): Promise<Placement> {
    const started = performance.now();
    const outcome = await this.#leases.claim(key, this.id, mode);
    switch (outcome.kind) {
      case 'claimed':
        if (this.#closed) {
          await this.#leases.release(key, this.id, outcome.fence).catch(() => false); // free
          return { kind: 'retry', afterMs: 1_000, reason: 'this replica is stopping' };
        }
        this.#held.set(key, { fence: outcome.fence, confirmedUntil: this.#until(started) });
        return { kind: 'local', fence: outcome.fence };
      case 'owned': {
        if (outcome.owner.replica === this.id) {
          // Ours in Redis but not here: dropped locally (unconfirmed) while Redis kept it. Not served.
          return unconfirmed();
        }
        const url = await this.#redis.command<string | null>([
          'GET',
          this.#replicaKey(outcome.owner.replica),
        ]);
        return { kind: 'remote', replica: outcome.owner.replica, url: url ?? undefined };
      }
      case 'lost':
        return {
          kind: 'lost',
          reason: `session lost: ${LOSS_REASONS[outcome.cause]}; start a new session (or conversation)`,
        };
      case 'none':
        return { kind: 'unknown' };
      case 'grace':
        return {
          kind: 'retry',
          afterMs: outcome.retryAfterMs,
          reason: 'the cluster is recovering (Redis lost its data): owners are taking their sessions back',
        };
    }
  }

  /**
   * Gives up `key` (its session closed): the lease is released, and the key is free, or (`lost`: this
   * replica shuts down) marked so that its next request is told the session was lost. Never rejects.
   */
  async release(key: string, as: 'free' | 'lost' = 'free'): Promise<void> {
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    await this.#endLease(key, held.fence, as === 'lost' ? 'shutdown' : 'free');
  }

  /** Ends a lease in Redis; a loss mark that Redis cannot take now is kept and sent again each round. */
  async #endLease(key: string, fence: number, as: 'free' | LossCause): Promise<void> {
    try {
      await this.#leases.release(key, this.id, fence, as);
      if (as !== 'free') this.#marks.delete(key);
    } catch (error) {
      this.#report(error);
      if (as !== 'free') this.#marks.set(key, { fence, cause: as });
    }
  }

  /** Sends again the loss marks Redis could not take before. */
  async #resendMarks(): Promise<void> {
    await Promise.all([...this.#marks].map(([key, { fence, cause }]) => this.#endLease(key, fence, cause)));
  }

  /** The moment a confirmation that Redis gave for a round started at `started` holds until. */
  #until(started: number): number {
    return started + this.#options.timings.leaseMs - this.#marginMs;
  }

  #replicaKey(id: string): string {
    return `${this.#options.prefix}replica:${id}`;
  }

  async #announce(): Promise<void> {
    await this.#redis.command([
      'SET',
      this.#replicaKey(this.id),
      this.#options.url,
      'PX',
      String(this.#options.timings.leaseMs),
    ]);
  }

  /** One renewal round: the replica's own key, then every lease. */
  async #renewAll(): Promise<void> {
    const started = performance.now();
    await this.#announce().catch((error: unknown) => this.#report(error));
    await this.#resendMarks();
    await Promise.all(
      [...this.#held].map(async ([key, held]) => {
        try {
          const outcome = await this.#leases.renew(key, this.id, held.fence);
          if (this.#held.get(key) !== held) return; // released meanwhile
          if (outcome.kind === 'taken') {
            this.#drop(key, 'taken');
            return;
          }
          // A lease Redis had forgot is taken back only while it is still confirmed here: past that,
          // this replica has stopped serving it and must not start again.
          held.fence = outcome.fence;
          if (outcome.kind === 'reclaimed' && performance.now() >= held.confirmedUntil) {
            this.#drop(key, 'unconfirmed'); // releases it again
            return;
          }
          held.confirmedUntil = this.#until(started);
        } catch (error) {
          this.#report(error);
          if (performance.now() >= held.confirmedUntil) this.#drop(key, 'unconfirmed');
        }
      }),
    );
  }

  /**
   * Stops serving `key`. Unless another replica has it (`taken`), its loss must reach its client once:
   * told now (`told`, a request is being answered "lost"), the key is freed; otherwise it is marked
   * lost in Redis, for the next request, wherever it lands.
   */
  #drop(key: string, reason: DropReason, told = false): void {
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    this.#options.onDrop(key, reason);
    if (reason === 'taken') return;
    const ending = this.#endLease(key, held.fence, told ? 'free' : 'unconfirmed');
    this.#releasing.add(ending);
    void ending.finally(() => this.#releasing.delete(ending));
  }

  #report(error: unknown): void {
    this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  /**
   * Stops: no more claims or renewals; every lease still held is released (its sessions must have
   * been closed by the caller first) and the replica's announcement removed. Never rejects.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWaiting?.();
    clearInterval(this.#timer);
    await this.#round;
    await Promise.allSettled([...this.#claiming.values(), ...this.#releasing]);
    // A session still held now ends without its client knowing: its next request is told.
    await Promise.all([...this.#held.keys()].map((key) => this.release(key, 'lost')));
    await this.#resendMarks();
    try {
      await this.#redis.command(['DEL', this.#replicaKey(this.id)]);
      await this.#cleanUpIfLast();
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * The last replica to leave removes every key of the cluster (lost-session marks, fence, epoch):
   * a stopped cluster leaves nothing in Redis. A fence restarts from Redis's time, above the old ones.
   */
  async #cleanUpIfLast(): Promise<void> {
    // The prefix holds no glob characters (the config allows letters, digits, ".", ":", "-", "_").
    const prefix = this.#options.prefix;
    if ((await this.#scan(`${prefix}replica:*`)).length > 0) return;
    const keys = await this.#scan(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) {
      await this.#redis.command(['UNLINK', ...keys.slice(i, i + 500)]);
    }
  }

  /** Every key matching `pattern` (SCAN, so a big keyspace never blocks Redis). */
  async #scan(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.command<[string, string[]]>([
        'SCAN',
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        '1000',
      ]);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }
}

/** What a client is told of a lost session, by cause. */
const LOSS_REASONS: Record<LossCause, string> = {
  expired: 'its owner replica stopped, or lost touch with Redis',
  shutdown: 'its owner replica shut down',
  unconfirmed: 'its owner replica gave it up, as it could not confirm its lease with Redis in time',
};

function unconfirmed(): Placement {
  return {
    kind: 'lost',
    reason:
      'session lost: this replica could not confirm it still owns the session (Redis unreachable); start a new session',
  };
}
