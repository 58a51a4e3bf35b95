/**
 * How the CLI reports failures: `UsageError` for bad input it catches itself (invalid JSON arguments),
 * `DeadlineError` when `--timeout` ends start-up, and `describeError`, which turns any error into
 * the short `berth: …` text printed on stderr, with the stack (and causes) only when `BERTH_DEBUG=1`.
 */
import { inspect } from 'node:util';
import { BerthError, ConfigError, formatConfigIssue } from '../errors.js';

/** The user gave the CLI something it cannot use; the message says what and how to fix it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The run was interrupted by a signal (Ctrl-C or `kill`). */
export class InterruptedError extends Error {
  readonly signal: NodeJS.Signals;

  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
    this.signal = signal;
  }
}

/** `--timeout` ran out while the servers were still starting. */
export class DeadlineError extends Error {
  /** The `--timeout`, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, servers?: readonly string[]) {
    const which =
      servers && servers.length > 0
        ? `server${servers.length > 1 ? 's' : ''} ${servers.map((s) => JSON.stringify(s)).join(', ')}`
        : 'the servers';
    super(
      `timed out after ${timeoutMs} ms waiting for ${which} to start (--timeout bounds starting the server and the call)`,
    );
    this.name = 'DeadlineError';
    this.timeoutMs = timeoutMs;
  }
}

/** True when `BERTH_DEBUG` asks for stack traces. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.BERTH_DEBUG;
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/**
 * The text to print for an error: `berth: <message>`. A config error gets one line per issue
 * (`berth: <file>: <json path>: <what was expected>`). With `debug`, the stack and the cause chain follow.
 */
export function describeError(error: unknown, debug = debugEnabled()): string {
  let text: string;
  if (error instanceof ConfigError && error.issues.length > 0) {
    text = error.issues.map((issue) => `berth: ${formatConfigIssue(issue)}`).join('\n');
  } else if (error instanceof Error) {
    text = `berth: ${error.message || error.name}`;
    // A server's own words, kept out of the message: shown below it, marked as the server's.
    const tail = (error as { stderrTail?: unknown }).stderrTail;
    if (typeof tail === 'string' && tail.trim() !== '') {
      text += `\nberth: the server's stderr (tail):\n${tail.trimEnd().replace(/^/gm, '  | ')}`;
    }
  } else {
    text = `berth: ${typeof error === 'string' ? error : inspect(error)}`;
  }
  if (debug) text += '\n' + debugDetails(error);
  return text;
}

function debugDetails(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    if (current instanceof Error) {
      const code = BerthError.is(current) ? ` [${current.code}]` : '';
      parts.push(
        `${depth === 0 ? '' : 'caused by: '}${current.stack ?? `${current.name}: ${current.message}`}${code}`,
      );
      current = current.cause;
    } else {
      parts.push(`caused by: ${inspect(current)}`);
      break;
    }
  }
  return parts.join('\n');
}
