#!/usr/bin/env node
/**
 * berth's benchmark runner: `npm run bench` (root) or `node bench/run.mjs [options]`.
 *
 * Every file in bench/contenders/ is a contender. For each run, each contender is measured in its
 * own fresh child process (bench/worker.mjs), one after another, never two at once; the order is
 * rotated from run to run so no contender always goes first. Each run yields sequential-call
 * latency (p50/p99/mean) and concurrent throughput; the table reports the median over runs, with
 * min and max, and berth's per-call overhead against the raw SDK v2 client (target: within 10%).
 * Raw results go to bench/results/<date>-<shortsha>.json and bench/results/latest.json.
 */
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gitCommit, machine } from './lib/environment.mjs';
import { spread } from './lib/stats.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT_DIR = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const BASELINE = 'berth'; // ratios are against this contender
const REFERENCE = 'sdk-v2'; // berth's overhead is measured against this one
const TARGET_OVERHEAD = 0.1;
const WORKER_TIMEOUT_MS = 10 * 60_000;
const EXIT_GRACE_MS = 10_000;

const USAGE = `Usage: node bench/run.mjs [options]
  --runs N          runs per contender (default 5)
  --calls N         measured sequential calls per run (default 2000)
  --warmup N        unmeasured sequential calls before measuring (default 5000; V8 needs ~4000
                    calls to reach steady state here, see docs/benchmarks.md)
  --concurrency N   calls in flight at once for throughput (default 1000)
  --batches N       measured concurrent batches per run (default 5)
  --contenders a,b  only these contenders (file names in bench/contenders/)
  --quick           smoke test: 2 runs, 200 calls, 50 warm-up, 2 batches of 200 (numbers not meaningful)
  --json            print the raw results as JSON instead of the table
  --profile         run the workers under --cpu-prof (bench/results/profiles/<contender>-run<N>.cpuprofile;
                    summarize one with node bench/profile-summary.mjs FILE)
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
  const options = { ...defaults, quick: values.quick, json: values.json, profile: values.profile };
  for (const key of Object.keys(defaults)) {
    if (values[key] === undefined) continue;
    const n = Number(values[key]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} must be a positive integer, got ${values[key]}`);
    options[key] = n;
  }
  options.contenders = values.contenders?.split(',').map((s) => s.trim());
  return options;
}

/** The contender files, berth first, optionally filtered by name. */
function findContenders(only) {
  const dir = join(BENCH_DIR, 'contenders');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => basename(f, '.mjs'))
    .sort((a, b) => (a === BASELINE ? -1 : b === BASELINE ? 1 : a.localeCompare(b)));
  for (const name of only ?? []) if (!names.includes(name)) throw new Error(`unknown contender ${name} (have: ${names})`);
  return names.filter((n) => !only || only.includes(n)).map((name) => ({ name, file: join(dir, `${name}.mjs`) }));
}

