#!/usr/bin/env node
/**
 * The cluster part: what running `berth serve` as replicas on Redis (`gateway.cluster`, issue 14)
 * costs and how fast it recovers, on a real `redis-server` and real replicas from this tree's dist/.
 * Each measurement runs in a fresh process (cluster-worker.mjs, which says what each phase does):
 *
 *   forward     a call that lands on the conversation's owner replica, against one that lands on
 *               another replica and is forwarded (and `berth serve` without a cluster, for reference):
 *               p50/p99, client CPU, replicas' and Redis's CPU per call
 *   death       from a replica's `kill -9` to its conversations' "session lost" answer and to a fresh
 *               conversation working on a live replica, once per lease setting (`leases`)
 *   throughput  calls/s of 100 clients, each its own conversation, on 1 replica and on 3, through a
 *               round-robin balancer (no stickiness: 2 calls in 3 land on a non-owner with 3
 *               replicas) and with each client pinned to one replica (none forwarded)
 *
 * Runnable on its own (`node bench/cluster.mjs [--quick] [--runs N] [--json]`, results in
 * bench/results/<date>-<sha>-cluster.json) and as a part of the runner (`node bench/run.mjs --only
 * cluster`). Needs redis-server (/usr/bin/redis-server: Debian's package) and a built dist/.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freeResultsPath } from './lib/results-file.mjs';
import { runChild } from './lib/child.mjs';
import { gitCommit, machine } from './lib/environment.mjs';
import { killAll, taggedPids } from './lib/process-tree.mjs';
import { percentile, spread } from './lib/stats.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT_DIR = join(BENCH_DIR, '..');
const WORKER = join(BENCH_DIR, 'cluster-worker.mjs');
const REDIS_SERVER = '/usr/bin/redis-server';
const DEFAULT_LEASE_MS = 10_000; // berth serve's default `leaseMs`
/** The throughput configurations: replicas, and how clients reach them. */
const LOADS = [
  { replicas: 1, via: 'proxy' },
  { replicas: 3, via: 'proxy' },
  { replicas: 1, via: 'direct' },
  { replicas: 3, via: 'direct' },
];
const ROUTES = ['owner', 'forwarded', 'plain'];

/** The cluster part's settings: full, or `quick` (a smoke test, numbers not meaningful). */
export function clusterDefaults(quick) {
  return quick
    ? {
        runs: 1,
        forward: { warmup: 300, warmupSeconds: 10, blocks: 2, blockCalls: 50 },
        death: { leases: [DEFAULT_LEASE_MS, 1_000], rounds: 1, keys: 2, pollMs: 50 },
        throughput: { clients: 20, loadWarmSeconds: 0.5, loadSeconds: 1 },
      }
    : {
        runs: 3,
        forward: { warmup: 3000, warmupSeconds: 30, blocks: 10, blockCalls: 100 },
        death: { leases: [DEFAULT_LEASE_MS, 1_000], rounds: 4, keys: 5, pollMs: 50 },
        throughput: { clients: 100, loadWarmSeconds: 2, loadSeconds: 5 },
      };
}

/** Why the cluster part cannot run here, or undefined. */
export function clusterUnavailable() {
  if (!existsSync(REDIS_SERVER)) return `${REDIS_SERVER} is not installed (apt-get install redis-server)`;
  if (!existsSync(join(ROOT_DIR, 'dist/bin/berth.js'))) return 'dist/ is not built (npm run build)';
  return undefined;
}

/** The measurement under way (its tag), for an interrupted run to stop. */
let current;

/**
 * Interrupted (SIGTERM, or SIGINT sent to this process alone): the measurement's worker (whose
 * command line carries its tag) stops what it started, then this process goes.
 */
function stopOnSignal() {
  for (const name of ['SIGINT', 'SIGTERM'])
    process.once(name, () => {
      const pids = current ? taggedPids(current) : [];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone
        }
      }
      setTimeout(() => {
        const left = current ? taggedPids(current) : [];
        (left.length ? killAll(null, current, left) : Promise.resolve())
          .catch(() => {})
          .finally(() => process.exit(130));
      }, 3000).unref();
    });
}

