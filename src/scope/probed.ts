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
 * Nothing starts once `close()` began, and whoever waits to start one is refused at once with a
 * not-sent `SessionClosedError`.
 */
import type { ServerSpec } from '../config/types.js';
import { ServerUnavailableError, type BerthError } from '../errors.js';
import { emptyListing, type Connection, type Listing } from '../session/connection.js';
import { EraMemory } from '../session/era.js';
import { notSentError, SessionOwner, type ServerState } from '../session/owner.js';
import type { RuntimeDeps, ScopedRequestOptions, ServerRuntime, SessionInfo } from './runtime.js';

/** Base of the scopes whose sessions are opened on demand. */
export abstract class ProbedRuntime implements ServerRuntime {
  readonly spec: ServerSpec;
  protected readonly deps: RuntimeDeps;
  #state: ServerState;
  #since = Date.now();
  #lastError: BerthError | undefined;
  #listing: Listing | undefined;
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

  constructor(spec: ServerSpec, deps: RuntimeDeps) {
    this.spec = spec;
    this.deps = deps;
    this.#state = spec.disabled ? 'disabled' : 'stopped';
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
  get pid(): number | undefined {
    return undefined; // each session has its own; see sessions()
  }
  get protocolVersion(): string | undefined {
    return undefined; // negotiated per session
  }
  stderrTail(): string | undefined {
    const error = this.#lastError as { stderrTail?: string } | undefined;
    return error?.stderrTail;
  }

  abstract sessions(): SessionInfo[];
  abstract request<T>(
    send: (connection: Connection, timeoutMs: number) => Promise<T>,
    options: ScopedRequestOptions,
  ): Promise<T>;
  abstract closeKey(key: string): Promise<void>;
  /** The live session owners, for notifications that go to every session. */
  protected abstract owners(): Iterable<SessionOwner>;

  notifyRootsChanged(): void {
    for (const owner of this.owners()) owner.notifyRootsChanged();
  }

  async subscribe(): Promise<void> {
    throw new ServerUnavailableError(
      this.name,
      `"${this.spec.session.scope}" scoped (resource subscriptions need a shared session)`,
    );
  }

  async unsubscribe(): Promise<void> {}

  async finishAuthorization(): Promise<void> {
    throw new ServerUnavailableError(
      this.name,
      `"${this.spec.session.scope}" scoped (finish interactive authorization on a shared-scope server)`,
    );
  }
  /** Closes every session of the scope (after in-flight calls when `drain`). */
  protected abstract closeSessions(reason: string, drain: boolean): Promise<void>;
  /** Called when a probe has made the server ready. */
  protected onReady(): void {}
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
    await this.closeSessions('restart requested', false);
    if (this.closedReason) return; // closed while the old sessions closed: start nothing
    this.#restarts += 1;
    this.#probing = this.#probe();
    await this.#probing;
  }

  async close(reason: string, options: { drain?: boolean } = {}): Promise<void> {
    this.closedReason ??= reason;
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
    const probe = this.newOwner({ fetchListing: true });
    this.#probeOwner = probe;
    probe.start();
    await probe.settled();
    this.#probeOwner = undefined;
    if (probe.state === 'ready' && probe.listing && !this.closedReason) {
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
    if (this.closedReason) throw notSentError(this.name, this.closedReason); // callers check first
    const owner = new SessionOwner(
      { ...this.spec, restart: this.ownerRestartPolicy() },
      {
        clientInfo: this.deps.clientInfo,
        features: this.deps.features,
        fetch: this.deps.fetch,
        authProvider: this.deps.authProvider,
        era: this.#era,
        fetchListing,
        observer: {
          onState: (owner, _previous, error) => {
            if (owner.state === 'failed' || owner.state === 'restarting') {
              this.#lastError = error ?? owner.lastError;
            }
            this.onOwnerState(owner);
          },
          onListing: (_owner, _listing, changed) => {
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

  /**
   * Closes an owner this runtime created, once however many paths ask (only the first one's
   * `onClosed` runs, once the process is gone); `close()` awaits it. With `drainMs`, its in-flight
   * requests may finish first.
   */
  protected closeOwner(
    owner: SessionOwner,
    reason: string,
    { drainMs = 0, onClosed }: { drainMs?: number; onClosed?: () => void } = {},
  ): Promise<void> {
    let closing = this.#closing.get(owner);
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

  /** Why a request cannot be served now, if it cannot (closed: nothing was sent). */
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
