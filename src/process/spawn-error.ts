/**
 * Explains why a server process could not be spawned. The operating system reports only an errno
 * (ENOENT for a missing command, but also for a missing working directory or a missing `#!`
 * interpreter; EACCES for a file that is not executable, but also for a directory), so on failure this
 * looks at the command and the working directory to say which it was, and what to do about it.
 * Runs only after a spawn has failed.
 */
import { openSync, readSync, closeSync, statSync, type Stats } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { ServerError } from '../errors.js';

/** What was being spawned. */
export interface SpawnTarget {
  server: string;
  command: string;
  cwd?: string;
  /** The child's environment (its PATH is the one the command is looked up in). */
  env: Record<string, string>;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The file the command names: a path as given (relative to cwd), or the first match on PATH. */
function locate(target: SpawnTarget): string | undefined {
  const { command, cwd, env } = target;
  if (command.includes('/')) return isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = resolve(cwd ?? process.cwd(), join(dir, command));
    if (statOf(candidate)) return candidate;
  }
  return undefined;
}

/** The interpreter on a script's `#!` line, if it has one, and whether the line ends in CRLF. */
function interpreterOf(path: string): { interpreter: string; crlf: boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(256);
    const read = readSync(fd, head, 0, head.length, 0);
    const line = head.toString('utf8', 0, read).split('\n')[0] ?? '';
    if (!line.startsWith('#!')) return undefined;
    const interpreter = line.slice(2).trim().split(/\s+/)[0];
    return interpreter ? { interpreter, crlf: line.endsWith('\r') } : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Why the spawn failed, in words, with what to do. */
function reasonFor(target: SpawnTarget, error: NodeJS.ErrnoException): string {
  const { command, cwd } = target;
  const code = error.code;
  if (cwd !== undefined && (code === 'ENOENT' || code === 'ENOTDIR')) {
    const dir = statOf(cwd);
    if (!dir) return `its working directory does not exist: ${cwd} (check the entry's "cwd")`;
    if (!dir.isDirectory())
      return `its working directory is not a directory: ${cwd} (check the entry's "cwd")`;
  }
  const path = locate(target);
  const stat = path === undefined ? undefined : statOf(path);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    if (stat?.isFile()) {
      const shebang = interpreterOf(path!);
      if (shebang?.crlf) {
        // The kernel looks for "/bin/sh\r": the script was saved with Windows line endings.
        return `${path} has Windows line endings (CRLF), so its #! interpreter (${shebang.interpreter}) is not found: convert it to LF line endings`;
      }
      if (shebang) {
        return `the interpreter on the first line of ${path} (#!${shebang.interpreter}) was not found (install it, or fix the script's #! line)`;
      }
    }
    if (code === 'ENOTDIR') {
      return `command not found: ${command} (a part of its path is not a directory; check the entry's "command")`;
    }
    const where = command.includes('/')
      ? 'no such file; check the entry\'s "command"'
      : 'not on the PATH the server gets; check that it is installed, give its full path, or set PATH in the entry\'s "env"';
    return `command not found: ${command} (${where})`;
  }
  if (code === 'EACCES') {
    if (stat?.isDirectory()) return `${path} is a directory, not a program (check the entry's "command")`;
    if (stat) {
      return `${path} is not executable (permission denied): make it executable (chmod +x), or run it through its interpreter`;
    }
    return `permission denied running ${command} (check the permissions of the command and the directories on its path)`;
  }
  if (code === 'E2BIG')
    return 'its arguments and environment are too long for the operating system (shorten "args" or "env")';
  if (code === 'EAGAIN' || code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM') {
    return `the system is out of resources (${code}: too many processes, open files or memory); close something and restart the server`;
  }
  return error.message;
}

/** The `ServerError` (phase `spawn`) for a failed spawn. */
export function spawnError(target: SpawnTarget, error: unknown): ServerError {
  const reason = `could not start: ${reasonFor(target, error as NodeJS.ErrnoException)}`;
  return new ServerError({ server: target.server, phase: 'spawn', reason }, { cause: error });
}
