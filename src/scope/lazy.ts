/**
 * The `lazy` start mode: a runtime that serves a server's part of the catalog from the start cache
 * (its listing from the last time it started) and starts the server only on first use: a request
 * (call, prompt, read, completion), a subscription, an authorization, or `restart()`. With nothing
 * cached it starts the server at once, as an eager one is started. Whenever the server lists (at
 * start, and on every list change) the listing is written back to the cache, and reported to the
 * host as any listing is, so a listing that differs from the cached one is a catalog change.
 *
 * Ownership: this runtime owns the one inner runtime of the server's scope (shared, keyed or
 * per-call). It creates it at most once, synchronously on the first use (so racing first calls
 * share it), starts it, and closes it in its own `close()`; once `close()` began none is created.
 * Until then it owns nothing but the cache read and the cache writes, which `close()` awaits too.
 */
import type { ServerSpec } from '../config/types.js';
import type { BerthError } from '../errors.js';
import type { CachedListing, ListingCache } from '../cache/listing-cache.js';
import type { SendRequest } from '../session/handle.js';
import { notSentError, type ServerState } from '../session/owner.js';
import { settledBy } from '../util/abort.js';
import type {
  KeyedSessions,
  LazyInfo,
  RuntimeObserver,
  ScopedRequestOptions,
  ServerRuntime,
  SessionInfo,
  SharedSession,
} from './runtime.js';

/** What a lazy runtime needs: its cache, its observer, and how to build the server's real runtime. */
export interface LazyDeps {
  cache: ListingCache;
  observer: RuntimeObserver;
  /** Builds the scope's runtime (not started), reporting to `observer`. Called at most once. */
  create(observer: RuntimeObserver): ServerRuntime;
}

/** A server started on first use, its catalog served from the start cache until then. */
export class LazyRuntime implements ServerRuntime {
  readonly spec: ServerSpec;
  readonly shared?: SharedSession;
  readonly keys?: KeyedSessions;
  readonly #deps: LazyDeps;
  /** The scope's runtime, once started; never replaced. */
  #inner: ServerRuntime | undefined;
  #cached: CachedListing | undefined;
  /** The inner runtime's first start, until it settled (never rejects). */
  #firstStart: Promise<void> | undefined;
  /** Requests waiting for that first start. */
  #waitingFirst = 0;
  /** The cache read begun by `start()`. Never rejects. */
  #loading: Promise<void> | undefined;
  #closedReason: string | undefined;
  #state: ServerState = 'stopped';
  /** The state last reported to the observer (the `previous` of the next report). */
  #reported: ServerState = 'stopped';
  #since = Date.now();
  /** The cache write in progress, if any, and whether a newer listing waits for the next one. */
  #writing: Promise<void> | undefined;
  #dirty = false;

