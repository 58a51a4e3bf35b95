/**
 * One measurement of the cluster part (cluster.mjs), in a fresh process: a real `redis-server` on a
 * free loopback port, real `berth serve` replicas from this tree's dist/ (`gateway.cluster` on that
 * Redis), the keyed counter server test/fixtures/counter-server.mjs behind them, and SDK v2 clients
 * in this process speaking the 2026-07-28 era (each conversation named by `_meta["berth/key"]`).
 *
 *   node bench/cluster-worker.mjs '<options JSON>'
 *
 * options.phase:
 *   forward     two replicas A and B of one cluster, and a plain `berth serve` without a cluster for
 *               reference. A conversation opened on A; then `warmup` unmeasured calls, and `blocks`
 *               blocks of `blockCalls` sequential calls each for each route, in turn (the order
 *               alternates from block to block): `owner` (sent to A), `forwarded` (sent to B, which
 *               forwards to A), `plain` (no cluster). Per route: latency (µs), this process's CPU per
 *               call, the replicas' process trees' and Redis's CPU per call (/proc).
 *   death       three replicas (lease `leaseMs`), `rounds` times: `keys` conversations opened on the
 *               oldest replica, a random wait within one renewal period (a third of a lease), then
 *               `kill -9` of it; each conversation is polled through the survivors (alternately)
 *               every `pollMs`. Measured from the kill: the first "session lost" answer, the first
 *               success after it (a fresh conversation claimed by a live replica), when its upstream
 *               processes were gone (the watchdog). A replacement replica joins before the next round.
 *   throughput  `replicas` replicas; `clients` clients, each its own conversation (and upstream
 *               process), through a round-robin balancer process (`via: 'proxy'`, bench/servers/
 *               round-robin.mjs) or each client pinned to replica i mod N (`via: 'direct'`): closed
 *               loops, `loadWarmSeconds` unmeasured then `loadSeconds` measured. Calls/s, latency
 *               under load, and the CPU per call of every process involved.
 * Common options: `tag` (on every process this measurement starts, see lib/process-tree.mjs),
 * `leaseMs` (the cluster's lease; `berth serve`'s default is 10 s), `profileDir` (optional: every
 * replica runs under `--cpu-prof` and writes its profile there as it exits).
 *
 * Every answer is checked (each conversation's counter goes 1, 2, 3…). At the end everything is
 * stopped (replicas with SIGTERM, the balancer, then Redis) and checked: the keys left in Redis
 * before it stops, and the processes left carrying the tag, are part of the result (both must be 0).
 * The worker never calls process.exit: a handle left open keeps it alive and cluster.mjs reports it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { reapedChildrenCpuSeconds } from './lib/environment.mjs';
import { killAll, taggedPids, treeCpuSeconds, treePids, waitGone } from './lib/process-tree.mjs';
import { latencySummary } from './lib/stats.mjs';

const options = JSON.parse(process.argv[2]);
const BERTH = fileURLToPath(new URL('../dist/bin/berth.js', import.meta.url));
const COUNTER = fileURLToPath(new URL('../test/fixtures/counter-server.mjs', import.meta.url));
const REDIS_SERVER = '/usr/bin/redis-server';
const SECRET = 'bench-cluster-secret-0123456789abcdef'; // a bench's, never a real one
const PREFIX = 'bench';
const TOOL = 'k__increment';
const LOST = /session lost: its owner replica stopped/;
const TAIL_BYTES = 16 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-cluster-'));
/** Every process this measurement started, stopped at the end whatever happens. */
const started = [];

// Interrupted: kill everything this measurement started before going (Redis by its pid: it
// rewrites its command line and environment, where the tag is looked for).
for (const name of ['SIGINT', 'SIGTERM']) {
  process.once(name, () => {
    for (const proc of started) proc.child.kill('SIGKILL');
    killAll(null, options.tag)
      .catch(() => {})
      .finally(() => process.exit(130));
  });
}

/** A free loopback TCP port (free when asked). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `command args` with the measurement's tag in its environment, and waits (up to
 * `timeoutMs`) until its output matches `ready`; resolves to `{ name, child, pid, match, tail, exited }`.
 */