async function measure(options, log) {
  const tag = randomUUID();
  current = tag;
  const label = `cluster ${options.phase}${options.replicas ? ` ${options.replicas}×${options.via}` : ''} (lease ${options.leaseMs} ms)`;
  try {
    const result = await runChild({
      name: label,
      script: WORKER,
      args: [JSON.stringify({ ...options, tag })],
      timeoutMs: 10 * 60_000,
    });
    if (result.error) log(`\n${label} failed: ${result.error.split('\n').slice(0, 4).join(' | ')}\n`);
    return { ...options, ...result, leftovers: await cleanUp(tag) };
  } catch (error) {
    log(`\n${label} failed: ${String(error?.message ?? error).split('\n')[0]}\n`);
    return { ...options, error: String(error?.message ?? error), leftovers: await cleanUp(tag) };
  }
}

/** Kills whatever still carries `tag` (nothing, if the worker cleaned up); resolves to how many there were. */
async function cleanUp(tag) {
  const left = taggedPids(tag);
  if (left.length) await killAll(null, tag, left);
  return left.length;
}

/** Runs the cluster part; resolves to its report (the results file's `cluster` key). */
export async function benchCluster({ settings, log }) {
  stopOnSignal();
  const skipped = clusterUnavailable();
  if (skipped) {
    log(`cluster: skipped: ${skipped}\n`);
    return { settings, skipped };
  }
  const results = [];
  for (let run = 1; run <= settings.runs; run++) {
    log(`cluster run ${run}/${settings.runs}: forward…`);
    const forward = await measure({ phase: 'forward', leaseMs: DEFAULT_LEASE_MS, ...settings.forward }, log);
    results.push({ run, ...forward });
    if (!forward.error)
      log(` owner ${us(forward.routes.owner.p50)} µs p50, forwarded ${us(forward.routes.forwarded.p50)} µs;`);
    // Rotated from run to run, so that no configuration always goes first.
    const shift = (run - 1) % LOADS.length;
    for (const load of [...LOADS.slice(shift), ...LOADS.slice(0, shift)]) {
      log(` ${load.replicas}×${load.via}…`);
      const r = await measure(
        { phase: 'throughput', leaseMs: DEFAULT_LEASE_MS, ...load, ...settings.throughput },
        log,
      );
      results.push({ run, ...r });
      if (!r.error) log(` ${rate(r.throughput.callsPerSec)}/s;`);
    }
    for (const leaseMs of settings.death.leases) {
      log(` death (lease ${leaseMs} ms)…`);
      const { leases, ...death } = settings.death;
      const r = await measure({ phase: 'death', leaseMs, ...death }, log);
      results.push({ run, ...r });
      if (!r.error) {
        const lost = r.rounds.flatMap((x) => x.keys.map((k) => k.lostMs)).filter((v) => v !== null);
        log(
          ` lost after ${lost.length ? ms(Math.min(...lost)) : '–'}–${lost.length ? ms(Math.max(...lost)) : '–'} ms;`,
        );
      }
    }
    log('\n');
  }
  return { settings, summary: summarize(results, settings), results };
}

