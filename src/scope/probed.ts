/**
 * The common part of the `keyed` and `per-call` scopes. Their sessions come and go, so the server's
 * listing is fetched once per configuration by a probe session and shared by every session after it
 * (sessions then skip the listing step; a list change on any of them updates it). The probe is a
 * session like the others: where the scope can use it (keyed: the first key's session; per-call with
 * prewarm: the first prewarmed one), it is handed over instead of being closed, so the first call
 * does not wait for a second process.
 *
 * The runtime owns every session it creates until that session's close has finished: it tracks each
 * one, and its `close()` awaits them all (so no process outlives it, whatever `close()` races with).
 * Nothing starts once `close()` began. New sessions start under the server's restart policy, counted
 * across all sessions by a `RestartGate`: sessions that die before serving anything put the server
 * in `restarting` (with `server:restart-scheduled` events) and finally `failed`, as a shared
 * session's owner does; `restart()` recovers it.
 */
import type { Implementation } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../config/types.js';
import type { Deadline } from '../util/deadline.js';
import { CallAbortedError, CallTimeoutError, ServerUnavailableError, type BerthError } from '../errors.js';
import { emptyListing, type Listing } from '../session/listed.js';
import type { SendRequest } from '../session/handle.js';
import { EraMemory } from '../session/era.js';
import { notSentError, SessionOwner, type ServerState } from '../session/owner.js';
import { RestartGate } from './restart-gate.js';
import type { RuntimeDeps, ScopedRequestOptions, ServerRuntime, SessionInfo } from './runtime.js';

/** Base of the scopes whose sessions are opened on demand. */
export abstract class ProbedRuntime implements ServerRuntime {
  readonly spec: ServerSpec;
  protected readonly deps: RuntimeDeps;
  #state: ServerState;
  #since = Date.now();
  #lastError: BerthError | undefined;
  #listing: Listing | undefined;
  #serverInfo: Implementation | undefined;
  #restarts = 0;
  #probing: Promise<void> | undefined;
  #restarting: Promise<void> | undefined;
  #probeOwner: SessionOwner | undefined;
  /** Set once `close()` began: the reason every later request is refused with. */
  protected closedReason: string | undefined;
  readonly #closes = new Set<Promise<void>>();
  /** Every session owner this runtime created whose close has not finished. */
  readonly #owners = new Set<SessionOwner>();
  /** The close of each owner, once begun: one per owner, however many paths ask. */
  readonly #closing = new WeakMap<SessionOwner, Promise<void>>();
  /** One era memory: the probe negotiates, every session after it reuses the verdict. */
  readonly #era = new EraMemory();
  /** The restart policy across all sessions. */
  readonly #gate: RestartGate;
  /** Set while `restart()` closes the old sessions: their deaths say nothing about the server. */
  #recycling = false;
  /** Calls inside `waitingFor`: waiting for a session they do not hold yet. */
  #waiting = 0;