async function startProcess(name, command, args, ready, timeoutMs = 30_000) {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_TAG: options.tag, BERTH_NO_WATCHDOG: undefined },
  });
  const proc = { name, child, pid: child.pid, tail: '', exited: null };
  started.push(proc);
  proc.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const keep = (chunk) => (proc.tail = (proc.tail + chunk).slice(-TAIL_BYTES));
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = ready.exec(proc.tail);
    if (match) return Object.assign(proc, { match });
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start within ${timeoutMs} ms; its output ends with:\n${proc.tail}`);
    }
    await sleep(20);
  }
}

/** Stops one process: SIGTERM, then SIGKILL after `graceMs`. Resolves to how it ended. */
async function stopProcess(proc, graceMs = 15_000) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.exited;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  const how = await proc.exited;
  clearTimeout(timer);
  proc.child.stdout.destroy();
  proc.child.stderr.destroy();
  return how;
}

/** A redis-server on a free loopback port, no persistence. */
async function startRedis() {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const redis = await startProcess('redis-server', REDIS_SERVER, [...args, '--dir', dir], /Ready to accept/);
  return Object.assign(redis, { port, url: `redis://127.0.0.1:${port}` });
}

/** One Redis command over a fresh connection (RESP); resolves to the reply's first line. */
function redisCommand(port, words) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => socket.destroy(new Error(`redis ${words[0]}: no answer in 5 s`)), 5000);
    socket.once('connect', () =>
      socket.write(
        `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`,
      ),
    );
    socket.setEncoding('utf8').on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.split('\r\n')[0]);
      }
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The berth config of a replica: the keyed counter server, and the cluster unless `cluster` is false. */
function writeConfig(name, redis, { cluster = true } = {}) {
  const path = join(dir, `${name}.json`);
  const gateway = {
    // Every conversation may live on one replica, and the load's calls are all one principal's.
    limits: { maxInFlightPerPrincipal: 4 * (options.clients ?? 100) },
    ...(cluster && {
      cluster: { redis: redis.url, secret: SECRET, leaseMs: options.leaseMs, prefix: PREFIX },
    }),
  };
  const k = {
    command: process.execPath,
    args: [COUNTER, `--bench-tag=${options.tag}`],
    session: 'keyed',
    maxSessions: 4 * (options.clients ?? 100),
  };
  writeFileSync(path, JSON.stringify({ mcpServers: { k }, gateway }));
  return path;
}

let replicaCount = 0;
/** A `berth serve` replica on a free loopback port; resolves once it serves (a new cluster first waits out a lease). */
async function startReplica(config) {
  const name = `replica ${++replicaCount}`;
  const proc = await startProcess(
    name,
    process.execPath,
    [
      // `profileDir`: each replica writes a CPU profile there as it exits (bench/profile-summary.mjs).
      ...(options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []),
      BERTH,
      'serve',
      '--config',
      config,
      '--listen',
      '127.0.0.1:0',
    ],
    /^berth: serving (\S+)$/m,
    options.leaseMs + 60_000,
  );
  return Object.assign(proc, { url: new URL(proc.match[1]) });
}

