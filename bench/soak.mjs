/**
 * The soak (`node bench/run.mjs --soak SECONDS`): mixed calls against six berth servers (shared,
 * keyed, per-call with prewarm) for SECONDS while server processes are SIGKILLed at random, in a
 * fresh child process (soak-worker.mjs). Afterwards: calls done and their outcomes, errors by berth
 * code, kills and restarts, the host process's RSS, and whether any server process survived
 * `host.close()`. A wrong payload or a survivor fails the run.
 */
import { runChild } from './lib/child.mjs';

export const SOAK_DEFAULTS = { lanes: 50, killEveryMs: 500 };

/** Runs the soak in a fresh process; resolves with the worker's result. */
export function runSoak({ seconds, script, log }) {
  const options = { seconds, ...SOAK_DEFAULTS };
  log(`soak: ${seconds} s, ${options.lanes} lanes of calls, a SIGKILL every ${options.killEveryMs} ms…\n`);
  return runChild({
    name: 'soak',
    script,
    args: [JSON.stringify(options)],
    timeoutMs: seconds * 1000 + 5 * 60_000,
  });
}

/** Whether the soak passed: every reply its own payload, no server process left after close. */
export function soakPassed(soak) {
  return soak.calls.wrongPayload === 0 && soak.survivors === 0;
}

/** The soak's figures as Markdown tables. */
export function renderSoak(soak) {
  const n = (x) => Math.round(x).toLocaleString('en-US');
  const mib = (x) => `${x.toFixed(1)} MiB`;
  const entries = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const { calls, kills, restarts, rssMiB: rss } = soak;
  // Calls attempted a second time, by the scope of their server (`shared1__echo_readonly` → shared).
  const retried = {};
  for (const [name, count] of Object.entries(soak.resent)) {
    const scope = soak.servers[name.split('__')[0]].session;
    retried[scope] = (retried[scope] ?? 0) + count;
  }
  const retriedTotal = Object.values(retried).reduce((a, b) => a + b, 0);
  const lines = [
    `Soak: ${soak.options.seconds} s, ${soak.options.lanes} lanes of calls, one call at a time each (the one lane ` +
      `of each per-call server pauses ${soak.options.perCallPauseMs} ms between calls), one SIGKILL every ${soak.options.killEveryMs} ms.`,
    '',
    '| | |',
    '| --- | --- |',
    `| duration | ${soak.durationSeconds.toFixed(1)} s |`,
    `| calls done | ${n(calls.done)} |`,
    `| calls/s | ${n(calls.perSecond)} |`,
    `| ok (own payload back) | ${n(calls.ok)} |`,
    `| wrong payload | ${calls.wrongPayload} |`,
    `| tool errors (\`isError\`) | ${calls.toolError} |`,
    `| failed (thrown) | ${n(calls.failed)} |`,
    `| calls attempted again after a lost session (read-only retries) | ${retriedTotal} (${entries(retried)}) |`,
    `| kills sent (on a busy session) | ${kills.sent} (${kills.busy}) |`,
    `| kills by scope | ${entries(kills.byScope)} |`,
    `| restarts: sum of \`status().restarts\` | ${restarts.statusSum} |`,
    `| restarts: \`server:restart-scheduled\` events | ${restarts.scheduledEvents} (${entries(restarts.scheduledByServer)}) |`,
    `| sessions opened (\`session:opened\`) | ${entries(soak.sessions.opened)} |`,
    `| host RSS: start / peak / before close / after close | ${mib(rss.start)} / ${mib(rss.peak)} / ${mib(rss.beforeClose)} / ${mib(rss.end)} |`,
    `| \`host.close()\` took | ${n(soak.closeMs)} ms |`,
    `| server pids seen | ${soak.pidsSeen} |`,
    `| surviving processes after close | ${soak.survivors ?? 'unknown (no /proc)'} |`,
    '',
    `Calls finished per 10 s: ${calls.per10s.map((c) => n(c ?? 0)).join(', ')}.`,
    `Peak RSS per 10 s (MiB): ${rss.peakPer10s.map((x) => x.toFixed(0)).join(', ')}.`,
  ];
  lines.push('', '| scope | calls ok | p50 ms | p99 ms | max ms |', '| --- | --: | --: | --: | --: |');
  for (const [scope, l] of Object.entries(soak.latencyMs))
    lines.push(
      `| ${scope} | ${n(l.calls)} | ${l.p50.toFixed(2)} | ${l.p99.toFixed(1)} | ${l.max.toFixed(0)} |`,
    );
  const errors = Object.entries(soak.errors);
  if (errors.length > 0) {
    lines.push(
      '',
      '| error (code, class) | scope | tool | attempts | calls |',
      '| --- | --- | --- | --: | --: |',
    );
    for (const [key, count] of errors) lines.push(`| ${key.split(' | ').join(' | ')} | ${count} |`);
  }
  if (soak.survivors > 0) lines.push('', 'Survivors:', ...soak.survivorList.map((p) => `- ${p}`));
  lines.push(
    '',
    `Soak ${soakPassed(soak) ? 'PASSED' : 'FAILED'}: ${calls.wrongPayload} wrong payloads, ${soak.survivors} surviving processes.`,
  );
  return lines.join('\n');
}
