/**
 * The gateway part (part of run.mjs, `--only gateway`): `berth serve` against the gateways users
 * would pick instead, and against no gateway at all (the SDK v2 client on stdio), all in front of
 * the same thin server. Every file in bench/gateways/ is a contender (lib/gateway-contender.mjs has
 * the contract); each measurement runs in its own fresh process (gateway-worker.mjs), which starts
 * the gateway, measures through SDK v2 clients and stops everything it started:
 *
 *   calls      sequential latency (p50/p99/mean) and client CPU per call over one client session,
 *              then throughput with `clients` concurrent client sessions; `runs` times, contenders
 *              in rotated order from run to run
 *   sessions   memory per idle client session: up to `sessions` sessions opened (initialize only),
 *              gateway RSS and heap before and after; once per contender
 *   processes  processes alive with `clients` clients on the counter server (berth: keyed), and
 *              whether each client had a counter of its own; once per contender
 *
 * A contender that cannot run here (`unavailable()`: `berth serve` in a build without it) is listed
 * as skipped. A failed measurement is recorded with its error and does not stop the others. After
 * every measurement the runner looks for processes carrying its tag and kills them (counted as
 * `leftovers`: there should be none, the worker stops what it starts).
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runChild } from './lib/child.mjs';
import { killAll, taggedPids } from './lib/process-tree.mjs';
import { spread } from './lib/stats.mjs';

export const GATEWAY_PHASES = ['calls', 'sessions', 'processes'];
const DIRECT = 'direct';
const FLOOR = 'floor-gateway'; // the HTTP floor: what the client's HTTP transport alone adds
const SDK_FLOOR = 'sdk-v2-gateway'; // the SDK v2 floor: what any gateway on the SDK v2 packages pays
/** Contenders that are references, not peers: never the "best peer" of a target. */
const REFERENCES = [DIRECT, FLOOR, SDK_FLOOR];
const BASELINE = 'berth';
export const TARGET_ADDED_P50_US = 300;
export const TARGET_SESSION_BYTES = 50 * 1024;

/** The gateway part's settings: full, or `quick` (a smoke test). */
export function gatewayDefaults(quick) {
  return quick
    ? {
        runs: 1,
        warmup: 100,
        warmupSeconds: 5,
        calls: 200,
        callSeconds: 10,
        clients: 20,
        loadWarmSeconds: 0.5,
        loadSeconds: 1,
        sessions: 100,
        sessionSeconds: 20,
        openConcurrency: 10,
        sessionBudgetMiB: 1024,
        processClients: 20,
        processBudgetMiB: 2048,
      }
    : {
        runs: 3,
        warmup: 2000,
        warmupSeconds: 15,
        calls: 1000,
        callSeconds: 10,
        clients: 100,
        loadWarmSeconds: 1,
        loadSeconds: 3,
        sessions: 1000,
        sessionSeconds: 60,
        openConcurrency: 10,
        sessionBudgetMiB: 3072,
        processClients: 100,
        processBudgetMiB: 8192,
      };
}

/** The gateway contenders (bench/gateways/*.mjs), direct first, then berth, then the rest by name. */
export async function findGateways(dir, only) {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => basename(f, '.mjs'));
  const rank = (n) => (n === DIRECT ? 0 : n === BASELINE ? 1 : 2);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const name of only ?? [])
    if (!names.includes(name)) throw new Error(`unknown gateway contender ${name} (have: ${names})`);
  const found = [];
  for (const name of names) {
    if (only && !only.includes(name)) continue;
    const file = join(dir, `${name}.mjs`);
    const mod = await import(pathToFileURL(file).href);
    found.push({
      name,
      file,
      description: mod.description,
      transport: mod.transport,
      sessionModel: mod.sessionModel,
      phases: mod.phases ?? GATEWAY_PHASES,
      versions: mod.versions(),
      skipped: mod.unavailable?.() ?? null,
    });
  }
  return found;
}

async function measure({ contender, phase, run, settings, server, script }) {
  const tag = randomUUID();
  const options = {
    ...settings,
    clients: phase === 'processes' ? settings.processClients : settings.clients,
    phase,
    name: contender.name,
    tag,
    server,
    serverNode: process.execPath,
  };
  try {
    const result = await runChild({
      name: `gateway ${contender.name} ${phase}`,
      script,
      args: [contender.file, JSON.stringify(options)],
      timeoutMs: 5 * 60_000,
    });
    return { run, ...result, leftovers: await cleanUp(tag) };
  } catch (error) {
    return {
      run,
      phase,
      contender: contender.name,
      error: String(error?.message ?? error),
      leftovers: await cleanUp(tag),
    };
  }
}

