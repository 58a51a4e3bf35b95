#!/usr/bin/env node
/**
 * Start-up with a cached catalog (issue 15): 20 configured stdio servers (bench/servers/echo-server.mjs),
 * `start: "lazy"` with a warm start cache against `start: "eager"`, in the same run:
 *   - host: ms until `createHost()` resolves, i.e. until `host.tools()` is available;
 *   - CLI: wall time of `berth tools --config <file>` (a fresh Node process each time);
 *   - first call: a lazy host's first call to one server (it starts that server) against an eager
 *     host's first call plus what one server's start costs (a host with one eager server).
 * Median of `--runs` (default 5) rounds. Needs `npm run build` first.
 *
 *   node bench/lazy-start.mjs [--runs N] [--servers N] [--lazy-only] [--cli PATH]...
 *
 * `--lazy-only` skips the eager rows: their 20 concurrent server starts load the machine for the
 * lazy measurements that follow them. `--cli PATH` (repeatable) times another build's CLI entry
 * beside this one's, in turn in each round, each on a warm cache of its own (e.g. an older commit's
 * `dist/cli/main.js`, built in a git worktree).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHost } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    servers: { type: 'string', default: '20' },
    'lazy-only': { type: 'boolean', default: false },
    cli: { type: 'string', multiple: true, default: [] },
  },
});
const runs = Number(values.runs);
const count = Number(values.servers);
const lazyOnly = values['lazy-only'];
const SERVER = fileURLToPath(new URL('./servers/echo-server.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/bin/berth.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'berth-lazy-bench-'));
const cacheDir = join(work, 'cache');

/** A config of `n` servers starting `start`; each entry differs (its own cache file). */
function config(start, n = count) {
  const mcpServers = {};
  for (let i = 0; i < n; i++)
    mcpServers[`s${i}`] = { command: process.execPath, args: [SERVER, `--id=${i}`] };
  return { defaults: { start }, mcpServers };
}
const files = {};
for (const start of ['lazy', 'eager']) {
  files[start] = join(work, `${start}.json`);
  writeFileSync(files[start], JSON.stringify(config(start)));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => (x === undefined ? '-' : `${x.toFixed(1)} ms`);

async function timeHost(start, n = count) {
  const began = performance.now();
  const host = await createHost(config(start, n), { cacheDir });
  const took = performance.now() - began;
  const tools = host.tools().length;
  const running = host.status().filter((s) => s.pid !== undefined).length;
  await host.close();
  return { took, tools, running };
}

/** The floor of any CLI run: a Node process that does nothing. */
function timeNode() {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    execFile(process.execPath, ['-e', ''], (error) =>
      error ? reject(error) : resolve(performance.now() - began),
    );
  });
}

function timeCli(start, cli = CLI, cache = cacheDir) {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    execFile(
      process.execPath,
      [cli, 'tools', '--config', files[start]],
      { env: { ...process.env, BERTH_CACHE_DIR: cache } },
      (error) => (error ? reject(error) : resolve(performance.now() - began)),
    );
  });
}

/** The first call on a fresh host: to a lazy server (it starts), or to an eager one (started). */
async function timeFirstCall(start, n) {
  const host = await createHost(config(start, n), { cacheDir });
  const began = performance.now();
  await host.callTool('s0__echo', { value: 'x' });
  const took = performance.now() - began;
  const running = host.status().filter((s) => s.pid !== undefined).length;
  await host.close();
  return { took, running };
}

// Warm the cache (a cold lazy host starts and lists every server); each other CLI warms its own.
await (await createHost(config('lazy'), { cacheDir })).close();
const others = values.cli.map((cli, i) => ({ cli, cache: join(work, `cache-cli-${i}`), times: [] }));
for (const other of others) await timeCli('lazy', other.cli, other.cache);

const rows = {
  lazyHost: [],
  eagerHost: [],
  lazyCli: [],
  eagerCli: [],
  lazyCall: [],
  eagerCall: [],
  oneStart: [],
  node: [],
};
let facts = {};
for (let r = 0; r < runs; r++) {
  const lazy = await timeHost('lazy');
  rows.lazyHost.push(lazy.took);
  facts.lazyTools = lazy.tools;
  facts.lazyRunning = lazy.running;
  if (!lazyOnly) {
    const eager = await timeHost('eager');
    rows.eagerHost.push(eager.took);
    facts.eagerTools = eager.tools;
    facts.eagerRunning = eager.running;
  }
  rows.node.push(await timeNode());
  rows.lazyCli.push(await timeCli('lazy'));
  for (const other of others) other.times.push(await timeCli('lazy', other.cli, other.cache));
  if (!lazyOnly) rows.eagerCli.push(await timeCli('eager'));
  const lazyCall = await timeFirstCall('lazy', count);
  rows.lazyCall.push(lazyCall.took);
  facts.lazyRunningAfterCall = lazyCall.running;
  if (!lazyOnly) {
    rows.eagerCall.push((await timeFirstCall('eager', count)).took);
    rows.oneStart.push((await timeHost('eager', 1)).took);
  }
}

console.log(`node ${process.version}, ${count} stdio servers, median of ${runs} runs`);
console.log(
  `host.tools() available:   lazy (warm cache) ${ms(median(rows.lazyHost))}  eager ${ms(median(rows.eagerHost))}`,
);
console.log(
  `  tools listed: lazy ${facts.lazyTools}, eager ${facts.eagerTools}; processes running: lazy ${facts.lazyRunning}, eager ${facts.eagerRunning}`,
);
console.log(
  `berth tools (wall):       lazy (warm cache) ${ms(median(rows.lazyCli))}  eager ${ms(median(rows.eagerCli))}`,
);
for (const other of others) console.log(`  ${other.cli} (warm cache of its own): ${ms(median(other.times))}`);
console.log(
  `  (node -e "" alone: ${ms(median(rows.node))}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
);
console.log(
  `first call to s0:         lazy ${ms(median(rows.lazyCall))} (processes after it: ${facts.lazyRunningAfterCall})  eager ${ms(median(rows.eagerCall))}`,
);
console.log(
  `one eager server's start: ${ms(median(rows.oneStart))}  (lazy first call ≈ this + eager first call)`,
);
