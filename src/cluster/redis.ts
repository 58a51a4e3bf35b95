/**
 * The cluster's connection to Redis: the official client (`@redis/client`, an optional peer
 * dependency loaded only when a cluster is configured), set up so that no wait is unbounded. Commands
 * are refused at once while the connection is down (no offline queue: a replica must learn that it
 * cannot reach Redis, not wait for it), each command has a deadline, and the client reconnects by
 * itself with a capped backoff. It owns the client, and the subscriber connections it duplicates
 * from it: `close()` ends them all, and nothing of them is left.
 */
import type { RedisClientType } from '@redis/client';

/** The connection to Redis, as the cluster uses it. */
export interface RedisLink {
  /** Runs one command; rejects when Redis is unreachable or does not answer within the deadline. */
  command<T = unknown>(args: readonly string[]): Promise<T>;
  /** Runs a Lua script (EVALSHA, then EVAL the first time Redis does not know it). */
  script<T = unknown>(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<T>;
  /**
   * Subscribes to `channel` on a connection of its own (a subscribed connection runs no other
   * command), within the connect deadline. It reconnects and subscribes again by itself;
   * `onReady` runs each time it has (re)subscribed, since messages published meanwhile are lost.
   */
  subscribe(channel: string, handlers: SubscribeHandlers): Promise<Subscription>;
  /** Whether the connection is up now. */
  readonly ready: boolean;
  /** Ends the connection (idempotent). */
  close(): Promise<void>;
}

/** What a subscription calls. */
export interface SubscribeHandlers {
  /** Each message, as Redis delivered it. */
  onMessage(message: string): void;
  /** After each (re)subscription, the first included. */
  onReady?(): void;
}

/** A subscribed connection; `close()` ends it (idempotent). */
export interface Subscription {
  close(): void;
}

/** A Lua script and its SHA-1, as Redis names it. */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** Options of the connection. */
export interface RedisLinkOptions {
  /** The `redis://` or `rediss://` URL. */
  url: string;
  /** How long one command may take (ms). */
  commandTimeoutMs: number;
  /** How long the first connection may take (ms); default `commandTimeoutMs`. */
  connectTimeoutMs?: number;
  /** Called with each connection error (the client reconnects by itself). */
  onError?: (error: Error) => void;
}

/** The most a reconnect waits between attempts (ms). */
const MAX_RECONNECT_DELAY_MS = 2_000;

/** Thrown when `@redis/client` is not installed. */
export class RedisClientMissingError extends Error {
  constructor(cause: unknown) {
    super(
      'berth: gateway.cluster needs the Redis client: run `npm install @redis/client` (an optional peer dependency of berth)',
      { cause },
    );
    this.name = 'RedisClientMissingError';
  }
}

/** Connects to Redis; rejects with a clear error when it cannot be reached within `connectTimeoutMs`. */
export async function connectRedis(options: RedisLinkOptions): Promise<RedisLink> {
  let module: typeof import('@redis/client');
  try {
    module = await import('@redis/client');
  } catch (error) {
    throw new RedisClientMissingError(error);
  }
  // The package is CommonJS: its exports may sit on `default` only.
  const api = (module as { default?: typeof module }).default ?? module;
  const client = api.createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs ?? options.commandTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  }) as unknown as RedisClientType;
  // Without a listener an 'error' event would throw; errors are reported, and the client reconnects.
  client.on('error', (error: Error) => options.onError?.(error));
  const link = new Link(client, options);
  try {
    await withDeadline(client.connect(), options.connectTimeoutMs ?? options.commandTimeoutMs, 'connect');
  } catch (error) {
    await link.close();
    throw new Error(`berth: cannot reach Redis at ${redactUrl(options.url)}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return link;
}

class Link implements RedisLink {
  readonly #client: RedisClientType;
  readonly #timeoutMs: number;
  readonly #options: RedisLinkOptions;
  readonly #subscribers = new Set<RedisClientType>();
  #closed = false;

  constructor(client: RedisClientType, options: RedisLinkOptions) {
    this.#client = client;
    this.#options = options;
    this.#timeoutMs = options.commandTimeoutMs;
  }

  async subscribe(channel: string, handlers: SubscribeHandlers): Promise<Subscription> {
    if (this.#closed) throw new Error('berth: the Redis connection is closed');
    // Same URL and socket settings; its own error listener (the client reconnects by itself).
    const client = this.#client.duplicate() as RedisClientType;
    this.#subscribers.add(client);
    const close = () => {
      if (this.#subscribers.delete(client)) client.destroy();
    };
    client.on('error', (error: Error) => this.#options.onError?.(error));
    let subscribed = false;
    // 'ready' comes again after each reconnect, once the client has subscribed again.
    client.on('ready', () => {
      if (subscribed) setImmediate(() => this.#subscribers.has(client) && handlers.onReady?.());
    });
    const deadline = this.#options.connectTimeoutMs ?? this.#timeoutMs;
    try {
      await withDeadline(client.connect(), deadline, 'connect (subscriber)');
      await withDeadline(
        client.subscribe(channel, (message: string) => handlers.onMessage(message)),
        deadline,
        'SUBSCRIBE',
      );
    } catch (error) {
      close();
      throw new Error(
        `berth: cannot subscribe to Redis at ${redactUrl(this.#options.url)}: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
    if (this.#closed) {
      close();
      throw new Error('berth: the Redis connection is closed');
    }
    subscribed = true;
    handlers.onReady?.();
    return { close };
  }

  get ready(): boolean {
    return !this.#closed && this.#client.isReady;
  }

  command<T>(args: readonly string[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('berth: the Redis connection is closed'));
    return withDeadline(this.#client.sendCommand<T>([...args]), this.#timeoutMs, args[0] ?? 'command');
  }

  async script<T>(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.command<T>(['EVALSHA', script.sha1, ...tail]);
    } catch (error) {
      if (!messageOf(error).startsWith('NOSCRIPT')) throw error;
      return this.command<T>(['EVAL', script.source, ...tail]);
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    // destroy(): no QUIT round trip that an unreachable Redis could hold up.
    for (const subscriber of this.#subscribers) subscriber.destroy();
    this.#subscribers.clear();
    this.#client.destroy();
    return Promise.resolve();
  }
}

/**
 * `promise`, or a rejection once `ms` have passed (the timer never outlives the wait). A stall (a
 * busy or paused process) must not turn a prompt answer into a timeout: the client writes commands
 * from the loop's check phase, and Node runs due timers before reading sockets. So a timer that
 * fires more than `ms` late grants one fresh deadline, and the verdict waits for the next I/O phase.
 */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const late = () => reject(new Error(`Redis did not answer ${what} within ${ms} ms`));
    const arm = (mayExtend: boolean) => {
      const due = performance.now() + ms;
      timer = setTimeout(() => {
        if (mayExtend && performance.now() - due > ms) arm(false);
        else setImmediate(late);
      }, ms);
    };
    arm(true);
  });
  // A command that settles after its deadline must not surface as an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid Redis URL>';
  }
}
