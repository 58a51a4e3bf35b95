/**
 * One measurement of the gateway part for one gateway contender, in a fresh process (started by
 * gateway.mjs with `fork`). The clients are SDK v2 clients in this process; the gateway is a
 * process of its own (lib/gateway-contender.mjs starts it, in a process group of its own, and
 * stops it: SIGTERM, then SIGKILL of whatever is left).
 *
 *   node bench/gateway-worker.mjs <gateway contender file> '<options JSON>'
 *
 * options.phase:
 *   calls      one client session: `warmup` sequential `echo` calls, then `calls` measured ones,
 *              each timed (µs), with this process's CPU time per call (client CPU) and the gateway
 *              tree's (gateway + upstream server, from /proc) per call. Each of the two loops also
 *              stops at its time cap (`warmupSeconds`, `callSeconds`). Then `clients` client
 *              sessions, each its own client and transport, call in closed loops: `loadWarmSeconds`
 *              unmeasured, then `loadSeconds` measured; throughput = calls answered / time until
 *              the last one came back.
 *   sessions   one client makes a call (so the upstream is up), then up to `sessions` more client
 *              sessions are opened (initialize only; the SDK also opens its GET stream), `openConcurrency`
 *              at a time, until `sessionSeconds` or a tree-RSS growth of `sessionBudgetMiB`. The
 *              gateway's RSS (its own, and its process tree's, from /proc/<pid>/status) and heap (heap
 *              probe, after a full GC) are read before and after, 1 s after the last change. Then every
 *              session is closed (DELETE) and memory and processes are read once more.
 *   processes  the counter server behind the gateway in its per-client mode (`stateful`); `clients`
 *              client sessions each call increment, increment, get (clients concurrently). The
 *              processes of the gateway's tree are counted from /proc while that happens (the most
 *              seen) and after it, and after every client closed; the values `get` returned say
 *              whether each client had state of its own.
 * Common options: `name`, `tag` (the measurement's uuid: on every server's command line, and in
 * the gateway's environment, see lib/process-tree.mjs), `server` ('floor' or 'echo'), `serverNode`.
 *
 * Every reply is checked. The worker never calls process.exit: a handle left open keeps it alive
 * and gateway.mjs reports it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectClient, startGateway } from './lib/gateway-contender.mjs';
import {
  argv,
  killAll,
  rssBytes,
  taggedPids,
  treeCpuSeconds,
  treePids,
  treeRss,
} from './lib/process-tree.mjs';
import { latencySummary } from './lib/stats.mjs';

const [file, json] = process.argv.slice(2);
const options = JSON.parse(json);
const contender = await import(pathToFileURL(file).href);
const PAYLOAD = 'hello, gateway';
const READY_TIMEOUT_MS = 30_000;

const warnings = {};
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const key = `${warning.name}: ${warning.message.replace(/\d+/g, 'N')}`;
  warnings[key] = (warnings[key] ?? 0) + 1;
});

// Interrupted (Ctrl-C reaches this process, not the gateway in its own process group): kill
// everything this measurement started before going.
let current = null;
for (const name of ['SIGINT', 'SIGTERM']) {
  process.once(name, () => {
    killAll(current?.pid ?? null, options.tag)
      .catch(() => {})
      .finally(() => process.exit(130));
  });
}

const serverScript = (kind) => fileURLToPath(new URL(`./servers/${kind}-server.mjs`, import.meta.url));

/** The upstream server: the echo phases' server, or the counter for `processes`. */
function upstream(phase) {
  const kind = phase === 'processes' && options.server === 'echo' ? 'counter' : options.server;
  const script = serverScript(kind);
  return {
    script,
    command: options.serverNode ?? process.execPath,
    args: [script, `--bench-tag=${options.tag}`],
  };
}

/**
 * Starts the contender for `phase`: `{ pid, connect(), stop() }`, pid the root of what serves the
 * clients (the gateway; for direct, the server itself).
 */
