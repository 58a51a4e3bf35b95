/**
 * The soak, in a fresh process (started by soak.mjs with `fork`):
 *
 *   node bench/soak-worker.mjs '<options JSON>'
 *   options: { seconds, lanes, killEveryMs }
 *
 * Starts a berth host (from ../dist) with six copies of bench/servers/echo-server.mjs: two `shared`,
 * two `keyed` (calls spread over a few keys), two `per-call` with `prewarm: 1`, all with a restart
 * policy loose enough that no circuit opens. For `seconds` it keeps `lanes` calls going (each lane
 * makes one call at a time, against one server, alternating at random between `echo`, unannotated,
 * and `echo_readonly`, annotated `readOnlyHint`) and checks every reply carries its own payload.
 * Meanwhile, every `killEveryMs` it SIGKILLs one live server process from `host.status()`: the
 * scopes take turns (shared, keyed, per-call; a scope with no live pid is skipped), then a random
 * server of that scope and a random one of its pids. It samples the host's RSS every 100 ms.
 *
 * At the end it stops the load and the kills, waits for the calls in flight, closes the host, and
 * looks for survivors: any live echo server among this process's children, any pid berth ever
 * reported that is still an echo server, any live process in those pids' process groups. It never
 * calls process.exit: a leaked handle keeps it alive and the runner reports it.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHost } from '../dist/index.js';
import { liveProcesses, reapedChildrenCpuSeconds } from './lib/environment.mjs';
import { latencySummary } from './lib/stats.mjs';

const SERVER = fileURLToPath(new URL('./servers/echo-server.mjs', import.meta.url));
const { seconds, lanes, killEveryMs } = JSON.parse(process.argv[2]);

const RESTART = { maxRestarts: 1000, initialDelayMs: 50, maxDelayMs: 1000 };
const SCOPES = {
  shared1: { session: 'shared' },
  shared2: { session: 'shared' },
  keyed1: { session: 'keyed' },
  keyed2: { session: 'keyed' },
  percall1: { session: 'per-call', prewarm: 1 },
  percall2: { session: 'per-call', prewarm: 1 },
};
const KEYS = ['a', 'b', 'c'];
/**
 * Lanes: one per per-call server, pausing this long between calls so its prewarmed session is
 * usually ready again (every call costs a process start, ~0.15 s of CPU: back to back, those lanes
 * would keep a core busy spawning); the other lanes are split evenly over the shared and keyed servers.
 */
const PER_CALL_PAUSE_MS = 500;
const CALL_TIMEOUT_MS = 10_000;

const scopeOf = (server) => SCOPES[server].session;
const count = (map, key, n = 1) => map.set(key, (map.get(key) ?? 0) + n);

/** The live server pids in a status snapshot, with their server, scope and whether a call is on them. */
function livePids(status) {
  const pids = [];
  for (const row of status) {
    const sessions = row.sessions ?? [];
    if (row.pid !== undefined && !sessions.some((s) => s.pid === row.pid))
      pids.push({ server: row.name, scope: row.scope, pid: row.pid, busy: false });
    for (const s of sessions)
      if (s.pid !== undefined)
        pids.push({ server: row.name, scope: row.scope, pid: s.pid, busy: s.inFlight > 0 });
  }
  return pids;
}

/** Echo servers and members of their process groups still alive (after close, there must be none). */
function survivors(seenPids) {
  const all = liveProcesses();
  if (all === null) return null;
  return all.filter(
    (p) =>
      (p.cmdline.includes(SERVER) && (p.ppid === process.pid || seenPids.has(p.pid))) || seenPids.has(p.pgrp),
  );
}

