/**
 * `SessionOwner`: the single owner of one server's session. Its supervision loop is the only code that
 * opens a connection and the only code that closes one; everyone else asks the owner. `close()`,
 * `restart()` and calls only signal the loop and await it, so a close from any caller at any moment
 * (during connect, mid-request, twice, concurrently) cannot race the loop's own cleanup.
 *
 * The loop: open (under the startup deadline) → ready → wait for the connection to end, a restart
 * request, or stop → close what it opened → back off and reopen, up to the restart limit → `failed`.
 */
import { resourceSubscriptions } from './subscriptions.js';
import type {
  Implementation,
  Progress,
  FetchLike,
  AuthProvider,
  OAuthClientProvider,
} from '@modelcontextprotocol/client';
import type { ServerSpec } from '../config/types.js';
import {
  BerthError,
  CallAbortedError,
  CallTimeoutError,
  ServerError,
  ServerUnavailableError,
  SessionClosedError,
  type ServerPhase,
} from '../errors.js';
import { delay, onAbort, settleWithin } from '../util/abort.js';
import type { ClientFeatures, Connection, Listing, PendingAuthorization } from './connection.js';
import { EraMemory } from './era.js';
import type { ServerState } from '../state.js';
import type { SendRequest, SessionHandle } from './handle.js';
import type * as SdkSideModule from './sdk-side.js';
import { lazyModule } from '../util/lazy-module.js';
import type { Deadline } from '../util/deadline.js';
import type { ClientTelemetry } from '../telemetry/types.js';

export type { ServerState } from '../state.js';

/**
 * Where a remote server's credentials come from: asked once, when a session first opens (the SDK's
 * providers are made then, with the SDK), and the same provider for every session of the server.
 */
export type AuthSource = () => Promise<AuthProvider | OAuthClientProvider | undefined>;

/** What `./sdk-side.ts` exports. */
type SdkSide = typeof SdkSideModule;

/** What an owner reports to whoever observes it (the host). Called synchronously; must not throw. */
export interface OwnerObserver {
  onState(owner: SessionOwner, previous: ServerState, error: BerthError | undefined): void;
  /** A listing arrived: the whole of it on open (`changed` = `listing`), or a list that changed. */
  onListing(owner: SessionOwner, listing: Listing, changed: Partial<Listing>): void;
  onRestartScheduled(owner: SessionOwner, attempt: number, delayMs: number): void;
  /** The last in-flight request finished. */
  onIdle?(owner: SessionOwner): void;
}

/** How an owner is built. */
export interface OwnerOptions {
  clientInfo: Implementation;
  observer: OwnerObserver;
  /** Fetch the server's lists on every open (default true). Scoped sessions reuse their server's listing. */
  fetchListing?: boolean;
  /** Client-side features (roots, sampling, elicitation, notifications) offered on every session. */
  features?: ClientFeatures;
  /** Shared era memory (scoped sessions of one server share one); by default the owner keeps its own. */
  era?: EraMemory;
  /** The `fetch` for remote transports. */
  fetch?: FetchLike;
  /** Credentials for a remote server. */
  authProvider?: AuthSource;
  /** Traces and measures the session's requests (absent without `@opentelemetry/api`). */
  telemetry?: ClientTelemetry;
}

/** Per-request options the owner understands. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Deadline for the whole request, including waiting for the server to be ready; set once by the caller. */
  deadline: Deadline;
  onProgress?: (progress: Progress) => void;
}

/** A `SessionClosedError` for a request that was refused before anything was sent. */
export type NotSentError = SessionClosedError & { readonly notSent: true };

/**
 * The error for a request refused before anything was sent, because its session (or runtime) was
 * closed: the server never saw it, so the caller may send it elsewhere (to a replacement) unchanged.
 */
export function notSentError(server: string, reason: string, options?: { cause?: unknown }): NotSentError {
  return new SessionClosedError(server, reason, { ...options, notSent: true }) as NotSentError;
}

/** Whether `error` says its request was never sent (see `notSentError`). */
export function isNotSent(error: unknown): error is NotSentError {
  return error instanceof SessionClosedError && error.notSent;
}

/**
 * The delay before restart `attempt` (1-based) under `policy`: `initialDelayMs` doubling per attempt
 * up to `maxDelayMs`, with jitter (between half and all of that ceiling).
 */
