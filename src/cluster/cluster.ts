/**
 * The cluster as the gateway sees it: for a request that belongs to a keyed session, either "serve it
 * here" (this replica owns the session) or the answer to send instead: the owner's, forwarded; a
 * clear "session lost"; or a 503 with Retry-After while the cluster recovers. It owns the Redis
 * connection and this replica's place in the cluster, and closes both.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ROUTE_HEADER, forwardTo, verifyRoute } from './forward.js';
import { connectRedis, type RedisLink } from './redis.js';
import { Replica, type DropReason, type Placement } from './replica.js';

/** What a cluster needs. */
export interface ClusterOptions {
  /** The Redis URL. */
  redis: string;
  /** The secret every replica shares (signs forwarded requests). */
  secret: string;
  /** This replica's MCP endpoint, as the other replicas reach it. */
  url: string;
  /** Prefix of the cluster's Redis keys. */
  prefix: string;
  /** Lease length (ms). */
  leaseMs: number;

  /** Reports Redis trouble (never with a secret in it). */
  onError?: (error: Error) => void;
}

/** A watch on the owner of a forwarded request (see `Cluster.#watchOwner`). */
interface OwnerWatch {
  /** Aborts once the owner no longer holds the session. */
  readonly gone: AbortSignal;
  /** Where the session was found when the watch gave up on its owner. */
  verdict?: Placement;
  /** Ends the watch (and waits for its Redis question in flight). */
  stop(): Promise<void>;
}

/** Where the replica's drops go: set once the gateway is there to end the sessions. */
interface Drops {
  to?: (key: string, reason: DropReason) => void;
}

/** How long joining may take to reach Redis (ms). */
const CONNECT_TIMEOUT_MS = 10_000;

/** How long a claimed key is remembered after its owner stopped renewing it: a day. */
const SEEN_MS = 24 * 60 * 60_000;

/** One replica's view of the cluster. */
export class Cluster {
  readonly #redis: RedisLink;
  readonly #replica: Replica;
  readonly #secret: string;
  readonly #leaseMs: number;
  readonly #drops: Drops;

  private constructor(redis: RedisLink, replica: Replica, drops: Drops, options: ClusterOptions) {
    this.#redis = redis;
    this.#drops = drops;
    this.#replica = replica;
    this.#secret = options.secret;
    this.#leaseMs = options.leaseMs;
  }

  /** Connects to Redis and joins the cluster; rejects with a clear error when Redis cannot be reached. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const redis = await connectRedis({
      url: options.redis,
      // A renewal must be answered within the margin a lease keeps (a third of it).
      commandTimeoutMs: Math.max(200, Math.floor(options.leaseMs / 3)),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      ...(options.onError && { onError: options.onError }),
    });
    const drops: Drops = {};
    const replica = new Replica(redis, {
      url: options.url,
      prefix: `${options.prefix}:`,
      timings: { leaseMs: options.leaseMs, seenMs: SEEN_MS },
      onDrop: (key, reason) => drops.to?.(key, reason),
      ...(options.onError && { onError: options.onError }),
    });
    try {
      await replica.start();
    } catch (error) {
      await replica.close();
      await redis.close();
      throw error;
    }
    return new Cluster(redis, replica, drops, options);
  }

  /** Where to say that this replica stopped serving a key (taken over, or unconfirmed): end its sessions there. */
  onDrop(listener: (key: string, reason: DropReason) => void): void {
    this.#drops.to = listener;
  }

  /** This replica's id (random per process). */
  get replicaId(): string {
    return this.#replica.id;
  }

