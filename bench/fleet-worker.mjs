/**
 * One measurement of the fleet part for one contender, in a fresh process (started by fleet.mjs
 * with `fork`).
 *
 *   node bench/fleet-worker.mjs <contender file> '<options JSON>'
 *   options: { phase: 'start', servers: N }      cold start of N echo servers (N = 20: also memory)
 *            { phase: 'close', variant, servers } close() of N servers, the last one stubborn
 *            { phase: 'state' }                   increment, increment, get on a counter server
 *   and, with every phase: `server` (the servers' kind: 'echo', the SDK v2 echo server, default, or
 *   'floor', the hand-written one), `serverNode` (the Node binary the servers run on: the runner's,
 *   whatever Node this worker runs on), `name` (the contender's name in the results, e.g. `berth@node24`).
 *
 * With `server: 'floor'` the cold starts, the memory figure and the close cases' 19 ordinary servers
 * use bench/servers/floor-server.mjs, and the state check its counter; the stubborn server (and
 * the wrapper's grandchild) stays the SDK v2 echo server that ignores SIGTERM and stdin EOF.
 *
 * Every server gets a unique tag argument (`--bench-tag=…`, ignored by the servers) so the
 * processes of this measurement, grandchildren included, can be found in /proc afterwards.
 *
 * - start: from `openFleet()` until every server has answered one `echo` call (so libraries that
 *   connect lazily are measured to the same point). With `memory`, the resident set size of this
 *   process then, after 1 s idle and a full GC, minus that of a bare `node -e` process on the same
 *   Node binary as this worker.
 * - close: N − 1 echo servers and one `stubborn` server (ignores SIGTERM and stdin EOF), or one
 *   `wrapper` (an npx-style wrapper whose grandchild is that stubborn server); all ready, then
 *   `close()` is timed (given up after 20 s), and the tagged processes still alive are counted at
 *   once and 2 s later. Then every survivor is SIGKILLed (and checked gone), so the worker can exit.
 * - state: one counter server; increment, increment, get. Survives = get returned 2.
 *
 * Afterwards every tagged process must be gone; the worker never calls process.exit.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { liveProcesses } from './lib/environment.mjs';

const server = (name) => fileURLToPath(new URL(`./servers/${name}-server.mjs`, import.meta.url));
const [file, json] = process.argv.slice(2);
const options = JSON.parse(json);
const TAG = `--bench-tag=${randomUUID()}`;
const CLOSE_TIMEOUT_MS = 20_000;

process.removeAllListeners('warning');
process.on('warning', () => {}); // listener-leak warnings of some clients; not this part's subject

const contender = await import(pathToFileURL(file).href);

const SERVER = options.server ?? 'echo';
const SERVER_NODE = options.serverNode ?? process.execPath;

const servers = (n, last) =>
  Array.from({ length: n }, (_, i) => ({
    name: `s${i + 1}`,
    command: SERVER_NODE,
    args: [i === n - 1 && last ? server(last) : server(SERVER), TAG],
  }));

/** Live processes carrying this measurement's tag (servers, wrappers' grandchildren). */
const tagged = () => (liveProcesses() ?? []).filter((p) => p.cmdline.includes(TAG));

async function ready(fleet, list) {
  await Promise.all(
    list.map(async ({ name }) => {
      const text = await fleet.call(name, 'echo', { value: name });
      if (text !== name) throw new Error(`echo on ${name} returned ${JSON.stringify(text)}`);
    }),
  );
}

function bareNodeRss() {
  const out = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.memoryUsage().rss))'], {
    encoding: 'utf8',
  });
  return Number(out.stdout);
}

function fullGc() {
  setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
}

async function killSurvivors() {
  const left = tagged();
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const deadline = Date.now() + 5000; tagged().length > 0 && Date.now() < deadline;) await sleep(20);
  return left.length;
}

async function start() {
  const list = servers(options.servers);
  const t0 = performance.now();
  const fleet = await contender.openFleet({ servers: list });
  const openMs = performance.now() - t0;
  await ready(fleet, list);
  const readyMs = performance.now() - t0;
  let memory;
  if (options.memory) {
    await sleep(1000);
    fullGc();
    await sleep(100);
    const rss = process.memoryUsage().rss;
    const bare = bareNodeRss();
    memory = { rssBytes: rss, bareNodeRssBytes: bare, hostBytes: rss - bare, liveServers: tagged().length };
  }
  await fleet.close();
  await sleep(500);
  const killed = await killSurvivors();
  return { openMs, readyMs, memory, leftAfterClose: killed };
}

async function close() {
  const list = servers(options.servers, options.variant);
  const fleet = await contender.openFleet({ servers: list });
  await ready(fleet, list);
  const before = tagged().length;
  const t0 = performance.now();
  let timer;
  const outcome = await Promise.race([
    fleet.close().then(() => 'closed'),
    new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS, 'timeout'))),
  ]);
  clearTimeout(timer);
  const closeMs = performance.now() - t0;
  const atClose = tagged().length;
  await sleep(2000);
  const after2s = tagged().length;
  const killed = await killSurvivors();
  return { processesBefore: before, closeMs, outcome, survivorsAtClose: atClose, survivors: after2s, killed };
}

async function state() {
  // The floor server keeps a counter itself; the SDK one is counter-server.mjs.
  const counter = server(SERVER === 'floor' ? 'floor' : 'counter');
  const list = [{ name: 'counter', command: SERVER_NODE, args: [counter, TAG] }];
  const fleet = await contender.openFleet({ servers: list });
  const values = [];
  try {
    values.push(await fleet.call('counter', 'increment', {}));
    values.push(await fleet.call('counter', 'increment', {}));
    values.push(await fleet.call('counter', 'get', {}));
  } finally {
    await fleet.close();
  }
  await sleep(300);
  const killed = await killSurvivors();
  return { values, survives: values[2] === '2', leftAfterClose: killed };
}

async function measure() {
  const phases = { start, close, state };
  const result = await phases[options.phase]();
  const left = tagged().length;
  if (left > 0) throw new Error(`${left} tagged server process(es) still alive at the end`);
  return {
    contender: options.name ?? basename(file, '.mjs'), // `berth@node24` for an extra row
    description: contender.description,
    versions: contender.versions(),
    node: process.version,
    ...options,
    ...result,
  };
}

try {
  process.send({ ok: true, result: await measure() }, () => process.disconnect());
} catch (error) {
  await killSurvivors().catch(() => {});
  process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.disconnect());
}