/** Kills whatever still carries `tag` (nothing, if the worker cleaned up); resolves to how many there were. */
async function cleanUp(tag) {
  const left = taggedPids(tag);
  if (left.length) await killAll(null, tag, left);
  return left.length;
}

/** Runs the gateway part; resolves to its report (the results file's `gateway` key). */
export async function benchGateway({ contenders, settings, server, script, log }) {
  const active = contenders.filter((c) => !c.skipped);
  for (const c of contenders.filter((c) => c.skipped)) log(`gateway: ${c.name} skipped: ${c.skipped}\n`);
  const results = [];
  const orders = [];
  const callers = active.filter((c) => c.phases.includes('calls'));
  for (let run = 0; run < settings.runs; run++) {
    const shift = run % callers.length;
    const order = [...callers.slice(shift), ...callers.slice(0, shift)];
    orders.push(order.map((c) => c.name));
    log(`gateway calls run ${run + 1}/${settings.runs}:`);
    for (const contender of order) {
      log(` ${contender.name}…`);
      const r = await measure({ contender, phase: 'calls', run: run + 1, settings, server, script });
      results.push(r);
      log(r.error ? ' FAILED;' : ` ${us(r.latencyUs.p50)} µs p50, ${rate(r.throughput.callsPerSec)}/s;`);
    }
    log('\n');
  }
  for (const phase of ['sessions', 'processes']) {
    log(`gateway ${phase}:`);
    for (const contender of active.filter((c) => c.phases.includes(phase))) {
      log(` ${contender.name}…`);
      const r = await measure({ contender, phase, run: 1, settings, server, script });
      results.push(r);
      log(r.error ? ' FAILED;' : ` ${brief(r)};`);
    }
    log('\n');
  }
  for (const r of results.filter((r) => r.error))
    log(`gateway ${r.contender} ${r.phase} failed: ${r.error.split('\n').slice(0, 3).join(' | ')}\n`);
  return {
    server,
    settings,
    contenders: Object.fromEntries(
      contenders.map(({ name, description, transport, sessionModel, versions, skipped }) => [
        name,
        { description, transport, sessionModel, versions, skipped },
      ]),
    ),
    orders,
    summary: summarize(contenders, results),
    results,
  };
}

function brief(r) {
  if (r.phase === 'sessions') return `${r.sessionsOpened} sessions, ${kb(r.perSession.rss)} KB RSS each`;
  return `${r.clients} clients, ${r.most.servers} servers at most, state ${r.state}`;
}

function summarize(contenders, results) {
  const summary = {};
  const callsOf = (name) => results.filter((r) => r.contender === name && r.phase === 'calls' && !r.error);
  // p50 over a reference's p50, paired within each run (both measured in the same run).
  const addedOver = (calls, reference) => {
    const added = [];
    for (const r of calls) {
      const o = callsOf(reference).find((x) => x.run === r.run);
      if (o) added.push(r.latencyUs.p50 - o.latencyUs.p50);
    }
    return added.length ? spread(added) : null;
  };
  for (const { name, skipped } of contenders) {
    if (skipped) {
      summary[name] = { skipped };
      continue;
    }
    const calls = callsOf(name);
    const of = (f) => (calls.length ? spread(calls.map(f)) : null);
    const one = (phase) => results.find((r) => r.contender === name && r.phase === phase && !r.error) ?? null;
    summary[name] = {
      p50: of((r) => r.latencyUs.p50),
      p99: of((r) => r.latencyUs.p99),
      min: of((r) => r.latencyUs.min),
      mean: of((r) => r.latencyUs.mean),
      cpuPerCall: of((r) => r.latencyUs.cpuPerCall),
      serverCpuPerCall: of((r) => r.latencyUs.serverCpuPerCall),
      calls: of((r) => r.latencyUs.calls),
      warmupCalls: of((r) => r.warmupCalls),
      throughput: of((r) => r.throughput.callsPerSec),
      loadP50: of((r) => r.throughput.p50Us),
      loadServerCpuPerCall: of((r) => r.throughput.serverCpuPerCall),
      addedP50: addedOver(calls, DIRECT),
      addedOverFloor: addedOver(calls, FLOOR),
      sessions: one('sessions'),
      processes: one('processes'),
      survivors: Math.max(
        0,
        ...results.filter((r) => r.contender === name && r.stop).map((r) => r.stop.survivors.length),
      ),
      leftovers: results.filter((r) => r.contender === name).reduce((a, r) => a + (r.leftovers ?? 0), 0),
      errors: results.filter((r) => r.contender === name && r.error).map((r) => `${r.phase}: ${r.error}`),
      warnings: sumWarnings(results.filter((r) => r.contender === name && r.warnings)),
    };
  }
  return summary;
}

/** The client's process warnings over `results`, summed by message. */
function sumWarnings(results) {
  const totals = {};
  for (const r of results)
    for (const [key, n] of Object.entries(r.warnings)) totals[key] = (totals[key] ?? 0) + n;
  return totals;
}

