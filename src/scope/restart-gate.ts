/**
 * `RestartGate`: the restart policy (`restart.*`) of a scope whose sessions come and go (keyed,
 * per-call). A shared session's owner restarts its one session itself; here sessions are many and
 * each is replaced by a new one, so the runtime counts failures across all of them and gates every
 * new session on that count, exactly as an owner gates its own restarts:
 *
 * - a failure is a session that died before serving anything (its start failed, or it died idle in
 *   the prewarm pool or as the spare); one that died while serving may have been killed by the call;
 * - after a failure no session starts before the backoff delay (`initialDelayMs`, doubling per
 *   consecutive failure, with jitter, up to `maxDelayMs`), and then only one at a time (a trial)
 *   until one is ready again;
 * - past `maxRestarts` consecutive failures the gate is `failed` and lets nothing start until
 *   `reset()` (the runtime's `restart()`);
 * - a server that stayed healthy (no failure since a session was last ready) for `stableAfterMs`
 *   counts afresh.
 *
 * The gate owns its one timer and its waiters; `close()` releases both at once.
 */
import type { RestartPolicy } from '../config/types.js';
import { backoffDelayMs } from '../session/owner.js';
import { waitForWake } from '../util/abort.js';

/** What the gate tells its runtime. Called synchronously; must not throw. */
export interface GateReport {
  /** A failure was counted: nothing starts for `delayMs`. */
  onRestartScheduled(attempt: number, delayMs: number): void;
  /** Failures passed `maxRestarts`: nothing starts until `reset()`. */
  onFailed(): void;
  /** A start may be possible again (the delay passed, a trial ended, a reset). */
  onOpen(): void;
}

/** How a wait for the gate ended. */
export type GateOutcome = 'open' | 'timeout' | 'aborted' | 'failed' | 'closed';

/** The restart policy of one keyed or per-call runtime, across all its sessions. */
export class RestartGate {
  readonly #policy: RestartPolicy;
  readonly #report: GateReport;
  #failures = 0;
  /** Since when no failure was counted while some session was ready; undefined while recovering. */
  #healthySince: number | undefined;
  /** No session starts before this (ms since epoch). */
  #openAt = 0;
  /** While recovering: the one session allowed to start, until it is ready, fails or is closed. */
  #trial: object | undefined;
  #failed = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #wakers = new Set<() => void>();

  constructor(policy: RestartPolicy, report: GateReport) {
    this.#policy = policy;
    this.#report = report;
  }

  /** Consecutive failures counted (reset by a stable period or `reset()`). */
  get failures(): number {
    return this.#failures;
  }

  /** Whether failures passed the limit. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Whether a session may start now. */
  canStart(): boolean {
    return !this.#closed && !this.#failed && this.#trial === undefined && Date.now() >= this.#openAt;
  }

  /** `session` starts now: while recovering from a failure, it is the one trial. */
  starting(session: object): void {
    if (this.#failures > 0 && this.#healthySince === undefined) this.#trial = session;
  }

  /** `session` is ready: the server is healthy again. */
  ready(session: object): void {
    this.#healthySince ??= Date.now();
    this.#endTrial(session);
  }

  /** `session` ended without an outcome that says anything about the server (it was closed, or died serving). */
  abandoned(session: object): void {
    this.#endTrial(session);
  }

  /** `session` died before serving anything: counts a failure and schedules the next start. */
  failure(session: object): void {
    if (this.#trial === session) this.#trial = undefined;
    if (this.#closed || this.#failed) return;
    const now = Date.now();
    if (this.#healthySince !== undefined && now - this.#healthySince >= this.#policy.stableAfterMs) {
      this.#failures = 0;
    }
    this.#healthySince = undefined;
    this.#failures += 1;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#failures > this.#policy.maxRestarts) {
      this.#failed = true;
      this.#wake();
      this.#report.onFailed();
      return;
    }
    const delayMs = backoffDelayMs(this.#policy, this.#failures);
    this.#openAt = now + delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // The backoff is over when its timer fires. Timers keep their own clock and may fire a
      // millisecond before Date.now() reaches #openAt; left as it was, canStart() would say no,
      // onOpen would never be reported, and a pool waiting for it would stay empty for good.
      this.#openAt = 0;
      this.#opened();
    }, delayMs);
    this.#wake();
    this.#report.onRestartScheduled(this.#failures, delayMs);
  }

  /**
   * Waits until a session may start (`open`), the server fails or the gate closes, `deadline` (ms
   * since epoch) passes, or `signal` aborts.
   */
  async wait(deadline: number, signal?: AbortSignal): Promise<GateOutcome> {
    for (;;) {
      if (this.#closed) return 'closed';
      if (this.#failed) return 'failed';
      if (this.canStart()) return 'open';
      if (Date.now() >= deadline) return 'timeout';
      const outcome = await waitForWake((wake) => this.#subscribe(wake), deadline, signal);
      if (outcome === 'aborted') return 'aborted';
    }
  }

  /** Forgets every failure (a `restart()`): sessions may start at once. */
  reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#failures = 0;
    this.#failed = false;
    this.#healthySince = undefined;
    this.#openAt = 0;
    this.#trial = undefined;
    if (!this.#closed) this.#opened();
  }

  /** Lets nothing start any more, and releases every waiter and the timer at once. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake();
  }

  #endTrial(session: object): void {
    if (this.#trial !== session) return;
    this.#trial = undefined;
    this.#opened();
  }

  #opened(): void {
    this.#wake();
    if (this.canStart()) this.#report.onOpen();
  }

  #subscribe(wake: () => void): () => void {
    this.#wakers.add(wake);
    return () => this.#wakers.delete(wake);
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}
