/**
 * Session ownership across replicas, in Redis: which replica alone owns each keyed session, for how
 * long, and under which fencing token. Every decision is one Lua script, so it is atomic and reads one
 * clock (Redis's `TIME`); replicas never compare their own clocks.
 *
 * Keys, under `<prefix>`:
 * - `owner:<key>`: `"<replica> <fence>"`, with a TTL of one lease. Present: the session has this
 *   owner. The owner renews it while the session lives and deletes it when the session closes.
 * - `seen:<key>`: the replica that claimed it, kept much longer. An owner that vanishes without
 *   releasing leaves it behind: the next request finds `seen` without `owner` and is told, once, that
 *   the session was lost. An owner that gives a session up itself writes why after its id
 *   (`"<replica> shutdown"`, `"<replica> unconfirmed"`). Once told, it becomes `told`, so a loss mark
 *   the old owner sends late (it was cut off from Redis) is not told a second time.
 * - `fence`: the fencing counter. A claim takes the next value; after Redis lost its data it restarts
 *   from Redis's time in µs, above any token handed out before (clocks move forward).
 * - `epoch`: when this Redis's data began (Redis's time, ms). Created by the first script that finds
 *   it missing. For one lease after it, keys a client chose (2026-era conversation keys) cannot be
 *   claimed afresh: owners whose leases Redis forgot get that long to claim them back, so a session is
 *   never served by its old owner and a new one at once.
 */
import { createHash } from 'node:crypto';
import type { LuaScript, RedisLink } from './redis.js';

function lua(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** Redis's time in ms, and the epoch (created now when missing). Shared by the scripts below. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local since = redis.call('GET', KEYS[4])
if not since then
  redis.call('SET', KEYS[4], now)
  since = now
else
  since = tonumber(since)
end
local function nextFence()
  if redis.call('EXISTS', KEYS[3]) == 0 then
    redis.call('SET', KEYS[3], string.format('%d', now * 1000))
  end
  return redis.call('INCR', KEYS[3])
end
-- Fences are beyond %.14g's exact range: always written as integers.
local function owner(replica, fence) return replica .. ' ' .. string.format('%d', fence) end
`;

/**
 * KEYS: owner, seen, fence, epoch. ARGV: replica, leaseMs, seenMs, mode: 'claim'; 'fresh' (a key no
 * client could have used before, such as a new random session id: no grace needed); 'existing' (look
 * only: a key only its owner creates, such as a 2025-era session id, is never claimed by a request).
 * Returns {'claimed', fence} | {'owned', value} | {'lost', replica} | {'grace', msLeft} | {'none', 0}.
 */
const CLAIM = lua(`${PRELUDE}
local current = redis.call('GET', KEYS[1])
if current then return {'owned', current} end
local seen = redis.call('GET', KEYS[2])
if seen and seen ~= 'told' then
  redis.call('SET', KEYS[2], 'told', 'PX', ARGV[3])
  return {'lost', seen}
end
if ARGV[4] == 'existing' then return {'none', 0} end
local graceEnds = since + tonumber(ARGV[2])
if ARGV[4] ~= 'fresh' and now < graceEnds then return {'grace', graceEnds - now} end
local fence = nextFence()
redis.call('SET', KEYS[1], owner(ARGV[1], fence), 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return {'claimed', fence}
`);

/**
 * Renews a lease this replica holds, or takes it back when Redis forgot it (lost its data) and no
 * one else has it. KEYS: owner, seen, fence, epoch. ARGV: replica, fence, leaseMs, seenMs.
 * Returns {'renewed', fence} | {'reclaimed', newFence} | {'taken', value}.
 */
const RENEW = lua(`${PRELUDE}
local mine = ARGV[1] .. ' ' .. ARGV[2]
local current = redis.call('GET', KEYS[1])
if current == mine then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[4])
  return {'renewed', tonumber(ARGV[2])}
end
if current then return {'taken', current} end
local seen = redis.call('GET', KEYS[2])
if seen and seen ~= ARGV[1] then return {'taken', seen} end
local fence = nextFence()
redis.call('SET', KEYS[1], owner(ARGV[1], fence), 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[4])
return {'reclaimed', fence}
`);

/** KEYS: -, -, fence, epoch. Returns how long ago (ms) the epoch began (0: just now, by this call). */
const EPOCH = lua(`${PRELUDE}
return now - since
`);

/**
 * KEYS: owner, seen. ARGV: replica, fence, mode, seenMs, mark. Ends this replica's lease on a key:
 * `free` (its client ended it: the key is free, nothing to report) or `lost` (this replica stopped
 * serving it on its own: the next request is told so, once, and why: the mark is the seen value). A
 * `lost` mark is also left when Redis has forgotten the lease meanwhile (it lost its data), so the
 * loss is never silent, but not once the loss was told. Returns 1 if it did anything.
 */
const RELEASE = lua(`
local current = redis.call('GET', KEYS[1])
local mine = ARGV[1] .. ' ' .. ARGV[2]
if current == mine then
  redis.call('DEL', KEYS[1])
  if ARGV[3] == 'free' then
    redis.call('DEL', KEYS[2])
  else
    redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4])
  end
  return 1
end
if (not current) and ARGV[3] == 'lost' and redis.call('GET', KEYS[2]) ~= 'told' then
  redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4])
  return 1
