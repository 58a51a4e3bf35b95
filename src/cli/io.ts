/**
 * Where the CLI writes: stdout for results (kept clean for `--json`), stderr for notices, errors and
 * the log. Commands take a {@link CliIo} rather than touching `process` so they can be driven in tests.
 * Everything written to the process's stderr has the config's secret values hidden and its control
 * characters escaped (a server's words in a message can neither show a secret nor forge a line).
 */
import { SecretValues } from '../log/secrets.js';
import { printable } from '../log/text.js';
import type { TerminalLine } from './progress.js';

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
  /** Whether stderr is a terminal (the log is then readable lines rather than JSON). */
  stderrIsTTY?: boolean;
  /** The secret values `err` hides; the run adds its config's (see `./logging.ts`). */
  secrets?: SecretValues;
}

/** The process's real stdout and stderr. */
export function processIo(): CliIo {
  const secrets = new SecretValues();
  return {
    out: (text) => void process.stdout.write(text + '\n'),
    err: (text) => void process.stderr.write(printable(secrets.scrub(text)) + '\n'),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    ...(process.stderr.isTTY && {
      terminal: {
        write: (text: string) => void process.stderr.write(text),
        get columns() {
          return process.stderr.columns || 80;
        },
      },
    }),
    stderrIsTTY: process.stderr.isTTY === true,
    secrets,
  };
}
