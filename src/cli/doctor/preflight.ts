/**
 * `berth doctor`'s checks that need no server running: the config entry itself (every `${VAR}` it
 * needs is set, named one by one, never with a value), and for a stdio server whether its command
 * resolves the way the spawn will look it up (on the child's PATH, from its working directory), with
 * a hint for the launchers people use (`npx`, `uvx`, `docker`, …) when one is missing.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import type { ConfigIssue, StdioServerSpec } from '../../api.js';
import { formatConfigIssue } from '../../errors.js';
import type { DoctorCheck } from './report.js';

/** Where to get a runtime a server command often is. */
const RUNTIMES: Readonly<Record<string, string>> = {
  node: 'install Node.js from https://nodejs.org',
  python: 'install Python from https://www.python.org',
  python3: 'install Python from https://www.python.org',
};

/** Launchers that fetch or run a server package, and where to get each. */
const LAUNCHERS: Readonly<Record<string, string>> = {
  npx: 'npx comes with Node.js (npm): install Node.js from https://nodejs.org',
  uvx: 'uvx comes with uv: install uv from https://docs.astral.sh/uv/',
  uv: 'install uv from https://docs.astral.sh/uv/',
  pipx: 'install pipx from https://pipx.pypa.io',
  docker: 'install Docker (https://docs.docker.com/get-docker/) and make sure `docker` is on PATH',
  podman: 'install Podman (https://podman.io) and make sure `podman` is on PATH',
  bunx: 'bunx comes with Bun: install Bun from https://bun.sh',
  deno: 'install Deno from https://deno.com',
};

/** The checks for an entry the config could not use: its unset variables, then its other issues. */
export function configChecks(issues: readonly ConfigIssue[]): DoctorCheck[] {
  const missing = [...new Set(issues.flatMap((issue) => (issue.variable ? [issue.variable] : [])))];
  const checks: DoctorCheck[] = [];
  if (missing.length > 0) {
    const list = missing.join(', ');
    checks.push({
      check: 'variables',
      verdict: 'fail',
      message: `${missing.length === 1 ? 'variable' : 'variables'} ${list} ${missing.length === 1 ? 'is' : 'are'} not set (set ${missing.length === 1 ? 'it' : 'them'} in the environment, or give a default with \${NAME:-value})`,
      missingVariables: missing,
    });
  }
  for (const issue of issues) {
    if (issue.variable) continue;
    checks.push({ check: 'config', verdict: 'fail', message: formatConfigIssue(issue) });
  }
  return checks;
}

/** Whether `path` is a file this process may execute. */
function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `command` resolves for a spawn with this PATH from `cwd`: a path with a `/` as given (against
 * `cwd`), else the first executable file of that name in a PATH directory. Undefined when none.
 */
export function resolveCommand(command: string, path: string | undefined, cwd: string): string | undefined {
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd, command);
    return executable(file) ? file : undefined;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = resolve(cwd, join(dir, command));
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** The package a launcher runs (`npx -y @scope/pkg` → `@scope/pkg`), when one can be told. */
function launchedPackage(launcher: string, args: readonly string[]): string | undefined {
  if (!['npx', 'uvx', 'bunx', 'pipx'].includes(launcher)) return undefined;
  const operands = args.filter((arg) => !arg.startsWith('-'));
  const first = launcher === 'pipx' && operands[0] === 'run' ? operands[1] : operands[0];
  return first;
}

/** The command check of a stdio server: found (where), or missing (with what to install). */
export function commandCheck(spec: StdioServerSpec, env: NodeJS.ProcessEnv = process.env): DoctorCheck {
  const cwd = spec.cwd ?? process.cwd();
  // The child's PATH: the entry's own, else the one the child inherits (berth always passes PATH on).
  const path = spec.env.PATH ?? env.PATH;
  const name = basename(spec.command);
  const launcher = Object.hasOwn(LAUNCHERS, name) ? name : undefined;
  const resolved = resolveCommand(spec.command, path, cwd);
  const check = launcher ? ('launcher' as const) : ('command' as const);
  if (resolved === undefined) {
    const where = spec.command.includes('/')
      ? `${JSON.stringify(spec.command)} is not an executable file`
      : `${JSON.stringify(spec.command)} is not on PATH`;
    const hint = launcher
      ? LAUNCHERS[launcher]!
      : Object.hasOwn(RUNTIMES, name)
        ? `${RUNTIMES[name]!}, or give its full path as "command"`
        : 'install it, or give its full path as "command"';
    return { check, verdict: 'fail', message: `${where}: ${hint}`, command: spec.command };
  }
  const runs = launcher ? launchedPackage(launcher, spec.args) : undefined;
  return {
    check,
    verdict: 'ok',
    message: `${resolved}${runs ? ` (runs ${runs})` : ''}`,
    command: spec.command,
    resolved,
  };
}
