/**
 * The `keyed` scope: one persistent session per key (a conversation, thread or user id), each with
 * its own `SessionOwner`. The runtime alone creates and closes those owners. At most `maxSessions`
 * are alive at once, counting sessions still closing: a new key takes a free slot, or evicts the
 * least recently used idle session and waits until its process is gone. A session with a call in
 * flight is never evicted; one closed by `closeKey`, idle timeout or shutdown is drained first.
 * The listing probe stays as a spare session (no key yet) for the first key that comes, and is
 * retired like an idle session if none comes.
 *
 * A key whose session died (past its own restarts) gets a new session on its next call. New sessions
 * start under the server's restart policy (see `RestartGate`): after sessions die without serving, a
 * new one waits out the backoff, and past the limit the server is `failed`: no new session starts
 * until `restart()`, while keys with a live session keep it. `close()` releases every caller
 * waiting for a slot or a start at once, with a `SessionClosedError` that says nothing was sent.
 */
import { CallAbortedError, CallTimeoutError, KeyRequiredError, ServerUnavailableError } from '../errors.js';
import type { SendRequest } from '../session/handle.js';
import { notSentError, type SessionOwner } from '../session/owner.js';
import { settledBy, waitForWake } from '../util/abort.js';
import type { Deadline } from '../util/deadline.js';
import { ProbedRuntime } from './probed.js';
import {
  isDead,
  sessionInfo,
  type KeyedSessions,
  type ScopedRequestOptions,
  type SessionInfo,
} from './runtime.js';

interface KeyedSession {
  key: string;
  owner: SessionOwner;
  /** Callers that hold this session between finding it and starting their request. */
  reserved: number;
}

/** A server with one session per key. */
export class KeyedRuntime extends ProbedRuntime {
  readonly #sessions = new Map<string, KeyedSession>();
  readonly #opening = new Map<string, Promise<KeyedSession>>();
  /** Sessions created and not yet fully closed: what `maxSessions` bounds. */
  #live = 0;
  /** Slots of sessions whose close has begun: they come free without another eviction. */
  #freeing = 0;
  /** Callers waiting for a slot. */
  #slotWaiters = 0;
  readonly #wakers = new Set<() => void>();
  #sweeper: NodeJS.Timeout | undefined;
  /** The listing probe, kept for the first key (it holds a slot). */
  #spare: SessionOwner | undefined;