const us = (n) => n.toFixed(1);
const rate = (n) => Math.round(n).toLocaleString('en-US');
const kb = (bytes) => (bytes === null || bytes === undefined ? '–' : (bytes / 1024).toFixed(1));
const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
const cell = (s, f) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '–');

/** The gateway part's tables (Markdown, pasteable into docs/benchmarks.md) and the targets' verdicts. */
export function renderGateway(g) {
  const s = g.settings;
  const names = Object.keys(g.summary);
  const label = (name) => `${name}${g.contenders[name].transport === 'sse' ? ' (SSE)' : ''}`;
  const lines = [
    `Gateway: ${s.runs} runs × (${s.calls} sequential calls after ${s.warmup} warm-up, each capped at ` +
      `${s.callSeconds} / ${s.warmupSeconds} s; then ${s.clients} client sessions calling in closed loops for ${s.loadSeconds} s after ${s.loadWarmSeconds} s), ` +
      `server: bench/servers/${g.server}-server.mjs. Median (min–max) over runs; latency in µs. ` +
      'Server CPU: the gateway process tree (gateway + upstream server; for direct, the server) per call, from /proc. ' +
      'A contender that hit a time cap shows (measured calls after warm-up calls) of its shortest run.',
    '',
    `| contender | transport | min µs | p50 µs | p99 µs | p50 added over direct µs | p50 added over floor-gateway µs | client CPU µs/call | server CPU µs/call | throughput calls/s, ${s.clients} clients | p50 under load µs | server CPU µs/call under load |`,
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const name of names) {
    const x = g.summary[name];
    if (x.skipped) {
      lines.push(`| ${name} | skipped: ${x.skipped} | | | | | | | | | | |`);
      continue;
    }
    const sampled =
      x.calls && (x.calls.min < s.calls || (x.warmupCalls?.min ?? s.warmup) < s.warmup)
        ? ` (${Math.round(x.calls.min)} calls after ${Math.round(x.warmupCalls?.min ?? NaN)})`
        : '';
    lines.push(
      `| ${label(name)} | ${g.contenders[name].transport} | ${x.min ? cell(x.min, us) : '–'} | ${cell(x.p50, us)}${sampled} | ${cell(x.p99, us)} | ${name === DIRECT ? '–' : cell(x.addedP50, us)} | ${name === DIRECT || name === FLOOR ? '–' : cell(x.addedOverFloor, us)} | ${cell(x.cpuPerCall, us)} | ${cell(x.serverCpuPerCall, us)} | ${cell(x.throughput, rate)} | ${cell(x.loadP50, us)} | ${cell(x.loadServerCpuPerCall, us)} |`,
    );
  }

  lines.push(
    '',
    `Memory per idle client session: up to ${s.sessions} sessions (initialize; the SDK client then holds its GET stream open), ` +
      `${s.openConcurrency} opening at a time, stopped at ${s.sessionSeconds} s or ${s.sessionBudgetMiB} MiB of tree RSS growth. ` +
      'RSS from /proc/<pid>/status after a full GC in the gateway; heap from process.memoryUsage() in the gateway (preloaded probe).',
    '',
    '| contender | sessions opened | gateway RSS before → after MiB | per session KB: gateway RSS | heap used | gateway tree RSS | processes per session | after closing all: gateway RSS MiB, processes in its tree |',
    '| --- | --: | --: | --: | --: | --: | --: | --: |',
  );
  for (const name of names) {
    const x = g.summary[name];
    if (x.skipped || !g.contenders[name] || name === DIRECT) continue;
    const m = x.sessions;
    if (!m) {
      lines.push(`| ${label(name)} | failed | | | | | | |`);
      continue;
    }
    const stop = m.stoppedBy
      ? ` (stopped: ${m.stoppedBy}${m.failures[0] ? `: ${m.failures[0].slice(0, 80)}` : ''})`
      : '';
    lines.push(
      `| ${label(name)} | ${m.sessionsOpened}${stop} | ${mib(m.before.rss)} → ${mib(m.after.rss)} | ${kb(m.perSession.rss)} | ${kb(m.perSession.heapUsed)} | ${kb(m.perSession.treeRss)} | ${m.perSession.processes.toFixed(2)} | ${mib(m.afterClose.rss)}, ${m.afterClose.processes} |`,
    );
  }

  lines.push(
    '',
    `Processes with ${s.processClients} client sessions on the counter server (berth: \`"session": "keyed"\`); each client calls increment, increment, get. ` +
      'Processes counted in /proc: the gateway tree (gateway excluded) and upstream server processes; "most" is the most seen while the clients ran.',
    '',
    '| contender | session model | clients | upstream servers: idle, most, after the calls, after closing | tree processes, most | upstream RSS, most MiB | state (what get returned) |',
    '| --- | --- | --: | --: | --: | --: | --- |',
  );
  for (const name of names) {
    const x = g.summary[name];
    if (x.skipped || name === DIRECT) continue;
    const p = x.processes;
    if (!p) {
      lines.push(`| ${label(name)} | ${g.contenders[name].sessionModel} | failed | | | | |`);
      continue;
    }
    const values = Object.entries(p.values)
      .map(([v, n]) => `${v}×${n}`)
      .join(', ');
    lines.push(
      `| ${label(name)} | ${g.contenders[name].sessionModel} | ${p.clients} | ${p.idle.servers}, ${p.most.servers}, ${p.during.servers}, ${p.afterClose.servers} | ${p.most.tree} | ${mib(p.most.serversRss)} | ${p.state} (${values}) |`,
    );
  }

  const survivors = names.filter((n) => g.summary[n].survivors > 0);
  const leftovers = names.filter((n) => g.summary[n].leftovers > 0);
  if (survivors.length)
    lines.push(
      '',
      `Processes left after the gateway exited on SIGTERM (then killed): ${survivors.map((n) => `${n} ${g.summary[n].survivors}`).join(', ')}.`,
    );
  if (leftovers.length)
    lines.push(
      '',
      `Processes the runner had to kill after a measurement: ${leftovers.map((n) => `${n} ${g.summary[n].leftovers}`).join(', ')}.`,
    );
  const failed = names.filter((n) => g.summary[n].errors?.length);
  if (failed.length) {
    lines.push('', 'Failed measurements:');
    for (const n of failed) for (const e of g.summary[n].errors) lines.push(`- ${n} ${e.split('\n')[0]}`);
  }
  const warned = names.filter((n) => Object.keys(g.summary[n].warnings ?? {}).length);
  if (warned.length) {
    lines.push('', 'Process warnings in the client (counted by the worker, not printed):');
    for (const n of warned)
      for (const [key, count] of Object.entries(g.summary[n].warnings))
        lines.push(`- ${n}: ${key} (×${count})`);
  }
  const other = g.results.map((r) => r.otherCores).filter((c) => typeof c === 'number');
  if (other.length) {
    const load = spread(other);
    lines.push(
      '',
      `Other processes used ${load.median.toFixed(2)} (${load.min.toFixed(2)}–${load.max.toFixed(2)}) cores during the measurements (median, min–max over measurements).`,
    );
  }
  lines.push('', ...verdicts(g));
  return lines.join('\n');
}