export function backoffDelayMs(policy: ServerSpec['restart'], attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

interface Waiter {
  resolve(connection: Connection): void;
  reject(error: Error): void;
}

/** Supervises one server: opens, watches, restarts and finally closes its connection. */
export class SessionOwner {
  readonly spec: ServerSpec;
  readonly #clientInfo: Implementation;
  readonly #observer: OwnerObserver;

  #state: ServerState;
  #since = Date.now();
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #stopReason = 'host closed';
  /** Aborted by `restart()` or `close()` to end the current cycle; replaced each cycle. */
  #cycle = new AbortController();
  #current: Connection | undefined;
  #listing: Listing | undefined;
  #lastError: BerthError | undefined;
  #restarts = 0;
  #pid: number | undefined;
  /** How long the current (or last) successful open took, in ms. */
  #openMs: number | undefined;
  readonly #waiters = new Set<Waiter>();
  readonly #settledWaiters = new Set<() => void>();
  readonly #fetchListing: boolean;
  readonly #features: ClientFeatures | undefined;
  readonly #era: EraMemory;
  readonly #fetch: FetchLike | undefined;
  readonly #auth: AuthSource | undefined;
  /** The credentials `#auth` gave, once a session opened. */
  #authProvider: AuthProvider | OAuthClientProvider | undefined;
  readonly #telemetry: ClientTelemetry | undefined;
  /** An OAuth code flow the last open started, waiting for `finishAuthorization`. */
  #pendingAuthorization: PendingAuthorization | undefined;
  /** Resource URIs subscribed to; every new session subscribes to them again. */
  readonly #subscriptions = new Set<string>();
  #inFlight = 0;
  /** Requests sent on the current (or last) connection since it became ready. */
  #sent = 0;
  #lastUsed = Date.now();
  readonly #idleWaiters = new Set<() => void>();

  constructor(spec: ServerSpec, options: OwnerOptions) {
    this.spec = spec;
    this.#clientInfo = options.clientInfo;
    this.#observer = options.observer;
    this.#fetchListing = options.fetchListing ?? true;
    this.#features = options.features;
    this.#era = options.era ?? new EraMemory();
    this.#fetch = options.fetch;
    this.#auth = options.authProvider;
    this.#telemetry = options.telemetry;
    this.#state = spec.disabled ? 'disabled' : 'stopped';
  }

  /**
   * The key this session serves (keyed scope), set by the keyed runtime when a key takes it; server
   * requests (sampling, elicitation, roots) carry it to the host's handlers.
   */
  key: string | undefined;

  /** Requests started and not yet finished (including those waiting for readiness). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * How many requests were sent on the current (or, once it ended, the last) connection since it
   * became ready. 0 for a session that died before serving anything.
   */
  get sentSinceReady(): number {
    return this.#sent;
  }

  /** When the last request started or finished (ms since epoch). */
  get lastUsed(): number {
    return this.#lastUsed;
  }

  /** Resolves when no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.add(resolve));
  }

  /** The server's name. */
  get name(): string {
    return this.spec.name;
  }

  get state(): ServerState {
    return this.#state;
  }

  /** When the current state began (ms since epoch). */
  get since(): number {
    return this.#since;
  }

  /** The last error the server produced, if any (kept after recovery, for status). */
  get lastError(): BerthError | undefined {
    return this.#lastError;
  }

  /** The most recent listing; survives restarts so the catalog stays stable while reconnecting. */
  get listing(): Listing | undefined {
    return this.#listing;
  }

  /** How many times the session has been reopened after it was first ready. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The protocol version the current session negotiated (e.g. `2025-11-25`, `2026-07-28`). */
  get protocolVersion(): string | undefined {
    return this.#current?.client.getNegotiatedProtocolVersion();
  }

  /** The `serverInfo` the current session's server introduced itself with (name, version, …). */
  get serverInfo(): Implementation | undefined {
    return this.#current?.client.getServerVersion();
  }

  /** The protocol era of the current session: `legacy` (2025 `initialize`) or `modern` (`server/discover`). */
  get protocolEra(): 'legacy' | 'modern' | undefined {
    return this.#current?.client.getProtocolEra();
  }

  /**
   * How long the current (or last) session took to open, in ms: spawning or connecting, the MCP
   * handshake and the first listing. Undefined until a session has opened.
   */
  get openMs(): number | undefined {
    return this.#openMs;
  }

  /** The current server process id (stdio), if one is running. */
  get pid(): number | undefined {
    return this.#current?.process?.pid ?? this.#pid;
  }

  /** The last `lines` lines of the current (or last) process's stderr. */
  stderrTail(lines = 20): string | undefined {
    const fromError = this.#lastError instanceof ServerError ? this.#lastError.stderrTail : undefined;
    return this.#current?.process?.stderr.lastLines(lines) || fromError;
  }

  /** Starts the supervision loop. Idempotent; a disabled or closed owner stays as it is. */
  start(): void {
    if (this.#loop || this.#stop.signal.aborted || this.spec.disabled) return;
    this.#loop = this.#supervise().catch((error: unknown) => {
      // The loop handles its own failures; reaching here is a bug. Record it rather than crash the host.
      this.#lastError = new ServerError(
        { server: this.name, phase: 'idle', reason: 'supervisor failed' },
        { cause: error },
      );
      this.#setState('failed');
    });
  }

  /** Resolves once the server is ready, failed, or stopped (what `createHost` waits for). */
  settled(): Promise<void> {
    if (this.#isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.add(resolve));
  }

  #isSettled(): boolean {
    return this.#state !== 'starting' && this.#state !== 'restarting';
  }

  /** Asks the loop to reopen the session: from `failed`, or to recycle a running one. */
  async restart(): Promise<void> {
    if (this.#stop.signal.aborted || this.spec.disabled) return;
    if (!this.#loop) {
      this.start();
      return this.settled();
    }
    // Resolve on the next transition into a settled state, not on the current one.
    const next = new Promise<void>((resolve) => this.#settledWaiters.add(resolve));
    this.#cycle.abort();
    await next;
  }

  /**
   * Stops the loop and waits until it has closed everything it opened. With `drainMs`, first waits
   * (that long at most) for in-flight requests to finish, so they complete rather than fail.
   * Idempotent; concurrent callers share the one stop.
   */
  async close(reason = 'host closed', options: { drainMs?: number } = {}): Promise<void> {
    if (options.drainMs && this.#inFlight > 0 && !this.#stop.signal.aborted) {
      await settleWithin(this.whenIdle(), options.drainMs);
    }
    if (!this.#stop.signal.aborted) {
      this.#stopReason = reason;
      this.#stop.abort(new SessionClosedError(this.name, reason));
      this.#cycle.abort(); // ends whatever the loop is waiting on: a live session, a backoff, a failed park
      // Callers waiting for readiness learn at once (nothing of theirs was sent); in-flight requests
      // end when the loop closes.
      this.#rejectWaiters(notSentError(this.name, reason));
    }
    await this.#loop;
    await this.#pendingAuthorization?.discard();
    this.#pendingAuthorization = undefined;
    if (this.#state !== 'disabled') this.#setState('stopped');
  }

  /**
   * Finishes the OAuth authorization a connect started (state `unauthorized`): exchanges the code (or
   * the callback query) on the transport that began the flow, then reconnects with the new tokens.
   */
  async finishAuthorization(callback: string | URLSearchParams): Promise<void> {
    const pending = this.#pendingAuthorization;
    if (!pending) {
      throw new ServerUnavailableError(this.name, this.#state, { detail: 'no authorization is pending' });
    }
    this.#pendingAuthorization = undefined;
    try {
      await pending.finish(callback);
    } finally {
      await pending.discard();
    }
    if (pending.reconnect) await this.restart();
  }

  /** Tells the current session that the client's roots changed (`notifications/roots/list_changed`). */
  notifyRootsChanged(): void {
    this.#current?.client.sendRootsListChanged().catch(() => {}); // a session that just closed needs no news
  }

  /** Subscribes to updates of a resource, now and on every session this owner opens later. */
  async subscribe(uri: string, options: RequestOptions): Promise<void> {
    this.#subscriptions.add(uri);
    await this.request((session, timeout) => session.subscribeResource({ uri }, { timeout }), options);
  }

  /** Ends a subscription. */
  async unsubscribe(uri: string, options: RequestOptions): Promise<void> {
    if (!this.#subscriptions.delete(uri)) return;
    await this.request((session, timeout) => session.unsubscribeResource({ uri }, { timeout }), options);
  }

  /** A reopened session subscribes again to what its predecessor was subscribed to. */
  #resubscribe(connection: Connection): void {
    for (const uri of this.#subscriptions) {
      // Reported by the next explicit request, if it fails.
      resourceSubscriptions(connection.client)
        .subscribe(uri)
        .catch(() => {});
    }
  }

  /**
   * Runs `send` on a request-only handle of the ready session, with the time its deadline leaves, and
   * turns failures into berth errors: timeouts, aborts, the server dying mid-request, or the owner
   * closing the session. The caller never gets the connection itself.
   */
  async request<T>(send: SendRequest<T>, options: RequestOptions): Promise<T> {
    const { deadline, signal } = options;
    this.#inFlight += 1;
    this.#lastUsed = Date.now();
    try {
      // A closing owner sends nothing more, even on the connection it is about to close.
      let connection =
        (!this.#stop.signal.aborted && this.#current) || (await this.#whenReady(deadline, signal));
      this.#assertTimeLeft(deadline);
      try {
        if (connection === this.#current) this.#sent += 1;
        return await send(handleOf(connection), deadline.left());
      } catch (error) {
        const sdk = loadedSdkSide();
        if (this.#authProvider && sdk.isUnauthorized(error)) throw this.#stepUp(connection, error);
        if (!sdk.isExpiredSession(error)) throw await this.#requestError(error, connection, deadline, signal);
        // The remote server no longer knows this session (it restarted): open a new one and retry once.
        if (this.#current === connection) this.#cycle.abort();
      }
      connection = await this.#whenReady(deadline, signal, connection);
      this.#assertTimeLeft(deadline);
      try {
        if (connection === this.#current) this.#sent += 1;
        return await send(handleOf(connection), deadline.left());
      } catch (error) {
        throw await this.#requestError(error, connection, deadline, signal);
      }
    } finally {
      this.#lastUsed = Date.now();
      if (--this.#inFlight === 0) {
        for (const resolve of this.#idleWaiters) resolve();
        this.#idleWaiters.clear();
        this.#observer.onIdle?.(this);
      }
    }
  }

  /**
   * A request whose deadline has passed is never sent: the time ran out before it reached a session
   * (an interceptor, a wait for a slot or a server being added took it), so the caller learns that
   * nothing was sent, instead of the request going out with a 1 ms timeout and maybe running anyway.
   */
  #assertTimeLeft(deadline: Deadline): void {
    if (deadline.passed) throw new CallTimeoutError(this.name, deadline.timeoutMs, false);
  }

  /**
   * A call on a live session was refused for lack of authorization (403 `insufficient_scope`): the
   * transport has begun a new authorization. Keep it pending on this session for `finishAuthorization`,
   * and tell the caller to finish it and call again (the server refused the call: it did not run).
   */
  #stepUp(connection: Connection, error: unknown): ServerError {
    const pending = connection.authorization();
    if (pending) {
      void this.#pendingAuthorization?.discard();
      this.#pendingAuthorization = pending;
    }
    const reason = 'needs more authorization for this call: finish it with finishAuth(), then call again';
    return new ServerError(
      { server: this.name, phase: 'call', reason, needsAuthorization: true },
      { cause: error },
    );
  }

  async #requestError(
    error: unknown,
    connection: Connection,
    deadline: Deadline,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (signal?.aborted) return new CallAbortedError(this.name, { cause: signal.reason });
    if (connection.hasEnded) {
      if (connection.closeReason) {
        return new SessionClosedError(
          this.name,
          `${connection.closeReason} while the request was in flight`,
          { cause: error },
        );
      }
      const details = await connection.failureDetails('call');
      const failure = connection.transportFailure;
      const reason = failure
        ? `${failure.message}; the session was closed`
        : 'exited while the request was in flight';
      return new ServerError({ ...details, reason, outcomeUnknown: true }, { cause: failure ?? error });
    }
    if (loadedSdkSide().isRequestTimeout(error)) {
      return new CallTimeoutError(this.name, deadline.timeoutMs, true, { cause: error });
    }
    return error;
  }

  /** Waits for the next ready connection, within the deadline and the caller's signal. */
  #whenReady(deadline: Deadline, signal?: AbortSignal, stale?: Connection): Promise<Connection> {
    if (this.#current && this.#current !== stale && !this.#stop.signal.aborted) {
      return Promise.resolve(this.#current);
    }
    const unavailable = this.#unavailableError();
    if (unavailable) return Promise.reject(unavailable);
    if (signal?.aborted) return Promise.reject(new CallAbortedError(this.name, { cause: signal.reason }));
    this.start();
    return new Promise<Connection>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle();
        reject(new CallTimeoutError(this.name, deadline.timeoutMs, false, { cause: this.#lastError }));
      }, deadline.left());
      const abort = () => {
        settle();
        reject(new CallAbortedError(this.name, { cause: signal?.reason }));
      };
      const waiter: Waiter = {
        resolve: (connection) => {
          settle();
          resolve(connection);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.#waiters.delete(waiter);
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  #unavailableError(): Error | undefined {
    if (this.#stop.signal.aborted) return notSentError(this.name, this.#stopReason);
    if (this.#state === 'disabled') return new ServerUnavailableError(this.name, 'disabled');
    if (this.#state === 'failed' || this.#state === 'unauthorized') {
      return new ServerUnavailableError(this.name, this.#state, { cause: this.#lastError });
    }
    return undefined;
  }

  #rejectWaiters(error: Error): void {
    for (const waiter of [...this.#waiters]) waiter.reject(error);
  }

  #setState(state: ServerState, error?: BerthError): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#since = Date.now();
    if (state === 'ready') for (const waiter of [...this.#waiters]) waiter.resolve(this.#current!);
    if (state === 'failed' || state === 'unauthorized') {
      this.#rejectWaiters(new ServerUnavailableError(this.name, state, { cause: this.#lastError }));
    }
    if (this.#isSettled()) {
      for (const resolve of this.#settledWaiters) resolve();
      this.#settledWaiters.clear();
    }
    this.#observer.onState(this, previous, error);
  }

  async #supervise(): Promise<void> {
    const stop = this.#stop.signal;
    const { restart } = this.spec;
    let failures = 0;
    let everReady = false;
    while (!stop.aborted) {
      this.#cycle = new AbortController();
      this.#setState(everReady ? 'restarting' : 'starting');
      let connection: Connection;
      let sdk: SdkSide | undefined;
      const openedAt = performance.now();
      try {
        sdk = await sdkSide.load();
        this.#authProvider ??= await this.#auth?.();
        connection = await sdk.openConnection(this.spec, {
          clientInfo: this.#clientInfo,
          signal: stop,
          fetchListing: this.#fetchListing,
          features: this.#features,
          origin: this,
          era: this.#era,
          fetch: this.#fetch,
          authProvider: this.#authProvider,
          telemetry: this.#telemetry,
          events: { onListChanged: (from, listing, changed) => this.#onListing(from, listing, changed) },
        });
      } catch (error) {
        if (stop.aborted) break;
        this.#lastError = asServerError(error, this.name, 'connect');
        await this.#pendingAuthorization?.discard(); // an older flow, superseded by this one
        this.#pendingAuthorization = sdk?.takePendingAuthorization(error);
        failures += 1;
        // A first start that fails is reported at once; a crashed session retries up to the limit.
        if (!everReady || failures > restart.maxRestarts) {
          if (!(await this.#parkFailed())) break;
          failures = 0;
          continue;
        }
        await this.#backoff(failures);
        continue;
      }

      if (stop.aborted) {
        // Stopped just as the open succeeded: close it rather than report it ready.
        await connection.close(this.#stopReason);
        break;
      }
      // A session that opened supersedes an authorization begun on an earlier one.
      await this.#pendingAuthorization?.discard();
      this.#pendingAuthorization = undefined;
      this.#current = connection;
      this.#openMs = Math.round(performance.now() - openedAt);
      this.#sent = 0;
      this.#pid = connection.process?.pid;
      if (everReady) this.#restarts += 1;
      everReady = true;
      if (this.#fetchListing) this.#onListing(connection, connection.listing, connection.listing);
      this.#resubscribe(connection);
      this.#setState('ready');
      const readyAt = Date.now();

      const ended = await this.#waitForEnd(connection);
      this.#current = undefined;
      if (ended === 'stop') {
        await connection.close(this.#stopReason);
        break;
      }
      if (ended === 'restart') {
        await connection.close('restart requested');
        failures = 0;
        continue;
      }
      // The session failed: a health check went unanswered, or the server went away by itself (or
      // broke the protocol so badly the transport closed). A hung server has not been signalled, so
      // there is no exit to wait for before describing it.
      const unhealthy = ended === 'unhealthy';
      const details = await connection.failureDetails('idle', { awaitExit: !unhealthy });
      const failure = unhealthy ? undefined : connection.transportFailure;
      const reason = unhealthy
        ? `did not answer a health check ping within ${this.spec.health.pingTimeoutMs} ms`
        : failure
          ? `${failure.message}; the session was closed`
          : 'exited unexpectedly';
      this.#lastError = new ServerError({ ...details, reason }, { cause: failure });
      await connection.close(unhealthy ? 'health check failed' : 'server exited');
      if (stop.aborted) break; // stopped while closing the failed session: no failed/restarting report
      if (Date.now() - readyAt >= restart.stableAfterMs) failures = 0;
      failures += 1;
      if (failures > restart.maxRestarts) {
        if (!(await this.#parkFailed())) break;
        failures = 0;
        continue;
      }
      await this.#backoff(failures); // reports `restarting`
    }
    this.#current = undefined;
  }

  #onListing(connection: Connection, listing: Listing, changed: Partial<Listing>): void {
    if (connection !== this.#current) return; // a list from a connection that is no longer current
    this.#listing = listing;
    this.#observer.onListing(this, listing, changed);
  }

  /**
   * Waits until the connection ends by itself, fails a health check, a restart is requested, or the
   * owner stops. The health checks run only during this wait and end with it.
   */
  async #waitForEnd(connection: Connection): Promise<'ended' | 'unhealthy' | 'restart' | 'stop'> {
    const cycle = onAbort(this.#cycle.signal);
    const watching = new AbortController();
    let unhealthy = false;
    try {
      await Promise.race([
        connection.ended,
        cycle.promise,
        this.#watchHealth(connection, watching.signal).then((failed) => {
          unhealthy = failed;
        }),
      ]);
    } finally {
      watching.abort();
      cycle.dispose();
    }
    if (this.#stop.signal.aborted) return 'stop';
    if (this.#cycle.signal.aborted) return 'restart';
    return unhealthy ? 'unhealthy' : 'ended';
  }

  /**
   * Pings the server every `pingIntervalMs` while `signal` is live. Resolves true at the first ping not
   * answered within `pingTimeoutMs`; otherwise never resolves (so it never wins the race it is in).
   */
  async #watchHealth(connection: Connection, signal: AbortSignal): Promise<boolean> {
    const { pingIntervalMs, pingTimeoutMs } = this.spec.health;
    if (pingIntervalMs > 0) {
      while (!signal.aborted) {
        await delay(pingIntervalMs, signal);
        if (signal.aborted) break;
        try {
          await connection.client.ping({ timeout: pingTimeoutMs, signal });
        } catch {
          if (!signal.aborted && !connection.hasEnded) return true;
        }
      }
    }
    return new Promise<boolean>(() => {});
  }

  /** Reports `failed` (or `unauthorized`) and waits for `restart()` (true) or stop (false). */
  async #parkFailed(): Promise<boolean> {
    const unauthorized = this.#lastError instanceof ServerError && this.#lastError.needsAuthorization;
    this.#setState(unauthorized ? 'unauthorized' : 'failed', this.#lastError);
    await onAbort(this.#cycle.signal).promise; // resolves only on abort, so nothing to dispose
    return !this.#stop.signal.aborted;
  }

  /** Exponential backoff with jitter; ends early on stop or restart. */
  async #backoff(attempt: number): Promise<void> {
    const delayMs = backoffDelayMs(this.spec.restart, attempt);
    this.#setState('restarting', this.#lastError);
    this.#observer.onRestartScheduled(this, attempt, delayMs);
    await delay(delayMs, this.#cycle.signal);
  }
}

function asServerError(error: unknown, server: string, phase: ServerPhase): BerthError {
  if (BerthError.is(error)) return error;
  return new ServerError({ server, phase }, { cause: error });
}

/** The session's SDK side (`./sdk-side.ts`): the MCP SDK client and what runs on it, loaded with the first open. */
const sdkSide = lazyModule(() => import('./sdk-side.js'));

/**
 * The SDK side, for code that holds a connection: that connection was opened through it, so it is
 * loaded. Throws only on a bug (a connection from anywhere else).
 */
function loadedSdkSide(): SdkSide {
  const side = sdkSide.loaded;
  if (!side) throw new Error('berth: a session was used before the MCP SDK was loaded (a bug)');
  return side;
}

/** Each connection's request-only handle, made once. */
const handles = new WeakMap<Connection, SessionHandle>();
function handleOf(connection: Connection): SessionHandle {
  let handle = handles.get(connection);
  if (!handle) handles.set(connection, (handle = loadedSdkSide().sessionHandle(connection.client)));
  return handle;
}
