/**
 * `berth status`: each server's state (a `lazy` server not started yet says so), transport, pid, tool count, restarts and last error, as an
 * aligned table; `--verbose` adds each server's full last error, config issues and stderr tail;
 * `--json` prints `status()`. Also owns the "server not ready" notice other commands print. What it
 * prints holds the servers' own words (errors, stderr): the config's secret values are hidden in it as
 * in the log, and in text its control characters are escaped (see `../io.ts`).
 */
import { formatConfigIssue } from '../../errors.js';
import type { Host, ServerStatus } from '../../api.js';
import { SecretValues } from '../../log/secrets.js';
import { printable } from '../../log/text.js';
import { firstLine, indent, table } from '../format.js';
import type { CliIo } from '../io.js';

/** Options of `berth status`. */
export interface StatusOptions {
  json?: boolean;
  /** Add the full last error, config issues and stderr tail of each server. */
  verbose?: boolean;
}

/**
 * Prints every server's status; returns the exit code: 1 when any server has failed (so `berth status`
 * works as a health check), else 0.
 */
export function statusCommand(host: Host, options: StatusOptions, io: CliIo): number {
  const servers = (io.secrets ?? new SecretValues()).scrubAll(host.status());
  if (options.json) {
    io.out(JSON.stringify(servers, null, 2));
    return exitCode(servers);
  }
  if (servers.length === 0) {
    io.err('berth: the config has no servers');
    return 0;
  }
  const rows = servers.map((s) => [
    s.name,
    // A lazy server not started yet serves its cached catalog; a call starts it.
    s.lazy && !s.lazy.started ? `${s.state} (lazy, not started)` : s.state,
    s.transport,
    s.pid === undefined ? '-' : String(s.pid),
    String(s.tools),
    String(s.restarts),
    s.lastError ? firstLine(s.lastError.message) : '-',
  ]);
  io.out(
    printable(
      table(['SERVER', 'STATE', 'TRANSPORT', 'PID', 'TOOLS', 'RESTARTS', 'LAST ERROR'], rows, {
        maxWidth: io.columns,
      }),
    ),
  );
  if (options.verbose) {
    for (const server of servers) {
      const details = serverDetails(server);
      if (details) io.out(printable(`\n${server.name}:\n${indent(details)}`));
    }
  } else if (exitCode(servers) !== 0) {
    io.err('berth: run `berth status --verbose` for details');
  }
  return exitCode(servers);
}

function exitCode(servers: readonly ServerStatus[]): number {
  return servers.some((s) => s.state === 'failed') ? 1 : 0;
}

/** The long form of one server's trouble: last error, config issues, stderr tail; `''` when none. */
function serverDetails(server: ServerStatus): string {
  const parts: string[] = [];
  // An entry the config could not use: its issues say it all (its last error repeats them).
  for (const issue of server.configIssues ?? []) parts.push(`config: ${formatConfigIssue(issue)}`);
  if (server.lastError && !server.configIssues?.length) {
    const { code, phase, exitCode, signal } = server.lastError;
    const facts = [code];
    if (phase) facts.push(`phase ${phase}`);
    if (exitCode !== undefined && exitCode !== null) facts.push(`exit code ${exitCode}`);
    if (signal) facts.push(`signal ${signal}`);
    parts.push(`last error (${facts.join(', ')}):\n${indent(server.lastError.message)}`);
  }
  for (const tool of server.invalidTools ?? []) {
    parts.push(`tool left out (malformed): ${tool.name ?? `#${tool.position}`}: ${tool.problem}`);
  }
  const tail = server.stderrTail?.trimEnd();
  if (tail) parts.push(`stderr (tail):\n${indent(tail, '  | ')}`);
  return parts.join('\n');
}

/**
 * Names, on stderr, each server that is not ready (its tools are missing from the catalog), with the
 * first line of its last error and a pointer to `berth status --verbose`.
 */
export function warnUnavailable(host: Host, io: CliIo): void {
  const down = host.status().filter((s) => s.state !== 'ready');
  for (const server of down) {
    const reason = server.lastError ? `: ${firstLine(server.lastError.message)}` : '';
    io.err(`berth: server "${server.name}" is ${server.state}${reason}`);
  }
  if (down.some((s) => s.state === 'failed')) io.err('berth: run `berth status --verbose` for details');
}