  /** This replica and the fencing token it holds `key` under, when it serves it. */
  ownerOf(key: string): { replica: string; fence: number } | undefined {
    const fence = this.#replica.fenceOf(key);
    return fence === undefined ? undefined : { replica: this.#replica.id, fence };
  }

  /**
   * Claims `key` for this replica as its session opens here (`fresh`: a new random session id, which
   * needs no grace). Rejects, saying why, when it is another's, was lost, or cannot be claimed yet.
   */
  async claim(key: string, mode: 'claim' | 'fresh' = 'claim'): Promise<void> {
    const placement = await this.#replica.place(key, mode);
    if (placement.kind !== 'local')
      throw new Error(`berth cluster: could not open the session here (${describe(placement)})`);
  }

  /**
   * The answer for a request of session `key` (its body already read as `body`), or undefined when
   * this replica serves it (it owns the key, or no one does: a request never claims one). A request
   * forwarded by another replica is served here or refused, never forwarded again.
   */
  async route(
    request: Request,
    key: string,
    body: string | undefined,
    rpcId: unknown,
  ): Promise<Response | undefined> {
    const mark = request.headers.get(ROUTE_HEADER);
    if (mark !== null) {
      const path = new URL(request.url).pathname;
      const vouched = verifyRoute(this.#secret, mark, { method: request.method, path, body: body ?? '' });
      if (vouched !== key) return rpcError(403, -32000, 'a forwarded request with a bad route mark', rpcId);
    }
    let placement: Placement;
    try {
      placement = await this.#replica.place(key, 'existing');
    } catch (error) {
      return retry(1_000, `the cluster cannot reach Redis (${messageOf(error)})`, rpcId);
    }
    switch (placement.kind) {
      case 'local':
      case 'unknown': // served here: the gateway answers for a session no one has
        return undefined;
      case 'lost':
        return rpcError(404, -32001, placement.reason, rpcId);
      case 'retry':
        return retry(placement.afterMs, placement.reason, rpcId);
      case 'remote': {
        if (mark !== null || placement.url === undefined) {
          // Its owner moved on, or is dead with its lease still running: ask again shortly.
          return retry(this.#leaseMs, `the session's owner replica is not reachable yet`, rpcId);
        }
        const watch = this.#watchOwner(key, placement.url);
        try {
          return await forwardTo(placement.url, request, body, key, this.#secret, watch.gone);
        } catch (error) {
          if (request.signal.aborted) throw error;
          // The watch found the session lost (and was the one told): this request's client hears it.
          if (watch.verdict?.kind === 'lost') return rpcError(404, -32001, watch.verdict.reason, rpcId);
          if (neverSent(error))
            return retry(
              this.#leaseMs,
              `the session's owner replica could not be reached (${messageOf(error)})`,
              rpcId,
            );
          // Sent, then cut off: it may have run, so the client must not be told to simply repeat it.
          return rpcError(
            502,
            -32000,
            `the session's owner replica stopped answering after the request reached it (${messageOf(error)}): it may have run there; check before repeating it`,
            rpcId,
          );
        } finally {
          await watch.stop();
        }
      }
    }
  }

  /**
   * Watches, while a request forwarded to `url` waits for its answer, that `url` still holds `key`:
   * `gone` aborts once it does not (its lease ran out: the owner died or hangs), so a long call to a
   * living owner is never cut short, and a dead owner's is given up within a lease. Redis trouble
   * meanwhile is no verdict (the owner fences itself if it cannot renew).
   */
  #watchOwner(key: string, url: string): OwnerWatch {
    const gone = new AbortController();
    const stopped = new AbortController();
    const every = Math.max(50, Math.floor(this.#leaseMs / 3));
    let watching: Promise<void> = Promise.resolve();
    const watch: OwnerWatch = {
      gone: gone.signal,
      stop: async () => {
        stopped.abort();
        await watching;
      },
    };
    watching = (async () => {
      for (;;) {
        try {
          await sleep(every, undefined, { signal: stopped.signal });
        } catch {
          return; // stopped
        }
        let placement: Placement;
        try {
          placement = await this.#replica.place(key, 'existing');
        } catch {
          continue;
        }
        // Stopped meanwhile: the answer has started, and aborting now would cut its body.
        if (stopped.signal.aborted) return;
        if (placement.kind === 'remote' && placement.url === url) continue;
        watch.verdict = placement;
        gone.abort(
          new Error(
            placement.kind === 'remote'
              ? 'the owner replica is gone'
              : `the owner replica no longer holds the session (${describe(placement)})`,
          ),
        );
        return;
      }
    })();
    return watch;
  }

  /**
   * Gives up `key` (its session ended here): `free` when its client ended it or it idled out, `lost`
   * when this replica ended it on its own (shutting down): the next request is then told so. Never
   * rejects.
   */
  release(key: string, as: 'free' | 'lost' = 'free'): Promise<void> {
    return this.#replica.release(key, as);
  }

  /** Leaves the cluster: leases released, announcement removed, Redis connection closed. */
  async close(): Promise<void> {
    await this.#replica.close();
    await this.#redis.close();
  }
}

function describe(placement: Placement): string {
  switch (placement.kind) {
    case 'local':
      return 'served here';
    case 'remote':
      return `owned by replica ${placement.replica}`;
    case 'unknown':
      return 'no owner';
    case 'retry':
      return `${placement.reason}; retry in ${retrySeconds(placement.afterMs)} s`;
    case 'lost':
      return placement.reason;
  }
}

function retrySeconds(afterMs: number): number {
  return Math.max(1, Math.ceil(afterMs / 1000));
}

/** Connection errors that mean the request never left: the owner could not be reached at all. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether a failed forward never reached the owner (fetch names the cause of its failure). */
function neverSent(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' && CONNECT_FAILURES.has(cause.code);
}

/** An error's message, with its cause's (fetch says only "fetch failed"; its cause says why). */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

function rpcError(
  status: number,
  code: number,
  message: string,
  id: unknown,
  headers: Record<string, string> = {},
) {
  const rpcId = typeof id === 'string' || typeof id === 'number' ? id : null;
  return new Response(
    JSON.stringify({ jsonrpc: '2.0', id: rpcId, error: { code, message: `berth cluster: ${message}` } }),
    {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    },
  );
}

function retry(afterMs: number, reason: string, id: unknown): Response {
  const seconds = retrySeconds(afterMs);
  return rpcError(503, -32000, `${reason}; retry in ${seconds} s`, id, { 'retry-after': String(seconds) });
}
