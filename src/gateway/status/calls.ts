/**
 * The gateway's recent tool calls, as the status page shows them: a ring buffer of the last N
 * {@link CallRecord}s (who, which tool, how long, how it ended; never arguments or results). It
 * owns only that memory, bounded whatever the call rate.
 */
import type { CallRecord } from '../gateway.js';

/** The last `capacity` calls. */
export class CallLog {
  readonly #capacity: number;
  readonly #ring: CallRecord[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /** Records a call, dropping the oldest beyond the capacity. */
  push(call: CallRecord): void {
    if (this.#ring.length < this.#capacity) this.#ring.push(call);
    else this.#ring[this.#next] = call;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** The recorded calls, newest first. */
  list(): CallRecord[] {
    const n = this.#ring.length;
    const out: CallRecord[] = [];
    for (let i = 1; i <= n; i++) out.push(this.#ring[(this.#next - i + n * 2) % n]!);
    return out;
  }
}
