/**
 * The cluster's event channel: what one replica tells the others, over Redis pub/sub on
 * `<prefix>:events`. Two kinds: a config a replica applied on its own (its raw, unexpanded form, a
 * hash of it, and a version from a counter in Redis that only grows), and a change of a replica's
 * served lists (tools, prompts, resources). Every message is signed with an HMAC under the cluster
 * secret; one that is forged, malformed or too large is dropped, reported, and never handed on.
 *
 * The latest config is also kept in Redis (`<prefix>:config`, the same signed record), with the
 * hashes of the configs published before it (`<prefix>:config:seen`), so that a replica that missed
 * a message (it was down, starting, or reconnecting) converges. It has Redis connections of its own
 * (one for commands, one subscribed), apart from the leases' (a large config never delays a lease's
 * renewal), and closes both on `close()`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { connectRedis, type LuaScript, type RedisLink, type Subscription } from './redis.js';

/** A config as one replica published it. */
export interface ConfigRecord {
  type: 'config';
  /** The replica that applied it on its own. */
  replica: string;
  /** Its place in the cluster's order of configs (higher is later). */
  version: number;
  /** SHA-256 of the config's canonical JSON (see `configHash`). */
  hash: string;
  /** The config as written: `${VAR}` references unexpanded, no `gateway` section. */
  config: Record<string, unknown>;
}

/** A change of one replica's served lists. */
export interface ListsRecord {
  type: 'lists';
  replica: string;
  /** The hash of the config that replica runs. */
  configHash: string;
  /** Which lists changed. */
  changed: Array<'tools' | 'prompts' | 'resources'>;
  /** A digest of each of its lists now. */
  digests: Record<'tools' | 'prompts' | 'resources', string>;
}

/** What arrives on the channel. */
export type ClusterMessage = ConfigRecord | ListsRecord;

/** Why a message was dropped. */
export type Rejection = 'forged' | 'malformed' | 'too large';

/** The largest message a replica reads (bytes of its text): a config is a few kilobytes. */
export const MAX_MESSAGE_CHARS = 1024 * 1024;

/** Thrown by `publishConfig` for a config over `MAX_MESSAGE_CHARS`: it is not shared (retrying will not help). */
export class ConfigTooLargeToShareError extends Error {
  constructor(chars: number) {
    super(
      `the config is too large to share with the other replicas (${chars} characters signed; at most ${MAX_MESSAGE_CHARS}): they keep theirs`,
    );
    this.name = 'ConfigTooLargeToShareError';
  }
}

/** How many superseded config hashes are remembered (for a restarted replica's precedence). */
const SEEN_KEPT = 1000;

/** Options of the channel. */
export interface ClusterEventsOptions {
  /** Key prefix, with its trailing `:`. */
  prefix: string;
  secret: string;
  /** This replica (its own messages are not handed back). */
  replica: string;
}

/** Where the channel connects. */
export interface ClusterEventsConnection {
  /** The Redis URL. */
  redis: string;
  /** How long one command may take (ms). */
  commandTimeoutMs: number;
  /** How long connecting and subscribing may take (ms). */
  connectTimeoutMs: number;
  /** Reports Redis trouble (never with a secret in it). */
  onError?: (error: Error) => void;
}

/** Who follows the channel (see `ClusterEvents.listen`). */
export interface ClusterEventsListener {
  /** Each valid message from another replica. */
  onMessage(message: ClusterMessage): void;
  /** After each resubscription (a reconnect): messages may have been missed. */
  onReady(): void;
  /** A dropped message (never with its content). */
  onRejected(reason: Rejection, detail: string): void;
}

