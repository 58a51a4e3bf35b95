/**
 * The status page's server-sent event streams: the one owner of every open stream, its timers and
 * its wake-ups. Each stream carries `snapshot` events (the whole page state, as JSON) and heartbeat
 * comments. Changes are coalesced: a burst of host events or calls becomes one snapshot per
 * `coalesceMs`, built once for every stream. A stream holds at most one chunk queued: when its client
 * reads slowly, it is marked out of date and gets the latest snapshot when it reads again, never a
 * backlog. Streams are capped; a client that goes away frees its stream at once; `close()` ends all.
 */

/** Tuning of the status streams. */
export interface StreamOptions {
  /** Streams open at once; beyond it `open` refuses. */
  maxStreams: number;
  /** How often a comment is sent on a quiet stream (so proxies and clients see it is alive). */
  heartbeatMs: number;
  /** How long changes are gathered into one snapshot. */
  coalesceMs: number;
  /** How often the snapshot is rebuilt anyway (in-flight counts change without an event). */
  refreshMs: number;
}

/** The defaults of {@link StreamOptions}. */
export const STREAM_DEFAULTS: StreamOptions = {
  maxStreams: 16,
  heartbeatMs: 15_000,
  coalesceMs: 200,
  refreshMs: 2_000,
};

/** Why a stream could not be opened. */
export type StreamRefusal = 'full' | 'closed';

interface Stream {
  controller?: ReadableStreamDefaultController<Uint8Array>;
  /** A newer snapshot may exist than the one sent. */
  dirty: boolean;
  /** A heartbeat is due. */
  ping: boolean;
  done: boolean;
  /** The snapshot last sent, to skip sending the same again. */
  sent?: string;
  /** When its sign-in ends: the stream ends then (the client must sign in again to reconnect). */
  expiresAt?: number;
  wake?: () => void;
  stopAbort?: () => void;
}

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(': heartbeat\n\n');

/** The open status streams of one gateway. */
export class StatusStreams {
  readonly #options: StreamOptions;
  readonly #snapshot: () => string;
  readonly #streams = new Set<Stream>();
  #cached: string | undefined;
  #flush: NodeJS.Timeout | undefined;
  #refresh: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  /** `snapshot` builds the page state as JSON; it is called at most once per change batch. */
  constructor(snapshot: () => string, options: Partial<StreamOptions> = {}) {
    this.#snapshot = snapshot;
    this.#options = { ...STREAM_DEFAULTS, ...options };
  }

  /** Streams open now. */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * Opens a stream that starts with the current snapshot. It ends when `signal` aborts (the client
   * went away), at `expiresAt`, or when the streams close.
   */
  open(signal: AbortSignal, expiresAt?: number): ReadableStream<Uint8Array> | StreamRefusal {
    if (this.#closed) return 'closed';
    if (this.#streams.size >= this.#options.maxStreams) return 'full';
    const stream: Stream = { dirty: true, ping: false, done: false, ...(expiresAt && { expiresAt }) };
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          stream.controller = controller;
          // How long a browser waits before reconnecting after the stream ends.
          controller.enqueue(encoder.encode('retry: 2000\n\n'));
        },
        pull: (controller) => this.#pull(stream, controller),
        cancel: () => this.#end(stream),
      },
      { highWaterMark: 1 },
    );
    this.#streams.add(stream);
    this.#cached = undefined; // the count of streams is on the page
    const onAbort = () => this.#end(stream);
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      stream.stopAbort = () => signal.removeEventListener('abort', onAbort);
    }
    this.#startTimers();
    return body;
  }

  /** Something on the page changed: every stream gets a new snapshot within `coalesceMs`. */
  changed(): void {
    this.#cached = undefined;
    if (this.#flush || this.#closed || this.#streams.size === 0) return;
    this.#flush = setTimeout(() => {
      this.#flush = undefined;
      this.#markAll('dirty');
    }, this.#options.coalesceMs);
  }

  /** The current snapshot (JSON), rebuilt only after a change. */
  current(): string {
    return (this.#cached ??= this.#snapshot());
  }

  /** Ends every stream and stops every timer; later `open`s are refused. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const stream of [...this.#streams]) this.#end(stream);
    this.#stopTimers();
  }

  async #pull(stream: Stream, controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (stream.done) return;
      if (stream.dirty) {
        stream.dirty = false;
        const text = this.current();
        if (text !== stream.sent) {
          stream.sent = text;
          controller.enqueue(encoder.encode(`event: snapshot\ndata: ${text}\n\n`));
          return;
        }
        continue;
      }
      if (stream.ping) {
        stream.ping = false;
        controller.enqueue(HEARTBEAT);
        return;
      }
      await new Promise<void>((resolve) => (stream.wake = resolve));
      stream.wake = undefined;
    }
  }

  #markAll(what: 'dirty' | 'ping'): void {
    const now = Date.now();
    for (const stream of [...this.#streams]) {
      if (stream.expiresAt !== undefined && stream.expiresAt <= now) {
        this.#end(stream);
        continue;
      }
      stream[what] = true;
      stream.wake?.();
    }
  }

  #end(stream: Stream): void {
    if (stream.done) return;
    stream.done = true;
    this.#streams.delete(stream);
    this.#cached = undefined;
    stream.stopAbort?.();
    try {
      stream.controller?.close();
    } catch {
      // already closed or cancelled
    }
    stream.wake?.();
    if (this.#streams.size === 0) this.#stopTimers();
  }

  #startTimers(): void {
    if (this.#refresh) return;
    this.#refresh = setInterval(() => {
      this.#cached = undefined;
      this.#markAll('dirty');
    }, this.#options.refreshMs);
    this.#heartbeat = setInterval(() => this.#markAll('ping'), this.#options.heartbeatMs);
  }

  #stopTimers(): void {
    clearTimeout(this.#flush);
    clearInterval(this.#refresh);
    clearInterval(this.#heartbeat);
    this.#flush = this.#refresh = this.#heartbeat = undefined;
  }
}
