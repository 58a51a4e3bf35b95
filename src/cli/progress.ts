/**
 * Live lines on a terminal: a tool call's progress bar and the "still starting" line, each drawn on
 * one line of stderr and redrawn in place, then erased, so nothing of them is left in the scrollback
 * or reaches a pipe. They are drawn only on a {@link TerminalLine} (stderr when it is a terminal);
 * command results never go through here. Redraws are throttled without timers.
 */
import type { Progress } from '@modelcontextprotocol/client';
import { truncate } from './format.js';

/** A terminal to draw one live line on (stderr, when it is a TTY). */
export interface TerminalLine {
  /** Writes raw text (no newline added). */
  write(text: string): void;
  /** The terminal's width. */
  readonly columns: number;
}

/** Carriage return, then erase to the end of the line. */
const ERASE = '\r\x1b[K';

/** The fewest milliseconds between two redraws (the last state is always drawn on `done`). */
const REDRAW_MS = 80;

/** One line, redrawn in place on a terminal, erased by `clear()`. */
export class LiveLine {
  readonly #terminal: TerminalLine;
  #shown = false;
  #drawnAt = 0;

  constructor(terminal: TerminalLine) {
    this.#terminal = terminal;
  }

  /** Draws `text` over the line (cut to the terminal's width); skipped when the last draw was too recent, unless `force`. */
  draw(text: string, force = false): void {
    const now = Date.now();
    if (!force && this.#shown && now - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = now;
    this.#shown = true;
    // One column short of the width: a line that fills it wraps on some terminals.
    this.#terminal.write(
      ERASE + truncate(text.replace(/[\r\n\t]+/g, ' '), Math.max(10, this.#terminal.columns - 1)),
    );
  }

  /** Erases the line, if anything was drawn. Idempotent. */
  clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.#terminal.write(ERASE);
  }
}

/** The width of the bar itself, in characters. */
const BAR_WIDTH = 24;

/**
 * A tool call's progress as one line: `tool [########--------]  50% 5/10 message`, or without a
 * total, `tool … 5 message`.
 */
export function progressText(label: string, progress: Progress): string {
  const { progress: done, total, message } = progress;
  const tail = message ? ` ${message}` : '';
  if (typeof total === 'number' && total > 0 && Number.isFinite(total)) {
    const ratio = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
    const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
    return `${label} [${bar}] ${percent} ${formatNumber(done)}/${formatNumber(total)}${tail}`;
  }
  return `${label} … ${formatNumber(done)}${tail}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** A progress bar for one call: `update` on each notification, `clear` when the call ends. */
export class ProgressBar {
  readonly #line: LiveLine;
  readonly #label: string;

  constructor(terminal: TerminalLine, label: string) {
    this.#line = new LiveLine(terminal);
    this.#label = label;
  }

  /** Draws the latest progress (throttled; the final step always shows). */
  update(progress: Progress): void {
    const final = typeof progress.total === 'number' && progress.progress >= progress.total;
    this.#line.draw(progressText(this.#label, progress), final);
  }

  /** Erases the bar. */
  clear(): void {
    this.#line.clear();
  }
}