/** Runs one contender once in a fresh process; resolves with its result once the process has exited by itself. */
function runWorker(contender, options, run) {
  const workerOptions = { calls: options.calls, warmup: options.warmup, concurrency: options.concurrency, batches: options.batches };
  const execArgv = options.profile
    ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', join(RESULTS_DIR, 'profiles'), '--cpu-prof-name', `${contender.name}-run${run}.cpuprofile`]
    : [];
  const child = fork(join(BENCH_DIR, 'worker.mjs'), [contender.file, JSON.stringify(workerOptions)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let message;
    let exitTimer;
    const fail = (error) => {
      clearTimeout(timer);
      clearTimeout(exitTimer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${contender.name}: no result within ${WORKER_TIMEOUT_MS} ms`)), WORKER_TIMEOUT_MS);
    child.on('message', (m) => {
      message = m;
      // The worker must now exit on its own: a leaked handle (server, socket, timer) would keep it alive.
      exitTimer = setTimeout(
        () => fail(new Error(`${contender.name}: worker did not exit on its own within ${EXIT_GRACE_MS} ms after closing`)),
        EXIT_GRACE_MS,
      );
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(exitTimer);
      if (!message) return reject(new Error(`${contender.name}: worker exited (${signal ?? code}) without a result`));
      if (!message.ok) return reject(new Error(`${contender.name}: ${message.error}`));
      if (message.result.serverExited === false) {
        return reject(new Error(`${contender.name}: server process ${message.result.serverPid} still running after close`));
      }
      resolve(message.result);
    });
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

/** berth's cost over the raw client, from the medians: positive = berth is slower. */
function overhead(summary) {
  const berth = summary[BASELINE];
  const raw = summary[REFERENCE];
  if (!berth || !raw) return undefined;
  const result = {
    against: REFERENCE,
    p50: berth.p50.median / raw.p50.median - 1,
    mean: berth.mean.median / raw.mean.median - 1,
    p50Us: berth.p50.median - raw.p50.median,
    cpuPerCall: berth.cpuPerCall.median / raw.cpuPerCall.median - 1,
    cpuPerCallUs: berth.cpuPerCall.median - raw.cpuPerCall.median,
    throughput: raw.throughput.median / berth.throughput.median - 1,
    target: TARGET_OVERHEAD,
  };
  // The verdict uses the median p50: the mean and p99 follow scheduling noise on a shared machine.
  result.met = result.p50 <= TARGET_OVERHEAD;
  return result;
}

const us = (n) => n.toFixed(1);
const rate = (n) => Math.round(n).toLocaleString('en-US');
const cell = (s, f) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const pct = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;

/** The results as a Markdown table (pasteable into docs/benchmarks.md), plus the overhead verdict. */
function render(report) {
  const { summary, options } = report;
  const base = summary[BASELINE];
  const lines = [
    `${options.runs} runs × (${options.calls} sequential calls after ${options.warmup} warm-up; ` +
      `${options.batches} × ${options.concurrency} concurrent calls). Median (min–max) over runs; latency in µs.`,
    '',
    '| contender | p50 µs | p99 µs | mean µs | client CPU µs/call | throughput calls/s | p50 ÷ berth p50 | throughput ÷ berth throughput |',
    '| --- | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const [name, s] of Object.entries(summary)) {
    const ratios = base
      ? [(s.p50.median / base.p50.median).toFixed(2), (s.throughput.median / base.throughput.median).toFixed(2)]
      : ['–', '–'];
    lines.push(`| ${name} | ${cell(s.p50, us)} | ${cell(s.p99, us)} | ${cell(s.mean, us)} | ${cell(s.cpuPerCall, us)} | ${cell(s.throughput, rate)} | ${ratios.join(' | ')} |`);
  }
  const o = report.overhead;
  if (o) {
    lines.push(
      '',
      `berth per-call overhead vs ${o.against}: p50 ${pct(o.p50)} (${o.p50Us >= 0 ? '+' : '−'}${us(Math.abs(o.p50Us))} µs), ` +
        `mean ${pct(o.mean)}, client CPU ${pct(o.cpuPerCall)} (${o.cpuPerCallUs >= 0 ? '+' : '−'}${us(Math.abs(o.cpuPerCallUs))} µs); ` +
        `throughput cost ${pct(o.throughput)}.`,
      `Target: berth's p50 within ${o.target * 100}% of ${o.against}'s — ${o.met ? 'MET' : 'MISSED'}.`,
    );
  }
  const warned = report.runs.filter((r) => Object.keys(r.warnings ?? {}).length > 0);
  if (warned.length > 0) lines.push('', 'Process warnings in the client (counted by the worker, not printed):');
  for (const name of Object.keys(summary)) {
    const totals = {};
    for (const r of warned.filter((r) => r.contender === name)) {
      for (const [key, n] of Object.entries(r.warnings)) totals[key] = (totals[key] ?? 0) + n;
    }
    for (const [key, n] of Object.entries(totals)) lines.push(`- ${name}: ${key} (×${n} over ${options.runs} runs)`);
  }
  return lines.join('\n');
}

async function main() {
  const options = parseOptions();
  const contenders = findContenders(options.contenders);
  const log = (s) => process.stderr.write(s);
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
      log(` ${us(result.latencyUs.p50)} µs p50, ${rate(result.throughput.callsPerSec)}/s;`);
    }
    log('\n');
  }

  const commit = gitCommit(ROOT_DIR);
  const summary = summarize(contenders, runs);
  const report = {
    date: new Date().toISOString(),
    commit,
    machine: machine(),
    options: { runs: options.runs, calls: options.calls, warmup: options.warmup, concurrency: options.concurrency, batches: options.batches, quick: options.quick, profile: options.profile },
    contenders: Object.fromEntries(
      contenders.map(({ name }) => {
        const first = runs.find((r) => r.contender === name);
        return [name, { description: first.description, versions: first.versions }];
      }),
    ),
    orders,
    summary,
    overhead: overhead(summary),
    runs,
  };

  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  // Smoke tests and profiled runs (slower by design) never replace a real result.
  const suffix = options.quick ? '-quick' : options.profile ? '-profile' : '';
  const file = join(RESULTS_DIR, `${report.date.slice(0, 10)}-${commit.short}${suffix}.json`);
  writeFileSync(file, json);
  if (!suffix) writeFileSync(join(RESULTS_DIR, 'latest.json'), json);

  if (options.json) {
    process.stdout.write(json);
  } else {
    const m = report.machine;
    console.log(`\n${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`);
    console.log(`commit ${commit.short}${commit.dirty ? ' (uncommitted changes)' : ''}\n`);
    console.log(render(report));
  }
  log(`\nresults: ${file}\n`);
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exitCode = 1;
});