function lua(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * The next config version: a counter that only grows, restarting above Redis's time in µs when Redis
 * lost it (so a message signed for an older cluster can never look newer). KEYS: counter.
 */
const NEXT_VERSION = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], string.format('%d', tonumber(t[1]) * 1000000 + tonumber(t[2])))
end
return redis.call('INCR', KEYS[1])
`);

/**
 * Publishes a config record unless a later one is already the latest (two replicas changed at once:
 * the later version wins everywhere). KEYS: latest (hash), seen (sorted set). ARGV: version, wire,
 * channel, config hash, how many seen hashes to keep. Returns 1 (published) or 0 (superseded).
 */
const PUBLISH_CONFIG = lua(`
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local version = tonumber(ARGV[1])
if version <= current then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'record', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
`);

/** One replica's end of the channel. */
export class ClusterEvents {
  readonly #redis: RedisLink;
  readonly #options: ClusterEventsOptions;
  #subscription: Subscription | undefined;
  #listener: ClusterEventsListener | undefined;
  /** The connection it opened itself (`connect`), closed with it. */
  #owned: RedisLink | undefined;

  private constructor(redis: RedisLink, options: ClusterEventsOptions) {
    this.#redis = redis;
    this.#options = options;
  }

  /**
   * Connects to Redis on connections of its own and subscribes, within `connectTimeoutMs`; rejects
   * with a clear error when Redis cannot be reached. `close()` ends both connections.
   */
  static async connect(
    connection: ClusterEventsConnection,
    options: ClusterEventsOptions,
  ): Promise<ClusterEvents> {
    const redis = await connectRedis({
      url: connection.redis,
      commandTimeoutMs: connection.commandTimeoutMs,
      connectTimeoutMs: connection.connectTimeoutMs,
      ...(connection.onError && { onError: connection.onError }),
    });
    try {
      const events = await ClusterEvents.start(redis, options);
      events.#owned = redis;
      return events;
    } catch (error) {
      await redis.close();
      throw error;
    }
  }

  /** Subscribes on a connection duplicated from `redis` (which stays the caller's to close). */
  static async start(redis: RedisLink, options: ClusterEventsOptions): Promise<ClusterEvents> {
    const events = new ClusterEvents(redis, options);
    events.#subscription = await redis.subscribe(events.#channel, {
      onMessage: (message) => events.#receive(message),
      onReady: () => events.#listener?.onReady(),
    });
    return events;
  }

  /**
   * Hands every message from now on to `listener` (one listener; messages before it are not kept:
   * the listener starts from `latestConfig()`). Returns the function that stops it.
   */
  listen(listener: ClusterEventsListener): () => void {
    this.#listener = listener;
    return () => {
      if (this.#listener === listener) this.#listener = undefined;
    };
  }

  get #channel(): string {
    return `${this.#options.prefix}events`;
  }

  /**
   * Publishes a config this replica applied on its own. Resolves with its record, or undefined when
   * a later one was published meanwhile (that one wins; it arrives as a message).
   */
  async publishConfig(hash: string, config: Record<string, unknown>): Promise<ConfigRecord | undefined> {
    const prefix = this.#options.prefix;
    const version = Number(await this.#redis.script(NEXT_VERSION, [`${prefix}config:version`], []));
    const record: ConfigRecord = { type: 'config', replica: this.#options.replica, version, hash, config };
    const wire = this.#seal(record);
    if (wire.length > MAX_MESSAGE_CHARS) throw new ConfigTooLargeToShareError(wire.length);
    const published = await this.#redis.script<number>(
      PUBLISH_CONFIG,
      [`${prefix}config`, `${prefix}config:seen`],
      [String(version), wire, this.#channel, hash, String(SEEN_KEPT)],
    );
    return Number(published) === 1 ? record : undefined;
  }

  /** Tells the other replicas that this replica's served lists changed. */
  async publishLists(record: Omit<ListsRecord, 'type' | 'replica'>): Promise<void> {
    const wire = this.#seal({ type: 'lists', replica: this.#options.replica, ...record });
    await this.#redis.command(['PUBLISH', this.#channel, wire]);
  }

  /** The latest config published in the cluster, if any (a forged or malformed one is reported and ignored). */
  async latestConfig(): Promise<ConfigRecord | undefined> {
    const wire = await this.#redis.command<string | null>([
      'HGET',
      `${this.#options.prefix}config`,
      'record',
    ]);
    if (wire === null) return undefined;
    const message = this.#open(wire);
    return message?.type === 'config' ? message : undefined;
  }

  /** The version of the latest config published in the cluster (0: none). */
  async latestVersion(): Promise<number> {
    const version = await this.#redis.command<string | null>([
      'HGET',
      `${this.#options.prefix}config`,
      'version',
    ]);
    return version === null ? 0 : Number(version);
  }

  /** Whether a config with this hash was published in this cluster before (and is still remembered). */
  async published(hash: string): Promise<boolean> {
    const score = await this.#redis.command<string | null>([
      'ZSCORE',
      `${this.#options.prefix}config:seen`,
      hash,
    ]);
    return score !== null;
  }

  /** Unsubscribes: the subscribed connection is closed, and the connection it opened. Idempotent. */
  close(): void {
    this.#listener = undefined;
    this.#subscription?.close();
    this.#subscription = undefined;
    void this.#owned?.close(); // destroys at once
    this.#owned = undefined;
  }

  #receive(wire: string): void {
    const message = this.#open(wire);
    if (message && message.replica !== this.#options.replica) this.#listener?.onMessage(message);
  }

  /** `<signature>.<json>`: the signature covers the cluster's prefix and the JSON. */
  #seal(message: ClusterMessage): string {
    const body = JSON.stringify(message);
    return `${this.#sign(body)}.${body}`;
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#options.secret)
      .update(`berth-cluster-event\n${this.#options.prefix}\n${body}`)
      .digest('base64url');
  }

  /** The message in `wire`, or undefined (reported) when it is too large, not signed by the cluster, or malformed. */
  #open(wire: string): ClusterMessage | undefined {
    const reject = (reason: Rejection, detail: string) => {
      this.#listener?.onRejected(reason, detail);
      return undefined;
    };
    if (wire.length > MAX_MESSAGE_CHARS) return reject('too large', `${wire.length} characters`);
    const dot = wire.indexOf('.');
    if (dot <= 0) return reject('malformed', 'no signature');
    const given = Buffer.from(wire.slice(0, dot), 'base64url');
    const body = wire.slice(dot + 1);
    const expected = Buffer.from(this.#sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return reject('forged', 'its signature does not match the cluster secret');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return reject('malformed', 'not JSON');
    }
    const problem = shapeProblem(parsed);
    return problem ? reject('malformed', problem) : (parsed as ClusterMessage);
  }
}

