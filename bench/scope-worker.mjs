/**
 * One measurement of one berth session scope, in a fresh process (started by run.mjs with `fork`).
 *
 *   node bench/scope-worker.mjs '<options JSON>'
 *   options: { variant: { name, entry, key, driver }, calls, warmup, intervalMs }
 *
 * Starts a berth host (from ../dist) with bench/servers/echo-server.mjs configured as
 * `variant.entry` (`session`, `prewarm`, …), waits until any prewarmed sessions are ready, then
 * makes `warmup` unmeasured and `calls` measured `echo` calls, one at a time, each starting
 * `intervalMs` after the previous one started (so a per-call pool has time to refill). Each call is
 * timed twice: until its reply (the latency), and until `host.callTool()` returned its promise (how
 * long the caller was blocked by work berth does synchronously on the call path). `variant.key` is
 * 'same' (one key for every call), 'fresh' (a new key per call) or absent (no key).
 *
 * `driver: 'sdk'` measures a reference instead of berth: the raw SDK client with one prewarmed
 * server process per call, its replacement spawned only after the reply. That is the least a fresh
 * session per call can cost here: what per-call with prewarm would cost with nothing else on the path.
 *
 * Then it closes the host and checks that no echo server started by this process is left (berth's
 * own process-group reaper, also a child, lives until this process exits and then ends by itself).
 * It never calls process.exit: a leaked handle keeps it alive and run.mjs reports it.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
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

/** berth with the echo server under `variant.entry`, once any prewarmed sessions are ready. */
async function openBerth() {
  const host = await createHost({
    mcpServers: { bench: { command: process.execPath, args: [SERVER], ...variant.entry } },
  });
  const [status] = host.status();
  const pooled = () => host.status()[0].sessions ?? [];
  const prewarm = variant.entry.prewarm ?? 0;
  if (
    status?.state !== 'ready' ||
    !(await until(() => pooled().filter((s) => s.state === 'ready').length >= prewarm, 10_000))
  ) {
    await host.close();
    throw new Error(`berth could not start the echo server: ${JSON.stringify(host.status())}`);
  }
  return {
    call: (value, key) => host.callTool('bench__echo', { value }, { key }),
    close: () => host.close(),
  };
}

/** The raw-SDK reference: a fresh, already initialized server process for each call. */
async function openRawPerCall() {
  const open = async () => {
    const client = new Client({ name: 'bench-scope', version: '0.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [SERVER], stderr: 'inherit' }),
    );
    return client;
  };
  let next = open();
  await next;
  const closing = [];
  return {
    async call(value) {
      const client = await next;
      const result = await client.callTool({ name: 'echo', arguments: { value } });
      // Close this one and start its replacement after the caller has its reply.
      next = new Promise((resolve) => setImmediate(resolve)).then(open);
      setImmediate(() => closing.push(client.close()));
      return result;
    },
    async close() {
      await (await next).close();
      await Promise.all(closing);
    },
  };
}

async function measure() {
  const target = variant.driver === 'sdk' ? await openRawPerCall() : await openBerth();
  const latency = new Float64Array(calls);
  const blocked = new Float64Array(calls);
  try {
    let next = performance.now();
    for (let i = -warmup; i < calls; i++) {
      await sleep(Math.max(0, next - performance.now()));
      const value = `v${i}`;
      const key = variant.key === 'fresh' ? `key-${i}` : variant.key === 'same' ? 'bench' : undefined;
      const start = performance.now();
      next = start + intervalMs;
      const pending = target.call(value, key);
      const returned = performance.now();
      const result = await pending;
      const end = performance.now();
      const text = result.content[0]?.text;
      if (text !== value)
        throw new Error(`echo returned ${JSON.stringify(text)} for ${JSON.stringify(value)}`);
      if (i < 0) continue;
      latency[i] = end - start;
      blocked[i] = returned - start;
    }
  } finally {
    await target.close();
  }
  // Closing resolves once each server process is gone; allow a moment for reaping.
  const servers = () => childPids(process.pid, SERVER);
  await until(() => (servers() ?? []).length === 0, 5_000);
  const leftover = servers();
  const own = process.cpuUsage();
  return {
    variant: variant.name,
    entry: variant.entry ?? null,
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
