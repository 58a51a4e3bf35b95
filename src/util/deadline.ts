/**
 * A call's deadline, computed once where the call enters berth and handed down unchanged: every
 * layer it passes (the runtime that picks a session, the owner that waits for readiness, the SDK
 * request) asks the same deadline how much time is left, so no layer restarts the clock.
 */

/** When a call must be done by, and the budget it was given. */
export class Deadline {
  /** The time it passes, in ms since the epoch. */
  readonly at: number;
  /** The whole budget the caller gave, for messages ("timed out after 5000 ms"). */
  readonly timeoutMs: number;

  private constructor(timeoutMs: number, start: number) {
    this.timeoutMs = timeoutMs;
    this.at = start + timeoutMs;
  }

  /**
   * A deadline `timeoutMs` (a valid duration: see `checkDuration`) after `start` (ms since the epoch;
   * by default now): pass the moment the call entered berth when its budget is known only later.
   */
  static in(timeoutMs: number, start = Date.now()): Deadline {
    return new Deadline(timeoutMs, start);
  }

  /** The time left in ms, at least 1 (what a timer or an SDK request timeout is given). */
  left(): number {
    return Math.max(1, this.at - Date.now());
  }

  /** Whether it has passed. */
  get passed(): boolean {
    return Date.now() >= this.at;
  }
}