end
return 0
`);

/**
 * Why a session was lost, as its next request is told: its lease ran out (`expired`: the owner died,
 * or lost touch with Redis), or the owner gave it up itself as it shut down (`shutdown`) or because
 * it could not renew its lease in time though it runs on (`unconfirmed`).
 */
export type LossCause = 'expired' | 'shutdown' | 'unconfirmed';

const CAUSES: ReadonlySet<string> = new Set<LossCause>(['shutdown', 'unconfirmed']);

/** Who owns a key now. */
export interface Owner {
  replica: string;
  fence: number;
}

/** What a claim found. */
export type ClaimOutcome =
  | { kind: 'claimed'; fence: number }
  | { kind: 'owned'; owner: Owner }
  | { kind: 'lost'; replica: string; cause: LossCause }
  | { kind: 'grace'; retryAfterMs: number }
  | { kind: 'none' };

/** How a claim treats a key no one owns: claim it, claim it without a grace (a fresh random key), or only look. */
export type ClaimMode = 'claim' | 'fresh' | 'existing';

/** What a renewal found. */
export type RenewOutcome =
  { kind: 'renewed'; fence: number } | { kind: 'reclaimed'; fence: number } | { kind: 'taken'; by: string };

/** Timings of the leases. */
export interface LeaseTimings {
  /** How long a lease lives without renewal (ms). */
  leaseMs: number;
  /** How long a claimed key is remembered after its owner stopped renewing it (ms). */
  seenMs: number;
}

/** The lease table of one cluster, in one Redis, under one key prefix. */
export class Leases {
  readonly #redis: RedisLink;
  readonly #prefix: string;
  readonly #timings: LeaseTimings;

  constructor(redis: RedisLink, prefix: string, timings: LeaseTimings) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#timings = timings;
  }

  #keys(key: string): string[] {
    const p = this.#prefix;
    return [`${p}owner:${key}`, `${p}seen:${key}`, `${p}fence`, `${p}epoch`];
  }

  /** Claims `key` for `replica` unless someone owns it, it was lost, or Redis is in its grace period. */
  async claim(key: string, replica: string, mode: ClaimMode = 'claim'): Promise<ClaimOutcome> {
    const { leaseMs, seenMs } = this.#timings;
    const [kind, value] = await this.#redis.script<[string, string | number]>(CLAIM, this.#keys(key), [
      replica,
      String(leaseMs),
      String(seenMs),
      mode,
    ]);
    switch (kind) {
      case 'claimed':
        return { kind, fence: Number(value) };
      case 'owned':
        return { kind, owner: parseOwner(String(value)) };
      case 'lost': {
        // The seen value: the owner's id, and a cause when the owner gave the session up itself.
        const [replica = '', cause] = String(value).split(' ');
        return { kind, replica, cause: cause && CAUSES.has(cause) ? (cause as LossCause) : 'expired' };
      }
      case 'grace':
        return { kind, retryAfterMs: Number(value) };
      case 'none':
        return { kind };
      default:
        throw new Error(`berth: unexpected answer from the claim script: ${String(kind)}`);
    }
  }

  /** Renews (or, after Redis lost its data, takes back) the lease `replica` holds on `key` under `fence`. */
  async renew(key: string, replica: string, fence: number): Promise<RenewOutcome> {
    const { leaseMs, seenMs } = this.#timings;
    const [kind, value] = await this.#redis.script<[string, string | number]>(RENEW, this.#keys(key), [
      replica,
      String(fence),
      String(leaseMs),
      String(seenMs),
    ]);
    if (kind === 'renewed' || kind === 'reclaimed') return { kind, fence: Number(value) };
    if (kind === 'taken') return { kind, by: String(value).split(' ')[0] ?? '' };
    throw new Error(`berth: unexpected answer from the renew script: ${String(kind)}`);
  }

  /**
   * Ends the lease `replica` holds on `key` under `fence`: `free` (the session closed: the key is
   * free, not reported lost) or lost, for `cause` (its next claim is told the session was lost, and
   * why, even if Redis forgot the lease meanwhile).
   */
  async release(
    key: string,
    replica: string,
    fence: number,
    as: 'free' | LossCause = 'free',
  ): Promise<boolean> {
    const [owner, seen] = this.#keys(key);
    const mark = as === 'expired' ? replica : `${replica} ${as}`;
    const released = await this.#redis.script<number>(
      RELEASE,
      [owner!, seen!],
      [replica, String(fence), as === 'free' ? 'free' : 'lost', String(this.#timings.seenMs), mark],
    );
    return released === 1;
  }

  /**
   * How long ago (ms) this Redis's data began for the cluster (the epoch; created now if missing):
   * within one lease of it, client-chosen keys wait out the grace.
   */
  async epochAge(): Promise<number> {
    return Number(await this.#redis.script<number>(EPOCH, this.#keys(''), []));
  }

  /** The current owner of `key`, if any. */
  async owner(key: string): Promise<Owner | undefined> {
    const value = await this.#redis.command<string | null>(['GET', `${this.#prefix}owner:${key}`]);
    return value === null ? undefined : parseOwner(value);
  }
}

function parseOwner(value: string): Owner {
  const space = value.lastIndexOf(' ');
  return { replica: value.slice(0, space), fence: Number(value.slice(space + 1)) };
}
