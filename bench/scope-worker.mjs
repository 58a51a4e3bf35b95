/**
 * One measurement of one berth session scope, in a fresh process (started by run.mjs with `fork`).
 *
 *   node bench/scope-worker.mjs '<options JSON>'
 *   options: { variant: { name, entry, key }, calls, warmup, intervalMs }
 *
 * Starts a berth host (from ../dist) with bench/servers/echo-server.mjs configured as
 * `variant.entry` (`session`, `prewarm`, …), waits until any prewarmed sessions are ready, then
 * makes `warmup` unmeasured and `calls` measured `echo` calls, one at a time, each starting
 * `intervalMs` after the previous one started (so a per-call pool has time to refill). Each call is
 * timed twice: until its reply (the latency), and until `host.callTool()` returned its promise (how
 * long the caller was blocked by work berth does synchronously on the call path). `variant.key` is
 * 'same' (one key for every call), 'fresh' (a new key per call) or absent (no key).
 *
 * Then it closes the host and checks that no echo server started by this process is left (berth's
 * own process-group reaper, also a child, lives until this process exits and then ends by itself).
 * It never calls process.exit: a leaked handle keeps it alive and run.mjs reports it.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHost } from '../dist/index.js';
import { childPids, reapedChildrenCpuSeconds } from './lib/environment.mjs';
import { latencySummary } from './lib/stats.mjs';

const SERVER = fileURLToPath(new URL('./servers/echo-server.mjs', import.meta.url));
const { variant, calls, warmup, intervalMs } = JSON.parse(process.argv[2]);

/** Polls `test` every 10 ms until it is true; false if `ms` passed first. */
async function until(test, ms) {
  for (const deadline = Date.now() + ms; !test(); await sleep(10)) if (Date.now() > deadline) return false;
  return true;
}

async function measure() {
  const host = await createHost({
    mcpServers: { bench: { command: process.execPath, args: [SERVER], ...variant.entry } },
  });
  const latency = new Float64Array(calls);
  const blocked = new Float64Array(calls);
  try {
    const [status] = host.status();
    if (status?.state !== 'ready') throw new Error(`berth could not start the echo server: ${JSON.stringify(status)}`);
    const prewarm = variant.entry.prewarm ?? 0;
    const pooled = () => host.status()[0].sessions ?? [];
    if (!(await until(() => pooled().filter((s) => s.state === 'ready').length >= prewarm, 10_000)))
      throw new Error(`prewarmed sessions not ready: ${JSON.stringify(pooled())}`);

    let next = performance.now();
    for (let i = -warmup; i < calls; i++) {
      await sleep(Math.max(0, next - performance.now()));
      const value = `v${i}`;
      const key = variant.key === 'fresh' ? `key-${i}` : variant.key === 'same' ? 'bench' : undefined;
      const start = performance.now();
      next = start + intervalMs;
      const pending = host.callTool('bench__echo', { value }, { key });
      const returned = performance.now();
      const result = await pending;
      const end = performance.now();
      const text = result.content[0]?.text;
      if (text !== value) throw new Error(`echo returned ${JSON.stringify(text)} for ${JSON.stringify(value)}`);
      if (i < 0) continue;
      latency[i] = end - start;
      blocked[i] = returned - start;
    }
  } finally {
    await host.close();
  }
  // berth's close resolves once each server's process group is gone; allow a moment for reaping.
  const servers = () => childPids(process.pid, SERVER);
  await until(() => (servers() ?? []).length === 0, 5_000);
  const leftover = servers();
  const own = process.cpuUsage();
  return {
    variant: variant.name,
    entry: variant.entry,
    key: variant.key ?? null,
    latencyMs: latencySummary(latency),
    blockedMs: latencySummary(blocked),
    samplesMs: Array.from(latency, (ms) => Math.round(ms * 1000) / 1000),
    serverExited: leftover === null ? null : leftover.length === 0,
    serverPid: leftover?.join(', '),
    // CPU seconds used by this process and, once reaped, by all the servers it started (for run.mjs).
    cpuSeconds: { worker: (own.user + own.system) / 1e6, server: reapedChildrenCpuSeconds(process.pid) },
  };
}

try {
  process.send({ ok: true, result: await measure() }, () => process.disconnect());
} catch (error) {
  process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.disconnect());
}
