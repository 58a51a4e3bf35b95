/**
 * Runs the built CLI (`dist/bin/berth.js`) as a real child process for the CLI tests: piped (stdout
 * and stderr captured) or under a pseudo-terminal (`script` from util-linux), and checks that every
 * run ended by itself, never by the hang timeout.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The built CLI. */
export const CLI = fileURLToPath(new URL('../../dist/bin/berth.js', import.meta.url));
export const FIXTURE = fileURLToPath(new URL('../fixtures/fixture-server.mjs', import.meta.url));
export const TINY = fileURLToPath(new URL('../fixtures/tiny-counter.mjs', import.meta.url));

/** Far above a normal run; reaching it means the CLI hung. */
export const HANG_TIMEOUT_MS = 30_000;

/** One run's outcome. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails early with a clear message when the CLI has not been built. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/** Runs `berth …args` with stdout and stderr piped; asserts it exited by itself. */
export async function berth(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<Run> {
  const { run, killed } = await new Promise<{ run: Run; killed: boolean }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: options.cwd,
        timeout: HANG_TIMEOUT_MS,
        env: { ...process.env, BERTH_DEBUG: '', ...options.env },
      },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: unknown; killed?: boolean }) | null;
        const code = failure ? (typeof failure.code === 'number' ? failure.code : null) : 0;
        resolve({ run: { code, stdout, stderr }, killed: failure?.killed ?? false });
      },
    );
  });
  expect(killed, `berth ${args.join(' ')} hung and was killed`).toBe(false);
  return run;
}

/** Whether `script` (util-linux) can give a child a pseudo-terminal here. */
export const HAS_SCRIPT = (() => {
  try {
    execFileSync('script', ['-qfec', 'true', '/dev/null'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

/** POSIX shell quoting of one word. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `berth …args` under a pseudo-terminal (stdin, stdout and stderr all the terminal), with
 * `redirect` appended to the command line (e.g. `2>/tmp/err` or `| cat`); resolves with everything
 * the terminal showed.
 */
export async function berthInTerminal(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; redirect?: string },
): Promise<Run> {
  const line =
    [process.execPath, CLI, ...args].map(quote).join(' ') + (options.redirect ? ` ${options.redirect}` : '');
  const { run, killed } = await new Promise<{ run: Run; killed: boolean }>((resolve) => {
    execFile(
      'script',
      ['-qfec', line, '/dev/null'],
      {
        cwd: options.cwd,
        timeout: HANG_TIMEOUT_MS,
        env: { ...process.env, BERTH_DEBUG: '', COLUMNS: '100', LINES: '30', ...options.env },
      },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: unknown; killed?: boolean }) | null;
        const code = failure ? (typeof failure.code === 'number' ? failure.code : null) : 0;
        resolve({ run: { code, stdout, stderr }, killed: failure?.killed ?? false });
      },
    );
  });
  expect(killed, `berth ${args.join(' ')} (in a terminal) hung and was killed`).toBe(false);
  return run;
}