  constructor(spec: ServerSpec, deps: RuntimeDeps) {
    this.spec = spec;
    this.deps = deps;
    this.#state = spec.disabled ? 'disabled' : 'stopped';
    this.#gate = new RestartGate(spec.restart, {
      onRestartScheduled: (attempt, delayMs) => {
        this.#restarts += 1;
        this.#setState('restarting', this.#lastError);
        this.deps.observer.onRestartScheduled(this, attempt, delayMs);
      },
      onFailed: () => {
        this.#setState('failed', this.#lastError);
        this.onFailed();
      },
      onOpen: () => this.onGateOpen(),
    });
  }

  get name() {
    return this.spec.name;
  }
  get state() {
    return this.#state;
  }
  get since() {
    return this.#since;
  }
  get lastError() {
    return this.#lastError;
  }
  get restarts() {
    return this.#restarts;
  }
  get listing() {
    return this.#listing;
  }
  get waiting() {
    return this.#waiting;
  }
  get serverInfo() {
    return this.#serverInfo;
  }
  stderrTail(): string | undefined {
    const error = this.#lastError as { stderrTail?: string } | undefined;
    return error?.stderrTail;
  }

  abstract sessions(): SessionInfo[];
  abstract request<T>(send: SendRequest<T>, options: ScopedRequestOptions): Promise<T>;
  /** The live session owners, for notifications that go to every session. */
  protected abstract owners(): Iterable<SessionOwner>;

  notifyRootsChanged(): void {
    for (const owner of this.owners()) owner.notifyRootsChanged();
  }

  /** Closes every session of the scope (after in-flight calls when `drain`). */
  protected abstract closeSessions(reason: string, drain: boolean): Promise<void>;
  /** Called when a probe has made the server ready. */
  protected onReady(): void {}
  /** Called when failures passed the restart limit: the scope starts nothing more until `restart()`. */
  protected onFailed(): void {}
  /** Called when the restart policy may allow a new session again. */
  protected onGateOpen(): void {}
  /** Called when `close()` begins, before anything is awaited: release whoever waits. */
  protected onClosing(): void {}
  /**
   * Offered the ready probe session (it has served only the listing): return true to keep it as one
   * of the scope's sessions, which the runtime then owns like any other (and announces with
   * `onSession` when it does); false to have it closed.
   */
  protected adoptProbe(_probe: SessionOwner): boolean {
    return false;
  }

  start(): void {
    if (this.#probing || this.spec.disabled || this.closedReason) return;
    this.#probing = this.#probe();
  }

  async settled(): Promise<void> {
    await this.#probing;
  }

  /** Closes every session and probes again; concurrent callers share one restart. */
  restart(): Promise<void> {
    if (this.spec.disabled || this.closedReason) return Promise.resolve();
    this.#restarting ??= this.#restart().finally(() => (this.#restarting = undefined));
    return this.#restarting;
  }

  async #restart(): Promise<void> {
    await this.#probing;
    if (this.closedReason) return;
    this.#recycling = true;
    try {
      await this.closeSessions('restart requested', false);
    } finally {
      this.#recycling = false;
    }
    this.#gate.reset();
    if (this.closedReason) return; // closed while the old sessions closed: start nothing
    this.#restarts += 1;
    this.#probing = this.#probe();
    await this.#probing;
  }

  async close(reason: string, options: { drain?: boolean } = {}): Promise<void> {
    this.closedReason ??= reason;
    this.#gate.close(); // callers waiting to start a session are refused now
    this.onClosing();
    if (this.#probeOwner) void this.closeOwner(this.#probeOwner, reason); // a probe in progress stops now
    await this.#restarting; // sees the close and starts nothing
    await this.#probing;
    await this.closeSessions(reason, options.drain ?? false);
    // Whatever the scope no longer holds but has not closed (none, if it did its job): close it too.
    await Promise.all([...this.#owners].map((owner) => this.closeOwner(owner, reason)));
    await Promise.all(this.#closes);
    if (this.#state !== 'disabled') this.#setState('stopped');
  }

  /** Opens one session that reads the listing; then hands it to the scope, or closes it. */
  async #probe(): Promise<void> {
    if (this.closedReason) return;
    this.#setState('starting');
    // Observers run synchronously: one may have closed this runtime on that very event.
    if (this.closedReason) return;
    const probe = this.newOwner({ fetchListing: true });
    this.#probeOwner = probe;
    probe.start();
    await probe.settled();
    this.#probeOwner = undefined;
    if (probe.state === 'ready' && probe.listing && !this.closedReason) {
      this.#gate.ready(probe);
      this.#setState('ready');
      const adopted = this.adoptProbe(probe);
      this.onReady();
      if (adopted) return;
    } else if (!this.closedReason) {
      this.#lastError = probe.lastError;
      this.#setState('failed', probe.lastError);
    }
    void this.closeOwner(probe, 'listing fetched');
  }

  /**
   * A session owner of this scope. Only the probe fetches the listing; every session's list
   * changes update the shared one.
   */
  protected newOwner({ fetchListing = false } = {}): SessionOwner {
    if (this.closedReason) throw notSentError(this.name, this.closedReason); // a bug if reached: callers check
    const owner = new SessionOwner(
      { ...this.spec, restart: this.ownerRestartPolicy() },
      {
        clientInfo: this.deps.clientInfo,
        features: this.deps.features,
        fetch: this.deps.fetch,
        authProvider: this.deps.authProvider,
        telemetry: this.deps.telemetry,
        era: this.#era,
        fetchListing,
        observer: {
          onState: (owner, _previous, error) => {
            if (owner.state === 'failed' || owner.state === 'restarting') {
              this.#lastError = error ?? owner.lastError;
            }
            this.#account(owner);
            this.onOwnerState(owner);
          },
          onListing: (owner, _listing, changed) => {
            this.#serverInfo = owner.serverInfo ?? this.#serverInfo;
            this.#listing = {
              ...(this.#listing ?? emptyListing()),
              ...changed,
            };
            this.deps.observer.onListing(this, this.#listing);
          },
          onRestartScheduled: (_owner, attempt, delayMs) =>
            this.deps.observer.onRestartScheduled(this, attempt, delayMs),
          onIdle: (owner) => this.onOwnerIdle(owner),
        },
      },
    );
    this.#owners.add(owner);
    return owner;
  }

  /** Starts a new session (not the probe) under the restart policy: check `canStart()` first. */
  protected launch(owner: SessionOwner): void {
    this.#gate.starting(owner);
    owner.start();
  }

  /** Runs `find` (how a call gets its session) counted in `waiting` until it settles. */
  protected async waitingFor<T>(find: () => Promise<T>): Promise<T> {
    this.#waiting += 1;
    try {
      return await find();
    } finally {
      this.#waiting -= 1;
    }
  }

  /** Whether the restart policy lets a new session start now. */
  protected canStart(): boolean {
    return this.#gate.canStart();
  }

  /**
   * Waits until the restart policy lets a new session start, within the caller's deadline; throws
   * what the caller should see when it does not (closed, failed, timed out, aborted).
   */
  protected async awaitStart(deadline: Deadline, signal?: AbortSignal): Promise<void> {
    const outcome = await this.#gate.wait(deadline.at, signal);
    if (outcome === 'open') return;
    if (outcome === 'timeout') {
      throw new CallTimeoutError(this.name, deadline.timeoutMs, false, { cause: this.#lastError });
    }
    if (outcome === 'aborted') throw new CallAbortedError(this.name, { cause: signal?.reason });
    throw (
      this.unavailable() ?? new ServerUnavailableError(this.name, this.#state, { cause: this.#lastError })
    );
  }

  /**
   * Keeps the restart policy's count: a session that is ready makes the server healthy; one that died
   * before serving anything is a failure; one that died serving, or was closed, tells nothing.
   */
  #account(owner: SessionOwner): void {
    if (owner === this.#probeOwner) return; // the probe's outcome is the probe's own report
    switch (owner.state) {
      case 'ready':
        this.#gate.ready(owner);
        if (this.#state === 'restarting') this.#setState('ready');
        return;
      case 'failed':
        if (this.closedReason || this.#recycling || owner.sentSinceReady > 0) this.#gate.abandoned(owner);
        else this.#gate.failure(owner);
        return;
      case 'unauthorized':
      case 'stopped':
        this.#gate.abandoned(owner);
        return;
    }
  }

  /** Whether this runtime has begun closing `owner`. */
  protected isClosing(owner: SessionOwner): boolean {
    return this.#closing.has(owner);
  }

  /**
   * Closes an owner this runtime created, once however many paths ask (only the first one's
   * `onClosed` runs, once the process is gone); `close()` awaits it. With `drainMs`, its in-flight
   * requests may finish first; a later ask without `drainMs` cuts such a drain short.
   */
  protected closeOwner(
    owner: SessionOwner,
    reason: string,
    { drainMs = 0, onClosed }: { drainMs?: number; onClosed?: () => void } = {},
  ): Promise<void> {
    let closing = this.#closing.get(owner);
    // Already closing (perhaps draining): without a drain of our own, the owner stops now.
    if (closing && drainMs === 0) owner.close(reason).catch(() => {}); // the tracked close reports
    if (!closing) {
      closing = this.track(
        owner.close(reason, { drainMs }).finally(() => {
          this.#owners.delete(owner);
          onClosed?.();
        }),
      );
      this.#closing.set(owner, closing);
    }
    return closing;
  }

  /** The restart policy of this scope's sessions. */
  protected ownerRestartPolicy(): ServerSpec['restart'] {
    return this.spec.restart;
  }

  /** A session finished its last in-flight request. */
  protected onOwnerIdle(_owner: SessionOwner): void {}

  /** A session changed state. */
  protected onOwnerState(_owner: SessionOwner): void {}

  /** Keeps a close this runtime started, so `close()` can await it. */
  protected track(closing: Promise<void>): Promise<void> {
    this.#closes.add(closing);
    const forget = () => void this.#closes.delete(closing);
    closing.then(forget, forget);
    return closing;
  }

  /** Why a new session cannot be started now, if it cannot (closed: nothing was sent). */
  protected unavailable(): Error | undefined {
    if (this.closedReason) return notSentError(this.name, this.closedReason);
    if (this.#state === 'disabled') return new ServerUnavailableError(this.name, 'disabled');
    if (this.#state === 'failed')
      return new ServerUnavailableError(this.name, 'failed', { cause: this.#lastError });
    return undefined;
  }

  #setState(state: ServerState, error?: BerthError): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#since = Date.now();
    this.deps.observer.onState(this, previous, error);
  }
}
