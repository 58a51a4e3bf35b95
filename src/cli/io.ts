import type { TerminalLine } from './progress.js';

/**
 * Where the CLI writes: stdout for results (kept clean for `--json`), stderr for notices and errors.
 * Commands take a {@link CliIo} rather than touching `process` so they can be driven in tests.
 */

/** The CLI's output streams. Each call writes `text` followed by a newline. */
export interface CliIo {
  /** Writes a line (or lines) of results to stdout. */
  out(text: string): void;
  /** Writes a line (or lines) of notices or errors to stderr. */
  err(text: string): void;
  /** The terminal's width when stdout is a terminal; undefined when it is piped or redirected. */
  columns?: number;
  /**
   * stderr, when it is a terminal: where live lines (a call's progress bar, the servers still
   * starting) are drawn and erased. Absent when stderr is piped or redirected, so nothing live ever
   * reaches a file or a pipe.
   */
  terminal?: TerminalLine;
}

/** The process's real stdout and stderr. */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text + '\n'),
    err: (text) => void process.stderr.write(text + '\n'),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    ...(process.stderr.isTTY && {
      terminal: {
        write: (text: string) => void process.stderr.write(text),
        get columns() {
          return process.stderr.columns || 80;
        },
      },
    }),
  };
}