function summarize(results, settings) {
  const ok = (r) => !r.error;
  const forward = results.filter((r) => r.phase === 'forward' && ok(r));
  const routes = {};
  for (const name of ROUTES) {
    const of = (f) => spread(forward.map((r) => f(r.routes[name])));
    routes[name] = forward.length
      ? {
          p50: of((x) => x.p50),
          p99: of((x) => x.p99),
          clientCpuPerCall: of((x) => x.clientCpuPerCall),
          replicasCpuPerCall: of((x) => x.replicasCpuPerCall),
          redisCpuPerCall: of((x) => x.redisCpuPerCall),
        }
      : null;
  }
  const paired = (f) => (forward.length ? spread(forward.map(f)) : null);
  const forwarding = {
    addedP50: paired((r) => r.routes.forwarded.p50 - r.routes.owner.p50),
    addedP99: paired((r) => r.routes.forwarded.p99 - r.routes.owner.p99),
    addedClientCpu: paired((r) => r.routes.forwarded.clientCpuPerCall - r.routes.owner.clientCpuPerCall),
    addedReplicasCpu: paired(
      (r) =>
        r.routes.forwarded.replicasCpuPerCall +
        r.routes.forwarded.redisCpuPerCall -
        r.routes.owner.replicasCpuPerCall -
        r.routes.owner.redisCpuPerCall,
    ),
    ownerOverPlainP50: paired((r) => r.routes.owner.p50 - r.routes.plain.p50),
  };

  const loads = {};
  for (const load of LOADS) {
    const mine = results.filter(
      (r) => r.phase === 'throughput' && ok(r) && r.replicas === load.replicas && r.via === load.via,
    );
    const of = (f) => (mine.length ? spread(mine.map((r) => f(r.throughput))) : null);
    loads[`${load.replicas}×${load.via}`] = {
      ...load,
      measured: mine.length,
      callsPerSec: of((t) => t.callsPerSec),
      p50: of((t) => t.p50Us),
      p99: of((t) => t.p99Us),
      clientCpu: of((t) => t.cpuPerCall.client),
      replicasCpu: of((t) => t.cpuPerCall.replicas),
      proxyCpu: of((t) => t.cpuPerCall.proxy),
      redisCpu: of((t) => t.cpuPerCall.redis),
      totalCpu: of((t) => Object.values(t.cpuPerCall).reduce((a, b) => a + b, 0)),
    };
  }
  // 3 replicas over 1, paired within a run (both measured in the same run).
  const ratio = (via) => {
    const values = [];
    for (let run = 1; run <= settings.runs; run++) {
      const find = (n) =>
        results.find(
          (r) => r.run === run && r.phase === 'throughput' && ok(r) && r.replicas === n && r.via === via,
        );
      const [one, three] = [find(1), find(3)];
      if (one && three) values.push(three.throughput.callsPerSec / one.throughput.callsPerSec);
    }
    return values.length ? spread(values) : null;
  };

  const deaths = [];
  for (const leaseMs of settings.death.leases) {
    const mine = results.filter((r) => r.phase === 'death' && ok(r) && r.leaseMs === leaseMs);
    const rounds = mine.flatMap((r) => r.rounds);
    const keys = rounds.flatMap((x) => x.keys);
    const dist = (values) => {
      const sorted = Float64Array.from(values.filter((v) => v !== null)).sort();
      return sorted.length
        ? {
            n: sorted.length,
            min: sorted[0],
            p50: percentile(sorted, 0.5),
            max: sorted[sorted.length - 1],
          }
        : null;
    };
    deaths.push({
      leaseMs,
      kills: rounds.length,
      conversations: keys.length,
      lostMs: dist(keys.map((k) => k.lostMs)),
      freshMs: dist(keys.map((k) => k.freshMs)),
      freshAfterLostMs: dist(keys.map((k) => (k.freshMs === null ? null : k.freshMs - k.lostMs))),
      reapedMs: dist(rounds.map((x) => (x.reaped.left === 0 ? x.reaped.ms : null))),
      retries: dist(keys.map((k) => k.retries)),
      // Anything but "retry", then "lost" once, then a fresh conversation at 1: listed.
      anomalies: [
        ...keys.filter((k) => k.lostMs === null).map(() => 'never told it was lost'),
        ...keys.filter((k) => k.lostMs !== null && k.freshMs === null).map(() => 'never worked again'),
        ...keys
          .filter((k) => k.freshValue !== null && k.freshValue !== 1)
          .map((k) => `fresh at ${k.freshValue}`),
        ...keys.filter((k) => k.before > 0).map((k) => `served ${k.before}× after the kill`),
        ...keys.flatMap((k) => k.other),
        ...rounds
          .filter((x) => x.reaped.left > 0)
          .map((x) => `${x.reaped.left} upstream processes not reaped`),
      ],
    });
  }

  return {
    routes,
    forwarding,
    loads,
    scaling: { proxy: ratio('proxy'), direct: ratio('direct') },
    deaths,
    leftovers: results.reduce((a, r) => a + (r.leftovers ?? 0) + (r.processesLeft ?? 0), 0),
    redisKeysLeft: results.reduce(
      (a, r) => a + (typeof r.redisKeysLeft === 'number' ? r.redisKeysLeft : 0),
      0,
    ),
    redisKeysUnknown: results.filter((r) => typeof r.redisKeysLeft !== 'number').length,
    otherCores: (() => {
      const other = results.map((r) => r.otherCores).filter((c) => typeof c === 'number');
      return other.length ? spread(other) : null;
    })(),
    errors: results.filter((r) => r.error).map((r) => `${r.phase} (run ${r.run}): ${r.error.split('\n')[0]}`),
  };
}

