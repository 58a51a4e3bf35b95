/**
 * Gateway contender: `berth serve` from this tree's dist/ (the CLI, as users run it), Streamable
 * HTTP on 127.0.0.1, port 0, bare tool names (`"gateway": { "prefix": "never" }`). The upstream
 * server keeps berth's default `shared` scope, except with `stateful` (the counter server): then
 * `"session": "keyed"`, one upstream session per client session, with `maxSessions` raised to 128
 * so every one of the 100 clients keeps its own (the default, 16, would evict idle clients' sessions).
 * Two gateway limits are raised for the load (see launch()); everything else is berth's default.
 * Skipped while this build has no `serve` command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist/bin/berth.js');

export const description = '`berth serve` (dist/bin/berth.js), Streamable HTTP';
export const transport = 'streamable-http';
export const sessionModel =
  'per server scope: shared (one upstream session for every client); keyed: one upstream session and process per client session, up to maxSessions';

export function versions() {
  return { berth: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version };
}

export function unavailable() {
  if (!existsSync(MAIN)) return 'dist/ is not built (npm run build)';
  const help = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' }).stdout ?? '';
  if (!/^\s+serve\b/m.test(help))
    return 'this build has no `berth serve` (dist/bin/berth.js --help lists no serve command)';
  return undefined;
}

export function launch({ server, stateful, dir }) {
  const entry = { command: server.command, args: server.args };
  if (stateful) Object.assign(entry, { session: 'keyed', maxSessions: 128 });
  const config = join(dir, 'berth.json');
  // Limits raised for the load itself: 1,000 idle sessions plus the first client (default cap 1,000),
  // and 100 clients' calls in flight at once from one (anonymous) principal (default 64).
  const gateway = { prefix: 'never', limits: { maxClientSessions: 2000, maxInFlightPerPrincipal: 1000 } };
  writeFileSync(config, JSON.stringify({ gateway, mcpServers: { bench: entry } }, null, 2));
  return {
    command: process.execPath,
    args: [MAIN, 'serve', '--config', config, '--listen', '127.0.0.1:0'],
    ready: { stderr: /berth: serving (http:\/\/\S+)/ },
  };
}