function verdicts(g) {
  const b = g.summary[BASELINE];
  if (!b || b.skipped) return [`Targets: not measured (berth: ${b?.skipped ?? 'no contender'}).`];
  const met = (ok) => (ok ? 'MET' : 'MISSED');
  const out = [];
  if (b.addedP50)
    out.push(
      `Target: at most ${TARGET_ADDED_P50_US} µs added to p50 over direct stdio — berth +${us(b.addedP50.median)} µs (median of per-run differences) — ${met(b.addedP50.median <= TARGET_ADDED_P50_US)}.` +
        (b.addedOverFloor
          ? ` The SDK v2 client over HTTP to the hand-written floor gateway adds ${us(g.summary[FLOOR].addedP50.median)} µs; berth adds ${us(b.addedOverFloor.median)} µs over that floor (median of per-run differences).`
          : ''),
    );
  const peers = Object.entries(g.summary).filter(
    ([n, x]) => n !== BASELINE && !REFERENCES.includes(n) && !x.skipped && x.throughput,
  );
  if (b.throughput && peers.length) {
    const best = peers.reduce((a, c) => (c[1].throughput.median > a[1].throughput.median ? c : a));
    const sdkFloor = g.summary[SDK_FLOOR];
    out.push(
      `Target: throughput ahead of every peer gateway — berth ${rate(b.throughput.median)} calls/s, best peer ${best[0]} ${rate(best[1].throughput.median)} — ${met(b.throughput.median > best[1].throughput.median)}.` +
        (sdkFloor?.throughput && !sdkFloor.skipped
          ? ` The SDK v2 gateway floor (${SDK_FLOOR}) reaches ${rate(sdkFloor.throughput.median)}.`
          : ''),
    );
  }
  if (b.sessions)
    out.push(
      `Target: under ${TARGET_SESSION_BYTES / 1024} KB of gateway memory per idle client session — berth ${kb(b.sessions.perSession.rss)} KB RSS (${kb(b.sessions.perSession.heapUsed)} KB heap) over ${b.sessions.sessionsOpened} sessions — ${met(b.sessions.perSession.rss < TARGET_SESSION_BYTES)}.`,
    );
  return out;
}