  protected owners(): Iterable<SessionOwner> {
    const owners = [...this.#sessions.values()].map((session) => session.owner);
    return this.#spare ? [this.#spare, ...owners] : owners;
  }

  sessions(): SessionInfo[] {
    const keyed = [...this.#sessions.values()].map(({ key, owner }) => sessionInfo(owner, key));
    return this.#spare ? [sessionInfo(this.#spare), ...keyed] : keyed;
  }

  async request<T>(send: SendRequest<T>, options: ScopedRequestOptions): Promise<T> {
    const { key } = options;
    if (key === undefined) throw new KeyRequiredError(this.name);
    if (this.closedReason) throw notSentError(this.name, this.closedReason);
    if (this.state === 'disabled') throw new ServerUnavailableError(this.name, 'disabled');
    const { deadline } = options;
    for (;;) {
      const session = await this.waitingFor(() => this.#acquire(key, deadline, options.signal));
      // The owner counts the request as in flight before `request` returns, so the reservation can go.
      const pending = session.owner.request(send, options);
      session.reserved -= 1;
      try {
        return await pending;
      } catch (error) {
        // The key's session failed before the request was sent (its start failed, or its restarts
        // ran out while the call waited): the call waits for the key's next session, under the
        // restart policy, as a call on a shared server waits through its restarts.
        const unsent = error instanceof ServerUnavailableError && session.owner.state === 'failed';
        if (!unsent || this.closedReason) throw error;
        if (deadline.passed)
          throw new CallTimeoutError(this.name, deadline.timeoutMs, false, { cause: error });
      }
    }
  }

  readonly keys: KeyedSessions = { closeKey: (key) => this.#closeKey(key) };

  async #closeKey(key: string): Promise<void> {
    await this.#opening.get(key)?.catch(() => {});
    const session = this.#sessions.get(key);
    if (session) await this.#retire(session, 'closed for its key', true);
  }

  /** Callers waiting for a slot learn of the close at once. */
  protected override onClosing(): void {
    this.#wake();
  }

  protected async closeSessions(reason: string, drain: boolean): Promise<void> {
    // Retire first: the slots they free are what callers opening a session (on a restart) wait for.
    const retiring = [
      this.#retireSpare(reason),
      ...[...this.#sessions.values()].map((session) => this.#retire(session, reason, drain)),
    ];
    await Promise.all([...this.#opening.values()].map((opening) => opening.catch(() => {})));
    await Promise.all(retiring);
    if (this.#sessions.size === 0 && !this.#spare) this.#stopSweeper();
  }

  /** Past the restart limit, the spare goes: no key may take a session now. */
  protected override onFailed(): void {
    void this.#retireSpare('server failed');
  }

  protected override adoptProbe(probe: SessionOwner): boolean {
    if (this.#spare) return false; // one spare is enough
    this.#spare = probe;
    this.#live += 1;
    this.#startSweeper();
    return true;
  }

  /** The spare session, if it is still usable; a dead one is retired. */
  #takeSpare(): SessionOwner | undefined {
    const spare = this.#spare;
    if (!spare) return undefined;
    if (isDead(spare)) {
      void this.#retireSpare('spare session died');
      return undefined;
    }
    this.#spare = undefined;
    return spare;
  }

  #retireSpare(reason: string): Promise<void> {
    const spare = this.#spare;
    if (!spare) return Promise.resolve();
    this.#spare = undefined;
    return this.#close(spare, undefined, reason, 0);
  }

  protected override onOwnerIdle(): void {
    this.#wake();
  }

  /** The session for `key`, reserved for the caller; opens one (within the deadline) if there is none. */
  async #acquire(key: string, deadline: Deadline, signal: AbortSignal | undefined): Promise<KeyedSession> {
    for (;;) {
      if (this.closedReason) throw notSentError(this.name, this.closedReason);
      const existing = this.#sessions.get(key);
      if (existing && !isDead(existing.owner)) {
        existing.reserved += 1;
        return existing;
      }
      // A dead session (it failed past its own restarts) is retired; the key gets a new one.
      if (existing) void this.#retire(existing, 'session died', false);
      const opening = this.#opening.get(key);
      if (opening) {
        // Another caller is opening this key's session, within its own deadline: wait within ours.
        await this.#settledWithin(opening, deadline, signal);
        continue; // take it from the map (or open again if it is already gone)
      }
      const created = this.#open(key, deadline, signal);
      this.#opening.set(key, created);
      try {
        return await created; // reserved for us by #open
      } finally {
        this.#opening.delete(key);
      }
    }
  }

  /** Waits for `opening` to settle, but no longer than the caller's deadline and signal allow. */
  async #settledWithin(
    opening: Promise<unknown>,
    deadline: Deadline,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const outcome = await settledBy(opening, deadline.at, signal);
    if (outcome === 'timeout') throw new CallTimeoutError(this.name, deadline.timeoutMs, false);
    if (outcome === 'aborted') throw new CallAbortedError(this.name, { cause: signal?.reason });
  }

  async #open(key: string, deadline: Deadline, signal: AbortSignal | undefined): Promise<KeyedSession> {
    for (;;) {
      const unavailable = this.unavailable();
      if (unavailable) throw unavailable;
      const spare = this.#takeSpare();
      if (spare) {
        spare.key = key;
        const session: KeyedSession = { key, owner: spare, reserved: 1 };
        this.#sessions.set(key, session);
        this.deps.observer.onSession(this, 'opened', key); // announced when a key takes it
        return session;
      }
      await this.awaitStart(deadline, signal);
      await this.#takeSlot(deadline, signal);
      // The slot wait may have outlasted the runtime, or let another session fail: check again.
      if (this.unavailable() || !this.canStart()) {
        this.#freeSlot();
        continue;
      }
      const session: KeyedSession = { key, owner: this.newOwner(), reserved: 1 };
      session.owner.key = key;
      this.#sessions.set(key, session);
      this.launch(session.owner);
      this.deps.observer.onSession(this, 'opened', key);
      this.#startSweeper();
      return session;
    }
  }

  /**
   * Waits for a free slot, evicting the least recently used idle session when all are taken, but
   * only as many as the waiters need: a slot whose session is already closing is on its way.
   */
  async #takeSlot(deadline: Deadline, signal: AbortSignal | undefined): Promise<void> {
    this.#slotWaiters += 1;
    try {
      while (this.#live >= this.spec.session.maxSessions) {
        if (this.closedReason) throw notSentError(this.name, this.closedReason);
        if (this.#freeing < this.#slotWaiters) {
          const victim = this.#leastRecentlyUsedIdle();
          if (victim) void this.#retire(victim, 'evicted (least recently used)', false);
          else void this.#retireSpare('evicted (least recently used)');
        }
        const outcome = await waitForWake((wake) => this.#subscribe(wake), deadline.at, signal);
        if (outcome === 'timeout') throw new CallTimeoutError(this.name, deadline.timeoutMs, false);
        if (outcome === 'aborted') throw new CallAbortedError(this.name, { cause: signal?.reason });
      }
    } finally {
      this.#slotWaiters -= 1;
    }
    this.#live += 1;
  }

  #freeSlot(): void {
    this.#live -= 1;
    this.#wake();
  }

  /** The session to evict: a dead one first, else the least recently used idle one. */
  #leastRecentlyUsedIdle(): KeyedSession | undefined {
    let victim: KeyedSession | undefined;
    for (const session of this.#sessions.values()) {
      if (session.reserved > 0 || session.owner.inFlight > 0) continue;
      if (isDead(session.owner)) return session;
      if (!victim || session.owner.lastUsed < victim.owner.lastUsed) victim = session;
    }
    return victim;
  }

  /** Takes a session out of the map and closes it; its slot frees once its process is gone. */
  #retire(session: KeyedSession, reason: string, drain: boolean): Promise<void> {
    if (this.#sessions.get(session.key) === session) this.#sessions.delete(session.key);
    return this.#close(session.owner, session.key, reason, drain ? this.spec.session.drainTimeoutMs : 0);
  }

  /** Closes a session owner once, however many paths ask; its slot frees once its process is gone. */
  #close(owner: SessionOwner, key: string | undefined, reason: string, drainMs: number): Promise<void> {
    if (!this.isClosing(owner)) this.#freeing += 1;
    return this.closeOwner(owner, reason, {
      drainMs,
      onClosed: () => {
        this.#freeing -= 1;
        this.#freeSlot();
        this.deps.observer.onSession(this, 'closed', key, reason);
      },
    });
  }

  #subscribe(wake: () => void): () => void {
    this.#wakers.add(wake);
    return () => this.#wakers.delete(wake);
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /** One coarse timer retires sessions idle past `idleTimeoutMs`; it runs only while sessions exist. */
  #startSweeper(): void {
    if (this.#sweeper) return;
    const { idleTimeoutMs } = this.spec.session;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.min(1_000, idleTimeoutMs / 4)));
    this.#sweeper.unref();
  }

  #stopSweeper(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Retires sessions idle past the timeout, and dead ones (failed calls keep them "used") at once. */
  #sweep(): void {
    const cutoff = Date.now() - this.spec.session.idleTimeoutMs;
    for (const session of [...this.#sessions.values()]) {
      if (session.reserved > 0 || session.owner.inFlight > 0) continue;
      if (isDead(session.owner)) void this.#retire(session, 'session died', false);
      else if (session.owner.lastUsed <= cutoff) void this.#retire(session, 'idle timeout', false);
    }
    if (this.#spare && isDead(this.#spare)) void this.#retireSpare('spare session died');
    else if (this.#spare && this.#spare.lastUsed <= cutoff) void this.#retireSpare('idle timeout');
    if (this.#sessions.size === 0 && !this.#spare) this.#stopSweeper();
  }
}