async function open(phase, dir) {
  const server = upstream(phase);
  if (contender.direct) {
    const d = await contender.open({ server });
    return {
      pid: d.pid,
      connect: () => d.connect(),
      heap: async () => null,
      stop: async () => {
        await d.close();
        return { exitedMs: null, survivors: [] };
      },
    };
  }
  const spec = await contender.launch({ server, stateful: phase === 'processes', dir });
  const gateway = await startGateway(spec, { tag: options.tag, dir });
  return {
    pid: gateway.pid,
    url: gateway.url,
    connect: () => connectClient(gateway.url, contender.transport),
    heap: () => gateway.heap(),
    stop: () => gateway.stop(),
    output: () => gateway.output(),
  };
}

/** The first client: retried until the gateway serves the tool (some list tools only once their upstream is up). */
async function firstClient(gw, tool) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last;
  while (Date.now() < deadline) {
    let session;
    try {
      session = await gw.connect();
      const { tools } = await session.listTools();
      const found = tools.find((t) => t.name === tool || t.name.endsWith(`__${tool}`));
      if (found) return { session, name: found.name };
      last = new Error(`no ${tool} tool yet (have ${tools.map((t) => t.name).join(', ') || 'none'})`);
    } catch (error) {
      last = error;
    }
    await session?.close().catch(() => {});
    await sleep(100);
  }
  throw new Error(
    `the gateway did not serve ${tool} within ${READY_TIMEOUT_MS} ms: ${last?.message ?? last}`,
  );
}

function check(sent, received) {
  if (received !== sent)
    throw new Error(`echo returned ${JSON.stringify(received)} for ${JSON.stringify(sent)}`);
}

/**
 * Opens up to `n` client sessions, `concurrency` at a time, until `deadline` (ms since epoch) or
 * until `enough()` says so; a failed connect stops the opening (its error is recorded).
 */
