/**
 * The fleet part (part of run.mjs): what a host does with several servers, beyond one call path.
 * For every contender that implements `openFleet` (see lib/contender.mjs), each measurement in its
 * own fresh process (fleet-worker.mjs), contenders in rotated order from run to run:
 *
 *   start1, start10, start20  cold start to ready (every server answered one call) for 1/10/20 echo servers;
 *                             start20 also measures the host's resident memory with 20 idle sessions
 *   close-stubborn            close() of 20 servers, one ignoring SIGTERM and stdin EOF; survivors after 2 s
 *   close-wrapper             the same with an npx-style wrapper whose grandchild is that stubborn server
 *   state                     increment, increment, get == 2 on a counter server
 *
 * Reported: median (min–max) over runs, survivors as the most seen in any run, state as yes/no (or
 * "mixed"). A measurement that fails is recorded with its error and does not stop the others.
 *
 * `server` is the servers' kind (`echo`: the SDK v2 echo server; `floor`: the hand-written one, see
 * fleet-worker.mjs), run on `serverNode`; each contender's worker runs on its own Node
 * (`contender.node.execPath`, see lib/node-binary.mjs; default: the runner's).
 */
import { runChild } from './lib/child.mjs';
import { displayName, nodeFootnote } from './lib/node-binary.mjs';
import { spread } from './lib/stats.mjs';

/** What the tables say about the servers of `--server`. */
export const SERVER_LABELS = {
  echo: 'the SDK v2 echo server',
  floor: 'the hand-written floor server, no SDK',
};

export const FLEET_PHASES = [
  { id: 'start1', phase: 'start', servers: 1 },
  { id: 'start10', phase: 'start', servers: 10 },
  { id: 'start20', phase: 'start', servers: 20, memory: true },
  { id: 'close-stubborn', phase: 'close', variant: 'stubborn', servers: 20 },
  { id: 'close-wrapper', phase: 'close', variant: 'wrapper', servers: 20 },
  { id: 'state', phase: 'state' },
];

export const READY_RATIO_TARGET = 1.5;
export const CLOSE_TARGET_MS = 1000;

export async function benchFleet({
  contenders,
  runs,
  script,
  server = 'echo',
  serverNode = process.execPath,
  phases = FLEET_PHASES,
  log,
}) {
  const results = [];
  const orders = [];
  for (let run = 0; run < runs; run++) {
    const shift = run % contenders.length;
    const order = [...contenders.slice(shift), ...contenders.slice(0, shift)];
    orders.push(order.map((c) => c.name));
    log(`fleet run ${run + 1}/${runs} (${server} server):\n`);
    for (const contender of order) {
      log(`  ${contender.name}:`);
      for (const { id, ...options } of phases) {
        try {
          const result = await runChild({
            name: `fleet ${contender.name} ${id}`,
            script,
            args: [contender.file, JSON.stringify({ ...options, name: contender.name, server, serverNode })],
            execPath: contender.node?.execPath,
            timeoutMs: 120_000,
          });
          results.push({ run: run + 1, id, ...result });
          log(` ${id} ${brief(result)};`);
        } catch (error) {
          results.push({
            run: run + 1,
            id,
            contender: contender.name,
            error: String(error?.message ?? error),
          });
          log(` ${id} FAILED;`);
        }
      }
      log('\n');
    }
  }
  const nodes = Object.fromEntries(
    contenders.map(({ name, node }) => [
      name,
      results.find((r) => r.contender === name && r.node)?.node ?? node?.version ?? process.version,
    ]),
  );
  return { server, orders, phases, nodes, summary: summarizeFleet(contenders, results), results };
}

function brief(r) {
  if (r.phase === 'start') return `${Math.round(r.readyMs)} ms`;
  if (r.phase === 'close') return `${Math.round(r.closeMs)} ms, ${r.survivors} left`;
  return r.survives ? 'kept' : 'lost';
}