/** An SDK v2 client of the 2026-07-28 era on `url`. */
async function connect(url) {
  const client = new Client(
    { name: 'bench-cluster', version: '0.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

/** One `increment` in conversation `key`: the counter's value, or throws what the client saw. */
async function increment(client, key) {
  const result = await client.callTool({ name: TOOL, arguments: { by: 1 }, _meta: { 'berth/key': key } });
  const text = result.content?.[0]?.text;
  if (result.isError || text === undefined)
    throw new Error(`${TOOL} in ${key} returned an error: ${JSON.stringify(result).slice(0, 300)}`);
  return Number(text);
}

/** A counter that must go 1, 2, 3…: `next(value)` checks each answer. */
function counter(key) {
  let last = 0;
  return (value) => {
    if (value !== last + 1) throw new Error(`conversation ${key}: counter went ${last} → ${value}`);
    last = value;
  };
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// ---------------------------------------------------------------------------------------------

async function phaseForward(redis) {
  const config = writeConfig('cluster', redis);
  const [a, b] = await Promise.all([startReplica(config), startReplica(config)]);
  const plain = await startReplica(writeConfig('plain', redis, { cluster: false }));
  const toA = await connect(a.url);
  const toB = await connect(b.url);
  const toPlain = await connect(plain.url);
  const clients = [toA, toB, toPlain];
  try {
    const key = 'forward';
    const check = counter(key);
    check(await increment(toA, key)); // opened on A: A owns it
    const checkPlain = counter('plain');
    const routes = {
      owner: { client: toA, key, check },
      forwarded: { client: toB, key, check },
      plain: { client: toPlain, key: 'plain', check: checkPlain },
    };
    const names = Object.keys(routes);
    const end = performance.now() + options.warmupSeconds * 1000;
    let warm = 0;
    for (; warm < options.warmup && performance.now() < end; warm++) {
      const r = routes[names[warm % names.length]];
      r.check(await increment(r.client, r.key));
    }
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    const cpu = Object.fromEntries(names.map((n) => [n, { client: 0, replicas: 0, redis: 0 }]));
    const replicaPids = [a.pid, b.pid, plain.pid];
    const replicasCpu = () => replicaPids.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
    for (let block = 0; block < options.blocks; block++) {
      const order = block % 2 ? [...names].reverse() : names;
      for (const name of order) {
        const r = routes[name];
        const before = { client: cpuSeconds(), replicas: replicasCpu(), redis: treeCpuSeconds(redis.pid) };
        for (let i = 0; i < options.blockCalls; i++) {
          const start = performance.now();
          const value = await increment(r.client, r.key);
          samples[name].push((performance.now() - start) * 1000);
          r.check(value);
        }
        cpu[name].client += cpuSeconds() - before.client;
        cpu[name].replicas += replicasCpu() - before.replicas;
        cpu[name].redis += treeCpuSeconds(redis.pid) - before.redis;
      }
    }
    const perCall = (seconds, n) => (seconds * 1e6) / n;
    return {
      warmupCalls: warm,
      routes: Object.fromEntries(
        names.map((name) => {
          const n = samples[name].length;
          return [
            name,
            {
              ...latencySummary(samples[name]),
              calls: n,
              clientCpuPerCall: perCall(cpu[name].client, n),
              replicasCpuPerCall: perCall(cpu[name].replicas, n),
              redisCpuPerCall: perCall(cpu[name].redis, n),
            },
          ];
        }),
      ),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
}

/** Polls conversation `key` through `clients` (in turn) until it was lost and works again, or `deadline`. */
async function watchLoss(clients, key, t0, deadline) {
  const seen = { lostMs: null, freshMs: null, freshValue: null, retries: 0, before: 0, other: [] };
  for (let n = 0; performance.now() < deadline; n++) {
    const client = clients[n % clients.length];
    try {
      const value = await increment(client, key);
      const at = performance.now() - t0;
      if (seen.lostMs === null) {
        // Still served by its old owner: impossible after a kill -9 (its process is gone).
        seen.before += 1;
      } else {
        seen.freshMs = at;
        seen.freshValue = value;
        return seen;
      }
    } catch (error) {
      const text = String(error?.message ?? error);
      const at = performance.now() - t0;
      if (LOST.test(text)) {
        if (seen.lostMs !== null) seen.other.push(`told twice: ${text}`);
        else seen.lostMs = at;
      } else if (/retry in \d+ s/.test(text)) seen.retries += 1;
      else if (seen.other.length < 5) seen.other.push(text.slice(0, 200));
    }
    await sleep(options.pollMs);
  }
  return seen;
}

async function phaseDeath(redis) {
  const config = writeConfig('cluster', redis);
  const replicas = await Promise.all([0, 1, 2].map(() => startReplica(config)));
  const rounds = [];
  for (let round = 0; round < options.rounds; round++) {
    const victim = replicas.shift();
    const survivors = await Promise.all(replicas.map((r) => connect(r.url)));
    const direct = await connect(victim.url);
    try {
      const keys = Array.from({ length: options.keys }, (_, i) => `r${round}-k${i}`);
      for (const key of keys) {
        if ((await increment(direct, key)) !== 1) throw new Error(`${key} did not open at 1`);
        if ((await increment(direct, key)) !== 2) throw new Error(`${key} did not go on at 2`);
      }
      const upstream = treePids(victim.pid).filter((pid) => pid !== victim.pid);
      // Anywhere in the renewal cycle: the time left on the leases depends on it.
      await sleep(Math.random() * (options.leaseMs / 3));
      const t0 = performance.now();
      victim.child.kill('SIGKILL');
      const deadline = t0 + 3 * options.leaseMs + 15_000;
      const exited = victim.exited.then(() => performance.now() - t0);
      const reaped = waitGone(upstream, options.leaseMs + 15_000).then((left) => ({
        ms: performance.now() - t0,
        left: left.length,
      }));
      const seen = await Promise.all(keys.map((key) => watchLoss(survivors, key, t0, deadline)));
      rounds.push({
        round,
        exitedMs: await exited,
        upstreamProcesses: upstream.length,
        reaped: await reaped,
        keys: seen,
      });
    } finally {
      await Promise.all([...survivors, direct].map((c) => c.close().catch(() => {})));
    }
    // An orchestrator replaces it: the next round kills the oldest of the three.
    replicas.push(await startReplica(config));
  }
  return { rounds };
}

async function phaseThroughput(redis) {
  const config = writeConfig('cluster', redis);
  const replicas = await Promise.all(Array.from({ length: options.replicas }, () => startReplica(config)));
  let proxy;
  if (options.via === 'proxy') {
    const script = fileURLToPath(new URL('./servers/round-robin.mjs', import.meta.url));
    proxy = await startProcess(
      'round-robin',
      process.execPath,
      [script, ...replicas.map((r) => r.url.href)],
      /round-robin: serving (\S+)/,
    );
  }
  const urlOf = (i) => (proxy ? new URL(proxy.match[1]) : replicas[i % replicas.length].url);
  const clients = [];
  try {
    for (let i = 0; i < options.clients; i += 10)
      clients.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, options.clients - i) }, (_, j) => connect(urlOf(i + j))),
        )),
      );
    const keys = clients.map((_, i) => `load-${i}`);
    const checks = keys.map((key) => counter(key));
    // Each conversation opens (and its upstream process starts), ten at a time.
    for (let i = 0; i < clients.length; i += 10)
      await Promise.all(
        clients.slice(i, i + 10).map(async (c, j) => checks[i + j](await increment(c, keys[i + j]))),
      );
    const loop = async (i, until, latencies) => {
      let n = 0;
      while (performance.now() < until) {
        const start = performance.now();
        checks[i](await increment(clients[i], keys[i]));
        latencies?.push((performance.now() - start) * 1000);
        n += 1;
      }
      return n;
    };
    const warmUntil = performance.now() + options.loadWarmSeconds * 1000;
    await Promise.all(clients.map((_, i) => loop(i, warmUntil)));
    const roots = [...replicas.map((r) => r.pid), ...(proxy ? [proxy.pid] : [])];
    const cpu = () => ({
      client: cpuSeconds(),
      replicas: replicas.reduce((sum, r) => sum + treeCpuSeconds(r.pid), 0),
      proxy: proxy ? treeCpuSeconds(proxy.pid) : 0,
      redis: treeCpuSeconds(redis.pid),
    });
    const latencies = [];
    const before = cpu();
    const start = performance.now();
    const counts = await Promise.all(
      clients.map((_, i) => loop(i, start + options.loadSeconds * 1000, latencies)),
    );
    const seconds = (performance.now() - start) / 1000;
    const after = cpu();
    const calls = counts.reduce((a, b) => a + b, 0);
    const load = latencySummary(latencies);
    const perCall = (k) => ((after[k] - before[k]) * 1e6) / calls;
    return {
      upstreamProcesses: roots.reduce((sum, pid) => sum + treePids(pid).length - 1, 0),
      throughput: {
        clients: clients.length,
        calls,
        seconds,
        callsPerSec: calls / seconds,
        p50Us: load.p50,
        p99Us: load.p99,
        slowestClientCalls: Math.min(...counts),
        cpuPerCall: {
          client: perCall('client'),
          replicas: perCall('replicas'),
          proxy: perCall('proxy'),
          redis: perCall('redis'),
        },
      },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
}

// ---------------------------------------------------------------------------------------------

const phases = { forward: phaseForward, death: phaseDeath, throughput: phaseThroughput };
let result = { phase: options.phase, leaseMs: options.leaseMs };
let redis;
try {
  redis = await startRedis();
  Object.assign(result, await phases[options.phase](redis));
} catch (error) {
  result.error = String(error?.stack ?? error);
} finally {
  // Replicas first (the last one to leave removes the cluster's keys), then the balancer.
  const others = started.filter((p) => p !== redis);
  const stops = await Promise.all(others.map((p) => stopProcess(p)));
  result.stops = others.map((p, i) => `${p.name}: ${stops[i]}`);
  if (redis) {
    try {
      result.redisKeysLeft = Number((await redisCommand(redis.port, ['DBSIZE'])).slice(1));
    } catch (error) {
      result.redisKeysLeft = `unknown: ${error.message}`;
    }
    await stopProcess(redis);
  }
  const left = taggedPids(options.tag);
  result.processesLeft = left.length;
  if (left.length) await killAll(null, options.tag, left).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
// For lib/child.mjs: CPU this process and the processes it started (all reaped now) used, so that
// what other processes took meanwhile can be told.
result.cpuSeconds = { worker: cpuSeconds(), server: reapedChildrenCpuSeconds(process.pid) };
if (process.send) process.send({ ok: true, result }, () => process.disconnect());
else console.log(JSON.stringify(result, null, 2));
