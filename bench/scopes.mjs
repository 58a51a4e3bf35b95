/**
 * The session-scope benchmark (part of run.mjs): what isolation costs per call. berth is measured
 * with the echo server under each session scope below, each variant in its own fresh process
 * (scope-worker.mjs) per run, the order rotated from run to run. Calls are sequential and paced
 * (one every `intervalMs`) so a per-call prewarm pool can refill between calls. Reported per
 * variant: p50/p99/min/max latency and how long `callTool` blocked its caller (median over runs,
 * with min and max), and p50 as a ratio to `shared` (median of per-run ratios). A last row, not
 * berth, is the raw SDK client on a fresh prewarmed process per call: the floor for per-call.
 * Target: per-call with prewarm under 5 ms p50.
 */
import { spread } from './lib/stats.mjs';
import { runChild } from './lib/child.mjs';

export const SCOPE_TARGET_MS = 5;
const BASE = 'shared';

/** The scope variants: a name, the server entry's session settings, and which key each call passes. */
export const SCOPE_VARIANTS = [
  { name: 'shared', entry: { session: 'shared' } },
  { name: 'keyed', entry: { session: 'keyed' }, key: 'same' },
  { name: 'keyed-new-key', entry: { session: 'keyed' }, key: 'fresh' },
  { name: 'per-call', entry: { session: 'per-call' } },
  { name: 'per-call-prewarm1', entry: { session: 'per-call', prewarm: 1 } },
  { name: 'per-call-prewarm2', entry: { session: 'per-call', prewarm: 2 } },
  // Not berth: the raw SDK client on a fresh prewarmed process per call (see scope-worker.mjs).
  { name: 'sdk-v2-fresh-process', driver: 'sdk' },
];

/** The variants named in `only` (all when undefined). */
export function findScopeVariants(only) {
  const names = SCOPE_VARIANTS.map((v) => v.name);
  for (const name of only ?? [])
    if (!names.includes(name)) throw new Error(`unknown scope variant ${name} (have: ${names})`);
  return SCOPE_VARIANTS.filter((v) => !only || only.includes(v.name));
}

/** Runs every variant `runs` times, each run in rotated order; returns the `scopes` part of the report. */
export async function benchScopes({ variants, runs, calls, warmup, intervalMs, profileDir, script, log }) {
  const results = [];
  const orders = [];
  const ms = (n) => n.toFixed(2);
  for (let run = 0; run < runs; run++) {
    const shift = run % variants.length;
    const order = [...variants.slice(shift), ...variants.slice(0, shift)];
    orders.push(order.map((v) => v.name));
    log(`scopes run ${run + 1}/${runs}:`);
    for (const [position, variant] of order.entries()) {
      log(` ${variant.name}…`);
      const result = await runChild({
        name: `scope ${variant.name}`,
        script,
        args: [JSON.stringify({ variant, calls, warmup, intervalMs })],
        profile: profileDir && { dir: profileDir, name: `scope-${variant.name}-run${run + 1}.cpuprofile` },
      });
      results.push({ run: run + 1, position, ...result });
      log(` ${ms(result.latencyMs.p50)} ms p50;`);
    }
    log('\n');
  }
  const summary = {};
  for (const { name, entry, key, driver } of variants) {
    const mine = results.filter((r) => r.variant === name);
    const of = (f) => spread(mine.map(f));
    summary[name] = {
      driver: driver ?? 'berth',
      entry: entry ?? null,
      key: key ?? null,
      p50: of((r) => r.latencyMs.p50),
      p99: of((r) => r.latencyMs.p99),
      min: of((r) => r.latencyMs.min),
      max: of((r) => r.latencyMs.max),
      blockedP50: of((r) => r.blockedMs.p50),
      p50VsShared: pairedRatio(results, name),
    };
  }
  const prewarmed = Object.entries(summary).filter(
    ([, s]) => s.entry?.session === 'per-call' && s.entry.prewarm,
  );
  const target = {
    p50Ms: SCOPE_TARGET_MS,
    variants: prewarmed.map(([name]) => name),
    met: prewarmed.length > 0 ? prewarmed.every(([, s]) => s.p50.median < SCOPE_TARGET_MS) : null,
  };
  return { options: { runs, calls, warmup, intervalMs }, orders, summary, target, runs: results };
}

/** Median over runs of this variant's p50 ÷ shared's p50 in the same run. */
function pairedRatio(results, name) {
  const ratios = [];
  for (const r of results.filter((r) => r.variant === name)) {
    const base = results.find((b) => b.run === r.run && b.variant === BASE);
    if (base) ratios.push(r.latencyMs.p50 / base.latencyMs.p50);
  }
  return ratios.length > 0 ? spread(ratios).median : null;
}

/** The scope results as a Markdown table, plus the target verdict. */
export function renderScopes(scopes) {
  const { options: o, summary, target } = scopes;
  const ms = (n) => n.toFixed(2);
  const cell = (s) => `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;
  const lines = [
    `Session scopes: ${o.runs} runs × ${o.calls} sequential calls (after ${o.warmup} warm-up), one every ${o.intervalMs} ms. ` +
      'Median (min–max) over runs; latency in ms.',
    '',
    '| scope | p50 ms | p99 ms | p50 ÷ shared p50 | caller blocked p50 ms |',
    '| --- | --: | --: | --: | --: |',
  ];
  for (const [name, s] of Object.entries(summary)) {
    const ratio = s.p50VsShared === null ? '–' : s.p50VsShared.toFixed(2);
    lines.push(`| ${name} | ${cell(s.p50)} | ${cell(s.p99)} | ${ratio} | ${cell(s.blockedP50)} |`);
  }
  if (target.met !== null) {
    lines.push(
      '',
      `Target: per-call with prewarm (${target.variants.join(', ')}) under ${target.p50Ms} ms p50 — ${target.met ? 'MET' : 'MISSED'}.`,
    );
  }
  const other = scopes.runs.map((r) => r.otherCores).filter((c) => c !== null && c !== undefined);
  if (other.length > 0) {
    const load = spread(other);
    const f = (n) => n.toFixed(2);
    lines.push(
      `Other processes used ${f(load.median)} (${f(load.min)}–${f(load.max)}) cores during the scope runs.`,
    );
  }
  return lines.join('\n');
}
