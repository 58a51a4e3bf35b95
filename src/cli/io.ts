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
}

/** The process's real stdout and stderr. */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text + '\n'),
    err: (text) => void process.stderr.write(text + '\n'),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  };
}
