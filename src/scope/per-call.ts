/**
 * The `per-call` scope: every call gets a session no call has used before, opened and closed by its
 * own `SessionOwner`. With `prewarm: n`, the runtime keeps n sessions spawned and initialized ahead
 * of need, so isolation does not put a process start on the call's path; each is used for exactly one
 * call and then retired, and a replacement starts (the first one is the listing probe, which has
 * served no call). The runtime owns the pool and every close.
 *
 * New sessions start under the server's restart policy (see `RestartGate`): after sessions die
 * without serving, the pool refills no faster than the backoff allows, a call waits out the backoff
 * (within its deadline) instead of spawning at once, and past the limit the server is `failed` and
 * nothing starts until `restart()`.
 */
import type { ServerSpec } from '../config/types.js';
import { CallTimeoutError, ServerUnavailableError } from '../errors.js';
import type { SendRequest } from '../session/handle.js';
import type { SessionOwner } from '../session/owner.js';
import type { Deadline } from '../util/deadline.js';
import { ProbedRuntime } from './probed.js';
import { isDead, sessionInfo, type ScopedRequestOptions, type SessionInfo } from './runtime.js';

/** A server that gives each call a fresh session. */
export class PerCallRuntime extends ProbedRuntime {
  /** Prewarmed sessions, oldest first; none has served a call. */
  readonly #pool: SessionOwner[] = [];
  /** Sessions serving a call right now. */
  readonly #busy = new Set<SessionOwner>();
  /** Sessions that are done (served their call, or died pooled) and wait to be retired. */
  readonly #spent = new Set<SessionOwner>();
  /** Retire-and-refill work scheduled after a reply. */
  readonly #deferred = new Set<NodeJS.Immediate>();

  protected owners(): Iterable<SessionOwner> {
    return [...this.#pool, ...this.#busy];
  }

  sessions(): SessionInfo[] {
    return [...this.#pool, ...this.#busy, ...this.#spent].map((owner) => sessionInfo(owner));
  }

  async request<T>(send: SendRequest<T>, options: ScopedRequestOptions): Promise<T> {
    const { deadline } = options;
    for (;;) {
      const unavailable = this.unavailable();
      if (unavailable) throw unavailable;
      const owner =
        this.#takeFromPool() ?? (await this.waitingFor(() => this.#startForCall(deadline, options.signal)));
      this.#busy.add(owner);
      try {
        return await owner.request(send, options);
      } catch (error) {
        // The session failed before the request was sent (it died starting, or while pooled): the
        // call waits for another, under the restart policy, as a call on a shared server waits
        // through its restarts.
        const unsent = error instanceof ServerUnavailableError && owner.state === 'failed';
        if (!unsent || this.closedReason) throw error;
        if (deadline.passed)
          throw new CallTimeoutError(this.name, deadline.timeoutMs, false, { cause: error });
      } finally {
        this.#busy.delete(owner);
        this.#spent.add(owner);
        // Spawning blocks the event loop for a moment: start the replacement, and retire the used
        // session, after the caller has its result rather than on its path.
        this.#afterReply(() => {
          this.#spent.delete(owner);
          void this.#retire(owner, 'per-call session done');
          this.#refill();
        });
      }
    }
  }

  /** A session for one call when the pool has none: once the restart policy lets one start. */
  async #startForCall(deadline: Deadline, signal?: AbortSignal): Promise<SessionOwner> {
    for (;;) {
      await this.awaitStart(deadline, signal);
      // The wait may have let a refill run first: take what it started rather than start another.
      const pooled = this.#takeFromPool();
      if (pooled) return pooled;
      const unavailable = this.unavailable();
      if (unavailable) throw unavailable;
      if (this.canStart()) return this.#spawn();
    }
  }

  /** The oldest pooled session that is still usable; dead ones found on the way are retired. */
  #takeFromPool(): SessionOwner | undefined {
    let owner = this.#pool.shift();
    while (owner && isDead(owner)) {
      void this.#retire(owner, 'prewarmed session died');
      owner = this.#pool.shift();
    }
    return owner;
  }

  /** A prewarmed session that dies while it waits is dropped from the pool and replaced. */
  protected override onOwnerState(owner: SessionOwner): void {
    if (!isDead(owner)) return;
    const index = this.#pool.indexOf(owner);
    if (index < 0) return;
    this.#pool.splice(index, 1);
    // Held as spent until retired, so a close or restart that cancels the deferred work retires it.
    this.#spent.add(owner);
    this.#afterReply(() => {
      this.#spent.delete(owner);
      void this.#retire(owner, 'prewarmed session died');
      this.#refill();
    });
  }

  /** Past the restart limit: the pooled sessions go too (they are as doomed as the ones that died). */
  protected override onFailed(): void {
    const pooled = this.#pool.splice(0);
    for (const owner of pooled) this.#spent.add(owner);
    this.#afterReply(() => {
      for (const owner of pooled) {
        this.#spent.delete(owner);
        void this.#retire(owner, 'server failed');
      }
    });
  }

  /** The backoff passed (or a trial start ended): top the pool up, off the caller's path. */
  protected override onGateOpen(): void {
    this.#afterReply(() => this.#refill());
  }

  /** Runs `work` on the next turn of the event loop, unless the runtime closes first. */
  #afterReply(work: () => void): void {
    if (this.closedReason) return work(); // closing: nothing to keep off anyone's path
    const immediate = setImmediate(() => {
      this.#deferred.delete(immediate);
      work();
    });
    this.#deferred.add(immediate);
  }

  protected override onReady(): void {
    this.#refill();
  }

  /** With `prewarm`, the probe (it has served no call) is the first prewarmed session. */
  protected override adoptProbe(probe: SessionOwner): boolean {
    if (this.spec.session.prewarm < 1) return false;
    this.#pool.push(probe);
    this.deps.observer.onSession(this, 'opened', undefined);
    return true;
  }

  /**
   * A per-call session is never restarted by its owner: its one call has failed, and the next call
   * gets a new session (under the runtime's restart policy).
   */
  protected override ownerRestartPolicy(): ServerSpec['restart'] {
    return { ...this.spec.restart, maxRestarts: 0 };
  }

  protected async closeSessions(reason: string, drain: boolean): Promise<void> {
    for (const immediate of this.#deferred) clearImmediate(immediate);
    this.#deferred.clear();
    const pooled = [...this.#pool.splice(0), ...this.#spent];
    this.#spent.clear();
    await Promise.all([
      ...pooled.map((owner) => this.#retire(owner, reason)),
      ...[...this.#busy].map((owner) => this.#retire(owner, reason, drain)),
    ]);
  }

  #spawn(): SessionOwner {
    const owner = this.newOwner();
    this.launch(owner);
    this.deps.observer.onSession(this, 'opened', undefined);
    return owner;
  }

  /** Tops the pool up to `prewarm` ready-or-starting sessions, as fast as the restart policy allows. */
  #refill(): void {
    if (this.closedReason || (this.state !== 'ready' && this.state !== 'restarting')) return;
    while (this.#pool.length < this.spec.session.prewarm && this.canStart()) this.#pool.push(this.#spawn());
  }

  /** Closes a session once, however many paths ask (a reply and a shutdown can race). */
  #retire(owner: SessionOwner, reason: string, drain = false): Promise<void> {
    return this.closeOwner(owner, reason, {
      drainMs: drain ? this.spec.session.drainTimeoutMs : 0,
      onClosed: () => this.deps.observer.onSession(this, 'closed', undefined, reason),
    });
  }
}
