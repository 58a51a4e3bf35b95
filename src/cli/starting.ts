/**
 * What a command waits for while its servers start, instead of a silent wait: on a terminal, a live
 * line (`berth: starting github, slack… 2.4 s`) redrawn as servers become ready and erased when all
 * have settled; on a pipe, one note on stderr if start-up takes long (`berth: still starting: github`).
 * Fed by the host's `server:state` events; owns its timers and releases them on `stop()`.
 */
import type { HostEvent, ServerState } from '../api.js';
import type { CliIo } from './io.js';
import { LiveLine } from './progress.js';

/** How long start-up may take before the terminal line appears (a quick start shows nothing). */
const SHOW_AFTER_MS = 300;
/** How often the terminal line is redrawn (for its clock). */
const REDRAW_EVERY_MS = 250;
/** How long start-up may take before the one note on a pipe. */
const NOTE_AFTER_MS = 2_000;

/** Watches servers start; `stop()` when the host has started (or failed to). */
export class StartupWatch {
  readonly #io: CliIo;
  readonly #states = new Map<string, ServerState>();
  readonly #started = Date.now();
  readonly #line: LiveLine | undefined;
  #timer: NodeJS.Timeout | undefined;
  #interval: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(io: CliIo) {
    this.#io = io;
    this.#line = io.terminal && new LiveLine(io.terminal);
    if (this.#line) {
      this.#timer = setTimeout(() => {
        this.#draw();
        this.#interval = setInterval(() => this.#draw(), REDRAW_EVERY_MS);
      }, SHOW_AFTER_MS);
    } else {
      this.#timer = setTimeout(() => this.#note(), NOTE_AFTER_MS);
    }
  }

  /** The host's event handler. */
  readonly onEvent = (event: HostEvent): void => {
    if (this.#stopped || event.type !== 'server:state') return;
    this.#states.set(event.server, event.state);
    if (this.#interval) this.#draw(true);
  };

  /** The servers still starting, in the order they began. */
  #pending(): string[] {
    return [...this.#states].filter(([, state]) => state === 'starting').map(([name]) => name);
  }

  #draw(force = false): void {
    const pending = this.#pending();
    if (pending.length === 0) {
      this.#line?.clear();
      return;
    }
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(1);
    this.#line?.draw(`berth: starting ${pending.join(', ')}… ${seconds} s`, force);
  }

  #note(): void {
    const pending = this.#pending();
    if (pending.length > 0) {
      this.#io.err(`berth: still starting: ${pending.join(', ')} (each within its startupTimeoutMs)`);
    }
  }

  /** Stops watching: clears the timers and erases the terminal line. Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#interval);
    this.#line?.clear();
  }
}