function summarizeFleet(contenders, results) {
  const summary = {};
  for (const { name } of contenders) {
    const mine = (id) => results.filter((r) => r.contender === name && r.id === id && !r.error);
    const of = (id, f) => (mine(id).length ? spread(mine(id).map(f)) : null);
    const errors = results.filter((r) => r.contender === name && r.error).map((r) => `${r.id}: ${r.error}`);
    // 20 ÷ 1 as the median of per-run ratios (both measured in the same run).
    const ratios = [];
    for (const r20 of mine('start20')) {
      const r1 = mine('start1').find((r) => r.run === r20.run);
      if (r1) ratios.push(r20.readyMs / r1.readyMs);
    }
    const closeOf = (id) =>
      mine(id).length
        ? {
            ms: of(id, (r) => r.closeMs),
            survivors: Math.max(...mine(id).map((r) => r.survivors)),
            survivorsAtClose: Math.max(...mine(id).map((r) => r.survivorsAtClose)),
            timedOut: mine(id).filter((r) => r.outcome === 'timeout').length,
          }
        : null;
    const states = mine('state').map((r) => r.survives);
    summary[name] = {
      ready1: of('start1', (r) => r.readyMs),
      ready10: of('start10', (r) => r.readyMs),
      ready20: of('start20', (r) => r.readyMs),
      ready20over1: ratios.length ? spread(ratios) : null,
      memoryMiB: of('start20', (r) => r.memory.hostBytes / 2 ** 20),
      liveServersIdle: of('start20', (r) => r.memory.liveServers),
      closeStubborn: closeOf('close-stubborn'),
      closeWrapper: closeOf('close-wrapper'),
      state:
        states.length === 0 ? null : states.every(Boolean) ? 'yes' : states.some(Boolean) ? 'mixed' : 'no',
      stateValues: mine('state')[0]?.values ?? null,
      errors,
    };
  }
  return summary;
}

const ms = (n) => Math.round(n).toLocaleString('en-US');
const mib = (n) => n.toFixed(1);
const cell = (s, f) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '–');

export function renderFleet(fleet, runs) {
  const server =
    (fleet.server ?? 'echo') === 'echo'
      ? ''
      : `; servers: ${SERVER_LABELS[fleet.server]} (the stubborn one stays ${SERVER_LABELS.echo})`;
  const lines = [
    `Fleet: ${runs} runs, each measurement in a fresh process${server}. ` +
      'Median (min–max) over runs; times in ms. ' +
      'Survivors: server processes still alive 2 s after close() returned (most in any run).',
    '',
    '| contender | ready, 1 server | ready, 10 servers | ready, 20 servers | 20 ÷ 1 | close 20, one stubborn | survivors | close 20, wrapper + stubborn grandchild | survivors | host RSS, 20 idle sessions MiB | state kept |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | :-: |',
  ];
  for (const [name, s] of Object.entries(fleet.summary)) {
    const close = (c) =>
      c
        ? [`${cell(c.ms, ms)}${c.timedOut ? ` (${c.timedOut}× gave up at 20 s)` : ''}`, String(c.survivors)]
        : ['–', '–'];
    lines.push(
      `| ${displayName(name, fleet.nodes?.[name])} | ${cell(s.ready1, ms)} | ${cell(s.ready10, ms)} | ${cell(s.ready20, ms)} | ${s.ready20over1 ? s.ready20over1.median.toFixed(2) : '–'} | ${close(s.closeStubborn).join(' | ')} | ${close(s.closeWrapper).join(' | ')} | ${cell(s.memoryMiB, mib)} | ${s.state ?? '–'} |`,
    );
  }
  const footnote = nodeFootnote(fleet.nodes);
  if (footnote) lines.push('', footnote);
  const failed = Object.entries(fleet.summary).filter(([, s]) => s.errors.length);
  if (failed.length) {
    lines.push('', 'Failed measurements:');
    for (const [name, s] of failed) for (const e of s.errors) lines.push(`- ${name} ${e.split('\n')[0]}`);
  }
  const b = fleet.summary.berth;
  if (b?.ready20over1 && b.closeStubborn && b.closeWrapper) {
    const met = (ok) => (ok ? 'MET' : 'MISSED');
    lines.push(
      '',
      `Target: 20 servers ready in under ${READY_RATIO_TARGET}× the time of one — berth ${b.ready20over1.median.toFixed(2)}× — ${met(b.ready20over1.median < READY_RATIO_TARGET)}.`,
      `Target: 20-server close() under ${CLOSE_TARGET_MS} ms with zero survivors — berth ${ms(b.closeStubborn.ms.max)} ms (slowest, stubborn) / ${ms(b.closeWrapper.ms.max)} ms (slowest, wrapper), ${b.closeStubborn.survivors + b.closeWrapper.survivors} survivors — ${met(b.closeStubborn.ms.max < CLOSE_TARGET_MS && b.closeWrapper.ms.max < CLOSE_TARGET_MS && b.closeStubborn.survivors + b.closeWrapper.survivors === 0)}.`,
    );
  }
  return lines.join('\n');
}