  constructor(spec: ServerSpec, deps: LazyDeps) {
    this.spec = spec;
    this.#deps = deps;
    if (spec.session.scope === 'shared') this.shared = this.#sharedSession();
    if (spec.session.scope === 'keyed') {
      this.keys = { closeKey: (key) => this.#inner?.keys?.closeKey(key) ?? Promise.resolve() };
    }
  }

  get name() {
    return this.spec.name;
  }
  get state() {
    return this.#inner?.state ?? this.#state;
  }
  get since() {
    return this.#inner ? this.#inner.since : this.#since;
  }
  get lastError() {
    return this.#inner?.lastError;
  }
  get restarts() {
    return this.#inner?.restarts ?? 0;
  }
  /** The inner runtime's waiting calls, and those waiting for its first start (no session yet). */
  get waiting() {
    return (this.#inner?.waiting ?? 0) + this.#waitingFirst;
  }
  /** The server's own listing once it listed; until then, the cached one. */
  get listing() {
    return this.#inner?.listing ?? this.#cached?.listing;
  }
  get serverInfo() {
    return this.#inner?.serverInfo ?? this.#cached?.serverInfo;
  }
  /** Whether the server was started, and the age of the cached listing it serves until it lists. */
  get lazy(): LazyInfo {
    const cachedAt = this.#inner?.listing ? undefined : this.#cached?.savedAt;
    return { started: this.#inner !== undefined, ...(cachedAt && { cachedAt }) };
  }
  stderrTail() {
    return this.#inner?.stderrTail();
  }
  sessions(): SessionInfo[] {
    return this.#inner?.sessions() ?? [];
  }

  /** Reads the cache: a hit serves the catalog (no process); a miss starts the server. Idempotent. */
  start(): void {
    if (this.#loading || this.#closedReason || this.#inner) return;
    this.#setState('starting');
    this.#loading = this.#load();
  }

  async #load(): Promise<void> {
    const cached = await this.#deps.cache.read(this.spec); // never rejects
    // Closed meanwhile, or a first use (a restart) started the server before the cache answered.
    if (this.#closedReason || this.#inner) return;
    if (!cached) {
      this.#use(); // cold: start as an eager server does, and cache what it lists
      return;
    }
    this.#cached = cached;
    this.#deps.observer.onListing(this, cached.listing);
    this.#setState('ready');
  }

  async settled(): Promise<void> {
    await this.#loading;
    await this.#inner?.settled();
  }

  async request<T>(send: SendRequest<T>, options: ScopedRequestOptions): Promise<T> {
    const inner = this.#use(); // a refusal (closed) is a rejection, never a throw
    // The first requests wait for the first start (within their deadline): a keyed or per-call scope
    // then serves them from the session its start opened instead of opening another one.
    const first = this.#firstStart;
    if (first) {
      this.#waitingFirst += 1;
      try {
        await settledBy(first, options.deadline.at, options.signal);
      } finally {
        this.#waitingFirst -= 1;
      }
    }
    return inner.request(send, options); // past the deadline or aborted: the inner runtime says so
  }

  async restart(): Promise<void> {
    if (this.#closedReason) return;
    if (this.#inner) return this.#inner.restart();
    await this.#use().settled(); // the first start is the restart
  }

  notifyRootsChanged(): void {
    this.#inner?.notifyRootsChanged();
  }

  async close(reason: string, options: { drain?: boolean } = {}): Promise<void> {
    this.#closedReason ??= reason; // from here on, nothing starts
    await this.#loading;
    await this.#inner?.close(reason, options);
    await this.#writing;
    if (!this.#inner && this.#state !== 'stopped') this.#setState('stopped');
  }

  /** The started runtime: created and started on the first use, exactly once. */
  #use(): ServerRuntime {
    if (this.#closedReason) throw notSentError(this.name, this.#closedReason);
    if (this.#inner) return this.#inner;
    const inner = this.#deps.create(this.#innerObserver);
    this.#inner = inner;
    inner.start();
    // Set once (there is one inner runtime); `finally` runs after this assignment.
    this.#firstStart = inner
      .settled()
      .catch(() => {})
      .finally(() => {
        this.#firstStart = undefined;
      });
    return inner;
  }

  /** The inner runtime's reports, as this runtime's; its listings are also written to the cache. */
  readonly #innerObserver: RuntimeObserver = {
    onState: (runtime, _previous, error) => {
      if (runtime === this.#inner) this.#report(error);
    },
    onListing: (runtime, listing) => {
      if (runtime !== this.#inner) return;
      this.#deps.observer.onListing(this, listing);
      this.#save();
    },
    onRestartScheduled: (_runtime, attempt, delayMs) =>
      this.#deps.observer.onRestartScheduled(this, attempt, delayMs),
    onSession: (_runtime, change, key, reason) => this.#deps.observer.onSession(this, change, key, reason),
  };

  #setState(state: ServerState): void {
    this.#state = state;
    this.#since = Date.now();
    this.#report(undefined);
  }

  #report(error: BerthError | undefined): void {
    const previous = this.#reported;
    this.#reported = this.state;
    this.#deps.observer.onState(this, previous, error);
  }

  /**
   * Writes the server's current listing to the cache, one write at a time: listings that change
   * during a write are written once after it, the latest only. A failed write leaves the old file
   * (or none): the next start is then cold, never wrong.
   */
  #save(): void {
    this.#dirty = true;
    if (this.#writing) return; // the write in progress writes it next
    const write = async () => {
      while (this.#dirty) {
        this.#dirty = false;
        const inner = this.#inner;
        if (!inner?.listing) break;
        await this.#deps.cache.write(this.spec, inner.listing, inner.serverInfo).catch(() => {});
      }
    };
    // `finally` runs after this assignment, even when there is nothing to write.
    this.#writing = write().finally(() => {
      this.#writing = undefined;
    });
  }

  #sharedSession(): SharedSession {
    const shared = (): SharedSession => {
      const session = this.#use().shared;
      if (!session) throw new Error(`${this.name}: the shared scope's runtime has no shared session (a bug)`);
      return session;
    };
    const inner = () => this.#inner?.shared;
    return {
      get pid() {
        return inner()?.pid;
      },
      get protocolVersion() {
        return inner()?.protocolVersion;
      },
      get protocolEra() {
        return inner()?.protocolEra;
      },
      get serverInfo() {
        return inner()?.serverInfo;
      },
      get openMs() {
        return inner()?.openMs;
      },
      subscribe: async (uri, options) => shared().subscribe(uri, options),
      // Never started: there is no subscription to end.
      unsubscribe: async (uri, options) => inner()?.unsubscribe(uri, options),
      finishAuthorization: async (callback) => shared().finishAuthorization(callback),
    };
  }
}