async function openClients(gw, n, { concurrency, deadline, enough = () => false }) {
  const sessions = [];
  const failures = [];
  let stoppedBy = null;
  let next = 0;
  const lane = async () => {
    while (next < n && !stoppedBy) {
      if (Date.now() > deadline) stoppedBy = 'time';
      else if (enough()) stoppedBy = 'memory';
      if (stoppedBy) break;
      next += 1;
      try {
        sessions.push(await gw.connect());
      } catch (error) {
        failures.push(String(error?.message ?? error).split('\n')[0]);
        stoppedBy = 'error';
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { sessions, failures, stoppedBy };
}

/** `check`, evaluated at most once per `ms` (reading /proc for every connect would load the client). */
function every(ms, check) {
  let last = 0;
  let value = false;
  return () => {
    if (Date.now() - last >= ms) {
      last = Date.now();
      value = check();
    }
    return value;
  };
}

/** Closes every session, `concurrency` at a time; resolves to how many failed to close cleanly. */
async function closeAll(sessions, concurrency = 20) {
  let failed = 0;
  const queue = [...sessions];
  const lane = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) await s.close().catch(() => (failed += 1));
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return failed;
}

async function phaseCalls(gw) {
  const { session, name } = await firstClient(gw, 'echo');
  const result = { tool: name };
  try {
    const call = () => session.call(name, { value: PAYLOAD });
    let warm = 0;
    for (
      const end = performance.now() + options.warmupSeconds * 1000;
      warm < options.warmup && performance.now() < end;
      warm++
    )
      check(PAYLOAD, await call());
    result.warmupCalls = warm;

    const samples = [];
    const cpuBefore = process.cpuUsage();
    const serverBefore = treeCpuSeconds(gw.pid);
    for (
      const end = performance.now() + options.callSeconds * 1000;
      samples.length < options.calls && performance.now() < end;
    ) {
      const start = performance.now();
      const text = await call();
      samples.push((performance.now() - start) * 1000);
      check(PAYLOAD, text);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpu = treeCpuSeconds(gw.pid) - serverBefore;
    result.latencyUs = {
      ...latencySummary(samples),
      calls: samples.length,
      cpuPerCall: (cpu.user + cpu.system) / samples.length,
      serverCpuPerCall: (serverCpu * 1e6) / samples.length,
    };
  } finally {
    await session.close().catch(() => {});
  }

  // Throughput: `clients` sessions of their own, each calling in a closed loop.
  const opened = await openClients(gw, options.clients, {
    concurrency: 10,
    deadline: Date.now() + 60_000,
  });
  try {
    if (opened.sessions.length < options.clients)
      throw new Error(
        `opened ${opened.sessions.length} of ${options.clients} client sessions (${opened.stoppedBy}: ${opened.failures[0] ?? ''})`,
      );
    const loop = async (s, until, latencies) => {
      let n = 0;
      while (performance.now() < until) {
        const value = `v${n}`;
        const start = performance.now();
        check(value, await s.call(name, { value }));
        latencies?.push((performance.now() - start) * 1000);
        n += 1;
      }
      return n;
    };
    const warmUntil = performance.now() + options.loadWarmSeconds * 1000;
    await Promise.all(opened.sessions.map((s) => loop(s, warmUntil)));
    const latencies = [];
    const start = performance.now();
    const serverBefore = treeCpuSeconds(gw.pid);
    const counts = await Promise.all(
      opened.sessions.map((s) => loop(s, start + options.loadSeconds * 1000, latencies)),
    );
    const seconds = (performance.now() - start) / 1000;
    const serverCpu = treeCpuSeconds(gw.pid) - serverBefore;
    const calls = counts.reduce((a, b) => a + b, 0);
    const load = latencySummary(latencies);
    result.throughput = {
      clients: opened.sessions.length,
      calls,
      seconds,
      callsPerSec: calls / seconds,
      p50Us: load.p50,
      p99Us: load.p99,
      serverCpuPerCall: (serverCpu * 1e6) / calls,
      slowestClientCalls: Math.min(...counts),
    };
  } finally {
    await closeAll(opened.sessions);
  }
  return result;
}

/** Memory of the gateway now: its own RSS and its tree's (from /proc, right after a GC), its heap. */
async function memory(gw) {
  const heap = await gw.heap(); // runs a full GC in the gateway first
  const rss = treeRss(gw.pid);
  return {
    rss: rss.root,
    treeRss: rss.tree,
    processes: rss.processes,
    heapUsed: heap?.heapUsed ?? null,
    heapTotal: heap?.heapTotal ?? null,
    external: heap?.external ?? null,
  };
}

async function phaseSessions(gw) {
  const { session, name } = await firstClient(gw, 'echo');
  check(PAYLOAD, await session.call(name, { value: PAYLOAD }));
  await sleep(1000);
  const before = await memory(gw);
  const budget = options.sessionBudgetMiB * 2 ** 20;
  const started = performance.now();
  const opened = await openClients(gw, options.sessions, {
    concurrency: options.openConcurrency,
    deadline: Date.now() + options.sessionSeconds * 1000,
    enough: every(250, () => treeRss(gw.pid).tree - before.treeRss > budget),
  });
  const openSeconds = (performance.now() - started) / 1000;
  let after;
  let afterClose;
  let closeFailures;
  try {
    await sleep(1000);
    after = await memory(gw);
    // Still served after all that? One call on the first session.
    check(PAYLOAD, await session.call(name, { value: PAYLOAD }));
  } finally {
    closeFailures = await closeAll(opened.sessions);
  }
  await sleep(1000);
  afterClose = await memory(gw);
  await session.close().catch(() => {});
  const n = opened.sessions.length;
  const per = (key) =>
    n && after[key] !== null && before[key] !== null ? (after[key] - before[key]) / n : null;
  return {
    sessionsAsked: options.sessions,
    sessionsOpened: n,
    stoppedBy: opened.stoppedBy,
    failures: opened.failures.slice(0, 3),
    failureCount: opened.failures.length,
    openSeconds,
    closeFailures,
    before,
    after,
    afterClose,
    perSession: {
      rss: per('rss'),
      treeRss: per('treeRss'),
      heapUsed: per('heapUsed'),
      processes: per('processes'),
    },
  };
}

/** Processes of the gateway's tree (gateway excluded) and, among them, upstream servers. */
function countProcesses(gw, script) {
  const tree = treePids(gw.pid).filter((p) => p !== gw.pid);
  // Upstream servers by their command line (`node <script> --bench-tag=…`), wherever they are now;
  // not `sh -c` wrappers (counted in the tree only), nor a gateway whose own arguments name the server.
  const servers = taggedPids(options.tag).filter((p) => argv(p)[1] === script);
  return {
    tree: tree.length,
    servers: servers.length,
    serversRss: servers.reduce((a, p) => a + rssBytes(p), 0),
  };
}

async function phaseProcesses(gw) {
  const { script } = upstream('processes');
  const { session, name: increment } = await firstClient(gw, 'increment');
  const get = increment.replace(/increment$/, 'get');
  await session.close().catch(() => {});
  await sleep(500);
  const idle = countProcesses(gw, script);
  let most = { ...idle };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const now = countProcesses(gw, script);
      most = {
        tree: Math.max(most.tree, now.tree),
        servers: Math.max(most.servers, now.servers),
        serversRss: Math.max(most.serversRss, now.serversRss),
      };
      await sleep(100);
    }
  })();
  let values = [];
  let during;
  let opened;
  let afterClose;
  try {
    opened = await openClients(gw, options.clients, {
      concurrency: 10,
      deadline: Date.now() + 120_000,
      enough: every(250, () => treeRss(gw.pid).tree > options.processBudgetMiB * 2 ** 20),
    });
    try {
      values = await Promise.all(
        opened.sessions.map(async (s) => {
          await s.call(increment, {});
          await s.call(increment, {});
          return Number(await s.call(get, {}));
        }),
      );
      during = countProcesses(gw, script);
    } finally {
      await closeAll(opened.sessions);
    }
    // Processes a gateway ends on DELETE take a moment; wait up to 5 s for the count to settle.
    for (let i = 0, last = -1; i < 50; i++) {
      afterClose = countProcesses(gw, script);
      if (afterClose.servers === last && afterClose.servers <= idle.servers) break;
      last = afterClose.servers;
      await sleep(100);
    }
  } finally {
    sampling = false;
    await sampler;
  }
  const state = values.every((v) => v === 2)
    ? 'per client'
    : values.some((v) => v > 2)
      ? 'shared across clients'
      : 'lost between calls';
  return {
    clientsAsked: options.clients,
    clients: opened.sessions.length,
    stoppedBy: opened.stoppedBy,
    failures: opened.failures.slice(0, 3),
    idle,
    during,
    most,
    afterClose,
    state,
    values: summarizeValues(values),
  };
}