async function soak() {
  const events = new Map();
  const restartsScheduled = new Map();
  const sessionsOpened = new Map();
  const sessionsClosed = new Map();
  const host = await createHost(
    {
      mcpServers: Object.fromEntries(
        Object.entries(SCOPES).map(([name, scope]) => [
          name,
          { command: process.execPath, args: [SERVER], restart: RESTART, ...scope },
        ]),
      ),
    },
    {
      onEvent: (event) => {
        count(events, event.type);
        if (event.type === 'server:restart-scheduled') count(restartsScheduled, event.server);
        if (event.type === 'session:opened') count(sessionsOpened, event.server);
        if (event.type === 'session:closed') count(sessionsClosed, `${event.server}: ${event.reason}`);
      },
    },
  );
  // Count every attempt berth makes at a tools/call (each passes the interceptors), per tool and per
  // call (by its payload): more attempts than calls means a call was tried again after its session
  // was lost (retried).
  const attempts = new Map();
  const attemptsOfCall = new Map();
  host.use((ctx, next) => {
    count(attempts, ctx.name);
    count(attemptsOfCall, ctx.params.arguments.value);
    return next();
  });

  const notReady = host.status().filter((s) => s.state !== 'ready');
  if (notReady.length > 0) {
    await host.close();
    throw new Error(`servers not ready: ${JSON.stringify(notReady)}`);
  }

  // Every pid berth reports, and the host's RSS, sampled every 100 ms.
  const seenPids = new Set();
  const rss = { start: process.memoryUsage().rss, peak: 0, samples: 0, per10s: [] };
  const sampledFrom = performance.now();
  let closing = false;
  const sample = () => {
    const now = process.memoryUsage().rss;
    rss.peak = Math.max(rss.peak, now);
    const window = Math.floor((performance.now() - sampledFrom) / 10_000);
    rss.per10s[window] = Math.max(rss.per10s[window] ?? 0, now / 2 ** 20);
    rss.samples += 1;
    if (!closing) for (const { pid } of livePids(host.status())) seenPids.add(pid);
  };
  const sampler = setInterval(sample, 100);
  sample();

  // The load: each lane makes one call at a time against its server, until `stopAt`.
  const servers = Object.keys(SCOPES);
  const busyServers = servers.filter((s) => scopeOf(s) !== 'per-call');
  const laneServers = [
    ...servers.filter((s) => scopeOf(s) === 'per-call'),
    ...Array.from({ length: lanes - 2 }, (_, i) => busyServers[i % busyServers.length]),
  ];
  const calls = { ok: 0, wrongPayload: 0, toolError: 0, failed: 0, byTool: new Map() };
  const latencies = { shared: [], keyed: [], 'per-call': [] }; // ms, calls that returned
  const errors = new Map(); // "code (Class) | scope | tool | attempts" → count
  const errorSamples = new Map(); // code → one message
  const startedAt = performance.now();
  const stopAt = startedAt + seconds * 1000;
  const perWindow = []; // calls finished per 10 s of the run
  let serial = 0;
  const lane = async (server) => {
    while (performance.now() < stopAt) {
      const tool = Math.random() < 0.5 ? 'echo' : 'echo_readonly';
      const value = `${server}-${serial++}-${Math.random().toString(36).slice(2)}`;
      const key = scopeOf(server) === 'keyed' ? KEYS[Math.floor(Math.random() * KEYS.length)] : undefined;
      count(calls.byTool, `${server}__${tool}`);
      const started = performance.now();
      try {
        const result = await host.callTool(
          `${server}__${tool}`,
          { value },
          { key, timeoutMs: CALL_TIMEOUT_MS },
        );
        if (result.isError) calls.toolError += 1;
        else if (result.content?.[0]?.text !== value) calls.wrongPayload += 1;
        else calls.ok += 1;
        latencies[scopeOf(server)].push(performance.now() - started);
      } catch (error) {
        calls.failed += 1;
        const code = `${error?.code ?? 'no code'} (${error?.name ?? typeof error})`;
        count(errors, `${code} | ${scopeOf(server)} | ${tool} | ${attemptsOfCall.get(value) ?? 0}`);
        if (!errorSamples.has(code)) errorSamples.set(code, String(error?.message).split('\n')[0]);
      }
      attemptsOfCall.delete(value);
      const window = Math.floor((performance.now() - startedAt) / 10_000);
      perWindow[window] = (perWindow[window] ?? 0) + 1;
      if (scopeOf(server) === 'per-call') await sleep(PER_CALL_PAUSE_MS);
    }
  };

  // The kills: every `killEveryMs`, one live process; the scopes take turns.
  const kills = { sent: 0, busy: 0, byScope: new Map() };
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  const killer = async () => {
    const turns = Object.keys(latencies);
    for (let next = startedAt + killEveryMs, turn = 0; next < stopAt; next += killEveryMs) {
      await sleep(Math.max(0, next - performance.now()));
      const pids = livePids(host.status());
      const scope = turns
        .map((_, i) => turns[(turn + i) % turns.length])
        .find((t) => pids.some((p) => p.scope === t));
      if (!scope) continue;
      turn = turns.indexOf(scope) + 1;
      const server = pick([...new Set(pids.filter((p) => p.scope === scope).map((p) => p.server))]);
      const mine = pids.filter((p) => p.server === server);
      const victim = pick(mine);
      seenPids.add(victim.pid);
      try {
        process.kill(victim.pid, 'SIGKILL');
        kills.sent += 1;
        if (victim.busy) kills.busy += 1;
        count(kills.byScope, victim.scope);
      } catch {
        // it exited between status() and kill()
      }
    }
  };

  await Promise.all([killer(), ...laneServers.map(lane)]);
  const duration = (performance.now() - startedAt) / 1000;
  const statusAtEnd = host.status().map((s) => ({
    name: s.name,
    scope: s.scope,
    state: s.state,
    restarts: s.restarts,
    sessions: s.sessions?.length ?? 0,
    lastError: s.lastError?.code,
  }));
  sample();
  const rssBeforeClose = process.memoryUsage().rss;

  closing = true;
  const closeStarted = performance.now();
  await host.close();
  const closeMs = performance.now() - closeStarted;
  const left = survivors(seenPids);
  clearInterval(sampler);
  sample();
  const rssEnd = process.memoryUsage().rss;

  const own = process.cpuUsage();
  const sum = (map) => [...map.values()].reduce((a, b) => a + b, 0);
  const callsDone = calls.ok + calls.wrongPayload + calls.toolError + calls.failed;
  const retried = [...attempts].map(([name, n]) => [name, n - (calls.byTool.get(name) ?? 0)]);
  return {
    options: {
      seconds,
      lanes,
      killEveryMs,
      perCallPauseMs: PER_CALL_PAUSE_MS,
      callTimeoutMs: CALL_TIMEOUT_MS,
    },
    servers: Object.fromEntries(
      Object.entries(SCOPES).map(([name, s]) => [name, { ...s, restart: RESTART }]),
    ),
    lanes: Object.fromEntries(servers.map((s) => [s, laneServers.filter((l) => l === s).length])),
    durationSeconds: duration,
    calls: {
      done: callsDone,
      perSecond: callsDone / duration,
      ok: calls.ok,
      wrongPayload: calls.wrongPayload,
      toolError: calls.toolError,
      failed: calls.failed,
      per10s: perWindow,
    },
    latencyMs: Object.fromEntries(
      Object.entries(latencies).map(([scope, ms]) => [scope, { calls: ms.length, ...latencySummary(ms) }]),
    ),
    errors: Object.fromEntries([...errors].sort()),
    errorSamples: Object.fromEntries(errorSamples),
    // Attempts beyond calls, per tool: calls berth tried a second time after their session was lost.
    resent: Object.fromEntries(retried.filter(([, n]) => n !== 0)),
    kills: { sent: kills.sent, busy: kills.busy, byScope: Object.fromEntries(kills.byScope) },
    restarts: {
      statusSum: statusAtEnd.reduce((n, s) => n + s.restarts, 0),
      scheduledEvents: sum(restartsScheduled),
      scheduledByServer: Object.fromEntries(restartsScheduled),
    },
    sessions: {
      opened: Object.fromEntries(sessionsOpened),
      closed: Object.fromEntries(sessionsClosed),
    },
    events: Object.fromEntries(events),
    statusAtEnd,
    rssMiB: {
      start: rss.start / 2 ** 20,
      peak: rss.peak / 2 ** 20,
      beforeClose: rssBeforeClose / 2 ** 20,
      end: rssEnd / 2 ** 20,
      samples: rss.samples,
      peakPer10s: rss.per10s,
    },
    closeMs,
    pidsSeen: seenPids.size,
    survivors: left === null ? null : left.length,
    survivorList: left?.map((p) => `${p.pid} (pgrp ${p.pgrp}, ppid ${p.ppid}): ${p.cmdline}`),
    cpuSeconds: { worker: (own.user + own.system) / 1e6, server: reapedChildrenCpuSeconds(process.pid) },
  };
}

try {
  process.send({ ok: true, result: await soak() }, () => process.disconnect());
} catch (error) {
  process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.disconnect());
}
