/**
 * One measurement run of one contender, in a fresh process (started by run.mjs with `fork`).
 *
 *   node bench/worker.mjs <contender file> '<options JSON>'
 *
 * Opens the contender (which spawns its own echo server, or `options.server`: bench/servers/<name>-server.mjs,
 * run on `options.serverNode`, the runner's Node, whatever Node this worker runs on; a contender with
 * only `openFleet` is opened as a fleet of one, see lib/contender.mjs), then:
 *   1. warm-up: `warmup` sequential calls, not measured;
 *   2. latency: `calls` sequential calls, each timed on its own (performance.now, in µs), plus
 *      this process's CPU time per call over the same calls;
 *   3. throughput: one unmeasured batch, then `batches` batches of `concurrency` calls started
 *      at once and awaited with Promise.all; calls/second = calls made / time taken.
 * Every reply is checked against what was sent. Process warnings are counted and returned with the
 * result rather than printed (1,000 blocked writes trip Node's listener-leak warning in most stdio
 * clients). Then it closes the contender, checks that the
 * server process is gone, sends the result over IPC and disconnects. It never calls process.exit:
 * if the contender leaks a handle, this process stays alive and run.mjs reports it.
 */
import { performance } from 'node:perf_hooks';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuSeconds } from './lib/environment.mjs';
import { latencySummary } from './lib/stats.mjs';

import { openOne } from './lib/contender.mjs';

const PAYLOAD = 'hello, berth';

// Count warnings (by message, digits removed) instead of letting Node print them.
const warnings = {};
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const key = `${warning.name}: ${warning.message.replace(/\d+/g, 'N')}`;
  warnings[key] = (warnings[key] ?? 0) + 1;
});

const [file, json] = process.argv.slice(2);
const options = JSON.parse(json);
const SERVER = fileURLToPath(new URL(`./servers/${options.server ?? 'echo'}-server.mjs`, import.meta.url));
const contender = await import(pathToFileURL(file).href);

function check(sent, received) {
  if (received !== sent)
    throw new Error(`echo returned ${JSON.stringify(received)} for ${JSON.stringify(sent)}`);
}

/** Starts `count` calls at once and resolves when all have answered. */
async function batch(connection, count) {
  const calls = [];
  for (let i = 0; i < count; i++) {
    const value = `v${i}`;
    calls.push(connection.echo(value).then((text) => check(value, text)));
  }
  await Promise.all(calls);
}

/** True once `pid` no longer exists, polling for up to `ms`. */
async function gone(pid, ms) {
  for (const deadline = Date.now() + ms; ; await sleep(10)) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if (error.code === 'ESRCH') return true;
    }
    if (Date.now() > deadline) return false;
  }
}

async function measure() {
  const command = options.serverNode ?? process.execPath;
  const connection = await openOne(contender, { command, args: [SERVER] });
  const { pid } = connection;
  let latency;
  let serverCpu = null;
  const batches = [];
  try {
    for (let i = 0; i < options.warmup; i++) check(PAYLOAD, await connection.echo(PAYLOAD));

    const samples = new Float64Array(options.calls);
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < options.calls; i++) {
      const start = performance.now();
      const text = await connection.echo(PAYLOAD);
      samples[i] = (performance.now() - start) * 1000;
      check(PAYLOAD, text);
    }
    const cpu = process.cpuUsage(cpuBefore);
    latency = latencySummary(samples);
    // This process's CPU time (all threads, user + system) per sequential call: the client's own
    // cost, without the time spent waiting for the server (it still grows if both share a core).
    latency.cpuPerCall = (cpu.user + cpu.system) / options.calls;

    await batch(connection, options.concurrency); // warm-up of the concurrent path
    for (let b = 0; b < options.batches; b++) {
      const start = performance.now();
      await batch(connection, options.concurrency);
      batches.push((options.concurrency / (performance.now() - start)) * 1000);
    }
  } finally {
    serverCpu = processCpuSeconds(pid); // read while the server still exists
    await connection.close();
  }
  const own = process.cpuUsage();
  const total = batches.length * options.concurrency;
  const seconds = batches.reduce((sum, rate) => sum + options.concurrency / rate, 0);
  return {
    contender: options.name ?? basename(file, '.mjs'), // `berth@node24` for an extra row
    description: contender.description,
    versions: contender.versions(),
    node: process.version,
    serverPid: pid,
    serverExited: pid === undefined || pid === null ? null : await gone(pid, 5000),
    latencyUs: latency,
    throughput: { callsPerSec: total / seconds, perBatch: batches },
    warnings,
    // CPU seconds used by this process (whole life) and by the server (until close), for run.mjs.
    cpuSeconds: { worker: (own.user + own.system) / 1e6, server: serverCpu },
  };
}

try {
  process.send({ ok: true, result: await measure() }, () => process.disconnect());
} catch (error) {
  process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.disconnect());
}