const us = (n) => n.toFixed(1);
const ms = (n) => Math.round(n).toLocaleString('en-US');
const rate = (n) => Math.round(n).toLocaleString('en-US');
const cell = (s, f) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '–');
const dcell = (d) => (d ? `${ms(d.p50)} (${ms(d.min)}–${ms(d.max)})` : '–');

/** The cluster part's tables (Markdown, pasteable into docs/benchmarks.md). */
export function renderCluster(c) {
  if (c.skipped) return `Cluster: skipped (${c.skipped}).`;
  const s = c.settings;
  const x = c.summary;
  const f = s.forward;
  const lines = [
    `Cluster, forwarding: ${s.runs} runs × (${f.warmup} warm-up calls, then ${f.blocks} blocks of ${f.blockCalls} sequential calls per route, routes in turn), ` +
      `one conversation of test/fixtures/counter-server.mjs (keyed) per route, SDK v2 clients (2026-07-28, \`_meta["berth/key"]\`), lease ${DEFAULT_LEASE_MS} ms. ` +
      "Median (min–max) over runs; latency in µs; CPU per call from /proc (replicas: every replica's process tree, upstream servers included).",
    '',
    '| route | p50 µs | p99 µs | client CPU µs/call | replicas CPU µs/call | Redis CPU µs/call |',
    '| --- | --: | --: | --: | --: | --: |',
  ];
  const routeLabel = {
    owner: 'owner (sent to the replica that owns the conversation)',
    forwarded: 'forwarded (sent to another replica)',
    plain: '`berth serve` without a cluster',
  };
  for (const name of ROUTES) {
    const r = x.routes[name];
    lines.push(
      `| ${routeLabel[name]} | ${r ? cell(r.p50, us) : '–'} | ${r ? cell(r.p99, us) : '–'} | ${r ? cell(r.clientCpuPerCall, us) : '–'} | ${r ? cell(r.replicasCpuPerCall, us) : '–'} | ${r ? cell(r.redisCpuPerCall, us) : '–'} |`,
    );
  }
  const w = x.forwarding;
  lines.push(
    '',
    `Forwarding adds ${cell(w.addedP50, us)} µs to p50 and ${cell(w.addedP99, us)} µs to p99, ` +
      `${cell(w.addedClientCpu, us)} µs of client CPU and ${cell(w.addedReplicasCpu, us)} µs of replicas' and Redis's CPU per call ` +
      `(per-run differences, median (min–max)); the owner route costs ${cell(w.ownerOverPlainP50, us)} µs of p50 over berth serve without a cluster.`,
  );

  const t = s.throughput;
  lines.push(
    '',
    `Cluster, throughput: ${t.clients} clients, each its own conversation (and upstream process), calling in closed loops for ${t.loadSeconds} s after ${t.loadWarmSeconds} s; ` +
      `lease ${DEFAULT_LEASE_MS} ms. proxy: through a round-robin balancer process (bench/servers/round-robin.mjs, no stickiness); direct: client i on replica i mod N. ` +
      'CPU per call of every process involved, from /proc (client: the one process running all clients).',
    '',
    '| replicas | clients reach them | calls/s | p50 under load µs | p99 under load µs | CPU µs/call: client | replicas | balancer | Redis | all |',
    '| --: | --- | --: | --: | --: | --: | --: | --: | --: | --: |',
  );
  for (const l of Object.values(x.loads)) {
    lines.push(
      `| ${l.replicas} | ${l.via === 'proxy' ? 'round-robin balancer' : 'pinned, direct'} | ${cell(l.callsPerSec, rate)} | ${cell(l.p50, us)} | ${cell(l.p99, us)} | ${cell(l.clientCpu, us)} | ${cell(l.replicasCpu, us)} | ${l.via === 'proxy' ? cell(l.proxyCpu, us) : '–'} | ${cell(l.redisCpu, us)} | ${cell(l.totalCpu, us)} |`,
    );
  }
  const ratio = (r) => (r ? `${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : '–');
  lines.push(
    '',
    `3 replicas ÷ 1 (calls/s, paired per run): through the balancer ${ratio(x.scaling.proxy)}, pinned ${ratio(x.scaling.direct)}.`,
  );

  const d = s.death;
  lines.push(
    '',
    `Cluster, a replica's death: ${s.runs} runs × ${d.rounds} kills; each time ${d.keys} conversations opened on the oldest of 3 replicas, a random wait within a third of a lease, ` +
      `\`kill -9\`, then each conversation polled through the 2 survivors every ${d.pollMs} ms. ms from the kill: median (min–max) over every conversation (reaped: over kills).`,
    '',
    '| lease ms | kills, conversations | session lost told | fresh conversation works | lost → fresh | "retry" answers before lost | upstream processes reaped | bound on "lost": ⅔ lease – lease |',
    '| --: | --: | --: | --: | --: | --: | --: | --: |',
  );
  for (const e of x.deaths) {
    const leaseMs = e.leaseMs;
    lines.push(
      `| ${ms(leaseMs)} | ${e.kills}, ${e.conversations} | ${dcell(e.lostMs)} | ${dcell(e.freshMs)} | ${dcell(e.freshAfterLostMs)} | ${dcell(e.retries)} | ${dcell(e.reapedMs)} | ${ms((2 * leaseMs) / 3)}–${ms(leaseMs)} |`,
    );
  }
  const anomalies = x.deaths.flatMap((e) => e.anomalies.map((a) => `lease ${e.leaseMs} ms: ${a}`));
  lines.push(
    '',
    anomalies.length
      ? `Anomalies: ${anomalies.join('; ')}.`
      : 'Every conversation: "retry" answers, then "session lost" once, then a fresh conversation at 1.',
    `Left after every measurement: ${x.leftovers} processes, ${x.redisKeysLeft} Redis keys${x.redisKeysUnknown ? ` (${x.redisKeysUnknown} measurements could not tell)` : ''}.`,
  );
  if (x.otherCores)
    lines.push(
      `Other processes used ${x.otherCores.median.toFixed(2)} (${x.otherCores.min.toFixed(2)}–${x.otherCores.max.toFixed(2)}) cores during the measurements.`,
    );
  if (x.errors.length) lines.push('', 'Failed measurements:', ...x.errors.map((e) => `- ${e}`));
  return lines.join('\n');
}