const LISTS = ['tools', 'prompts', 'resources'] as const;

/** What is wrong with a signed message's shape, if anything (a replica of another berth version). */
function shapeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not an object';
  if (typeof value.replica !== 'string' || value.replica === '') return 'no replica';
  if (value.type === 'config') {
    if (!Number.isSafeInteger(value.version) || (value.version as number) <= 0) return 'no version';
    if (typeof value.hash !== 'string' || !/^[0-9a-f]{64}$/.test(value.hash)) return 'no hash';
    if (!isObject(value.config)) return 'no config';
    if (configHash(value.config) !== value.hash) return 'its hash does not match its config';
    return undefined;
  }
  if (value.type === 'lists') {
    if (typeof value.configHash !== 'string') return 'no config hash';
    if (!Array.isArray(value.changed) || !value.changed.every((c) => LISTS.includes(c as never)))
      return 'no list changes';
    if (!isObject(value.digests) || !LISTS.every((l) => typeof (value.digests as never)[l] === 'string'))
      return 'no digests';
    return undefined;
  }
  return 'an unknown type';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The hash of a config as the cluster compares them: SHA-256 of its JSON with object keys sorted, so
 * that two copies of one config (comments, order, spacing aside) have the same hash.
 */
export function configHash(config: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** JSON with every object's keys sorted. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** A digest of a text (a served list's fingerprint), short enough for a message. */
export function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