/** `{ value: count }` of what the clients' `get` returned. */
function summarizeValues(values) {
  const counts = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

async function measure() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-gateway-'));
  const phase = options.phase;
  const startedAt = performance.now();
  let gw;
  let result;
  let stopped;
  let serverCpu = null;
  try {
    gw = await open(phase, dir);
    current = gw;
    const readyMs = performance.now() - startedAt;
    if (phase === 'calls') result = await phaseCalls(gw);
    else if (phase === 'sessions') result = await phaseSessions(gw);
    else if (phase === 'processes') result = await phaseProcesses(gw);
    else throw new Error(`unknown phase ${phase}`);
    result.readyMs = readyMs;
  } catch (error) {
    const output = gw?.output?.().trim().slice(-1500);
    throw new Error(`${error?.stack ?? error}${output ? `\n--- gateway output (tail):\n${output}` : ''}`);
  } finally {
    // CPU the gateway's tree used in all (for the runner's estimate of what other processes used).
    if (gw) serverCpu = treeCpuSeconds(gw.pid);
    stopped = await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    contender: options.name ?? basename(file, '.mjs'),
    phase,
    versions: contender.versions(),
    node: process.version,
    ...result,
    stop: stopped,
    warnings,
    cpuSeconds: { worker: (process.cpuUsage().user + process.cpuUsage().system) / 1e6, server: serverCpu },
  };
}

try {
  process.send({ ok: true, result: await measure() }, () => process.disconnect());
} catch (error) {
  process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.disconnect());
}