// Run on its own: `node bench/cluster.mjs [--quick] [--runs N] [--json]`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`Usage: node bench/cluster.mjs [options]   (also: node bench/run.mjs --only cluster)
  --runs N   runs (default 3)
  --quick    smoke test: 1 run, few calls, 20 clients (numbers not meaningful)
  --json     print the raw results as JSON instead of the tables`);
    process.exit(0);
  }
  const settings = clusterDefaults(values.quick);
  if (values.runs !== undefined) {
    const n = Number(values.runs);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--runs must be an integer ≥ 1, got ${values.runs}`);
    settings.runs = n;
  }
  const log = (s) => process.stderr.write(s);
  const cluster = await benchCluster({ settings, log });
  const commit = gitCommit(ROOT_DIR);
  const report = {
    date: new Date().toISOString(),
    commit,
    machine: machine(),
    options: { quick: values.quick },
    cluster,
  };
  const file = writeClusterResults(report, values.quick);
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const m = report.machine;
    console.log(`\n${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`);
    console.log(`commit ${commit.short}${commit.dirty ? ' (uncommitted changes)' : ''}\n`);
    console.log(renderCluster(cluster));
  }
  log(`\nresults: ${file}\n`);
  if (
    cluster.skipped ||
    cluster.summary.errors.length ||
    cluster.summary.leftovers ||
    cluster.summary.redisKeysLeft
  )
    process.exitCode = 1;
}

/** Writes a report to bench/results/<date>-<sha>-cluster[-quick].json; returns the file's path. */
export function writeClusterResults(report, quick) {
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = freeResultsPath(
    dir,
    `${report.date.slice(0, 10)}-${report.commit.short}-cluster${quick ? '-quick' : ''}`,
  );
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
