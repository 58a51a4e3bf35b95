/**
 * Lifecycle of the scopes whose sessions come and go (keyed, per-call), against real processes
 * counted by pid: sessions that die on their own are restarted under the server's restart policy
 * (backoff, limit, `failed`, recovery by `restart()`), `close()` leaves nothing running whatever it
 * races with, and callers waiting for a session are released by `close()` at once.
 */
import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CallTimeoutError,
  createHost,
  ServerError,
  ServerUnavailableError,
  SessionClosedError,
  type HostEvent,
} from '../../src/index.js';
import { INLINE_SOURCE, resolveConfig } from '../../src/config/load.js';
import { createRuntime, isNotSent, requestOnCurrent, type ServerRuntime } from '../../src/scope/index.js';
import type { SessionHandle } from '../../src/session/handle.js';
import { Deadline } from '../../src/util/deadline.js';
import { alive, FIXTURE, fixture, pidFile, text, waitFor, hostFixture } from '../helpers.js';

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'berth-lifecycle-')), name);
}

/** A fixture entry whose every start fails (exit 5 before the handshake) while `crashFile` exists. */
function crashable(crashFile: string, pids: { path: string }, extra: Record<string, unknown>) {
  return {
    command: process.execPath,
    args: [FIXTURE],
    env: { FIXTURE_PID_FILE: pids.path, FIXTURE_CRASH_FILE: crashFile },
    ...extra,
  };
}

type Scheduled = Extract<HostEvent, { type: 'server:restart-scheduled' }>;
const scheduled = (events: HostEvent[]) =>
  events.filter((e): e is Scheduled => e.type === 'server:restart-scheduled');
const states = (events: HostEvent[]) => events.flatMap((e) => (e.type === 'server:state' ? [e.state] : []));

/**
 * How many server processes recorded their pid, once none has been added for `quietMs`: a process
 * spawned before a moment may record its pid after it (its Node still booting, on a loaded machine).
 */
async function settledCount(pids: { pids(role: string): number[] }, quietMs = 1_500): Promise<number> {
  let count = pids.pids('server').length;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = pids.pids('server').length;
    if (now === count) return count;
    count = now;
  }
}

describe('respawn storms', () => {
  it('per-call prewarm 2, every process exits 600 ms after starting: backoff, restart events, then failed', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    const restart = { maxRestarts: 3, initialDelayMs: 100, maxDelayMs: 400 };
    const host = await createHost(
      {
        mcpServers: {
          // 600 ms: long enough for the listing probe to finish its handshake on a loaded machine.
          p: fixture(['--exit-after=600'], { session: 'per-call', prewarm: 2, restart }, pids),
        },
      },
      { onEvent: (event) => void events.push(event) },
    );
    try {
      expect(await waitFor(() => host.status()[0]?.state === 'failed', 15_000)).toBe(true);
      const restarts = scheduled(events);
      expect(restarts.map((e) => e.attempt)).toEqual([1, 2, 3]);
      for (const { attempt, delayMs } of restarts) {
        const ceiling = Math.min(400, 100 * 2 ** (attempt - 1));
        expect(delayMs).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delayMs).toBeLessThanOrEqual(ceiling);
      }
      expect(states(events)).toContain('restarting');
      // The probe, one start per counted failure, and the rest of the pool once a start succeeded.
      expect(await waitFor(() => host.status()[0]?.sessions?.length === 0)).toBe(true);
      const spawned = await settledCount(pids);
      expect(spawned).toBeLessThanOrEqual(1 + 4 + 1);
      const refused = await host.callTool('p__get').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ServerUnavailableError);
      expect((refused as Error).message).toMatch(/is failed: .*exit/);
      expect(await settledCount(pids)).toBe(spawned); // a failed per-call server spawns nothing
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });

  it('per-call: a pool whose starts keep failing is failed after the limit, and restart() brings it back', async () => {
    const pids = pidFile();
    const crash = tempFile('crash');
    const events: HostEvent[] = [];
    const restart = { maxRestarts: 2, initialDelayMs: 50, maxDelayMs: 200 };
    const host = await createHost(
      { mcpServers: { p: crashable(crash, pids, { session: 'per-call', prewarm: 1, restart }) } },
      { onEvent: (event) => void events.push(event) },
    );
    try {
      expect(host.status()[0]?.state).toBe('ready');
      writeFileSync(crash, '');
      const [pooled] = pids.pids('server');
      process.kill(pooled!, 'SIGKILL');
      expect(await waitFor(() => host.status()[0]?.state === 'failed', 10_000)).toBe(true);
      expect(scheduled(events).map((e) => e.attempt)).toEqual([1, 2]);
      expect(host.status()[0]?.lastError?.message).toMatch(/exit code 5/);
      const spawned = pids.count('server');
      expect(spawned).toBeLessThanOrEqual(1 + 3);
      await expect(host.callTool('p__get')).rejects.toBeInstanceOf(ServerUnavailableError);
      expect(pids.count('server')).toBe(spawned);

      rmSync(crash);
      await host.restart('p');
      expect(host.status()[0]?.state).toBe('ready');
      expect(text(await host.callTool('p__increment'))).toBe('1');
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });

  it('per-call without prewarm: a call whose session fails to start waits out the backoff for the next', async () => {
    const pids = pidFile();
    const crash = tempFile('crash');
    const events: HostEvent[] = [];
    const restart = { maxRestarts: 5, initialDelayMs: 300, maxDelayMs: 300 };
    const host = await createHost(
      { mcpServers: { p: crashable(crash, pids, { session: 'per-call', restart }) } },
      {
        onEvent: (event) => {
          events.push(event);
          // The server recovers as soon as its first failure is noticed.
          if (event.type === 'server:restart-scheduled') rmSync(crash, { force: true });
        },
      },
    );
    try {
      writeFileSync(crash, '');
      const started = Date.now();
      expect(text(await host.callTool('p__get'))).toBe('0');
      const elapsed = Date.now() - started;
      const [first, ...more] = scheduled(events);
      expect(first?.attempt).toBe(1);
      expect(more).toEqual([]);
      expect(elapsed).toBeGreaterThanOrEqual(first!.delayMs);
      expect(states(events)).toEqual(['starting', 'ready', 'restarting', 'ready']);
      expect(pids.count('server')).toBe(3); // the probe, the failed start, the one that served
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });

  it('keyed: new sessions that keep failing to start back off, then the server is failed; live keys still work', async () => {
    const pids = pidFile();
    const crash = tempFile('crash');
    const events: HostEvent[] = [];
    const restart = { maxRestarts: 2, initialDelayMs: 50, maxDelayMs: 200 };
    const host = await createHost(
      { mcpServers: { k: crashable(crash, pids, { session: 'keyed', restart }) } },
      { onEvent: (event) => void events.push(event) },
    );
    try {
      expect(text(await host.callTool('k__increment', {}, { key: 'live' }))).toBe('1');
      writeFileSync(crash, '');
      // The call waits through the backoff for each next start, until the limit fails the server.
      const refused = await host.callTool('k__get', {}, { key: 'new-0' }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ServerUnavailableError);
      expect((refused as Error).message).toMatch(/is failed: .*exit code 5/);
      expect(host.status()[0]?.state).toBe('failed');
      expect(scheduled(events).map((e) => e.attempt)).toEqual([1, 2]);
      const spawned = pids.count('server');
      expect(spawned).toBe(1 + 3); // the probe (now "live"), then three failed starts
      await expect(host.callTool('k__get', {}, { key: 'new-1' })).rejects.toThrow(/is failed/);
      expect(pids.count('server')).toBe(spawned); // refused without a spawn
      expect(text(await host.callTool('k__get', {}, { key: 'live' }))).toBe('1');

      rmSync(crash);
      await host.restart('k');
      expect(host.status()[0]?.state).toBe('ready');
      expect(text(await host.callTool('k__get', {}, { key: 'new-4' }))).toBe('0');
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('close() racing a restart', () => {
  for (const session of ['shared', 'keyed', 'per-call'] as const) {
    it(`${session}, a server that ignores SIGTERM: restart() then close(): nothing is left running`, async () => {
      const pids = pidFile();
      const host = await createHost({
        mcpServers: { s: fixture(['--ignore-sigterm'], { session, prewarm: 1, termGraceMs: 300 }, pids) },
      });
      expect(pids.pids('server')).toHaveLength(1);
      const restarting = host.restart('s').catch((error: unknown) => error);
      await host.close();
      expect(alive(pids.pids())).toEqual([]);
      await restarting;
      expect(alive(pids.pids())).toEqual([]);
      expect(pids.pids('server')).toHaveLength(1); // nothing was started after close() began
    });
  }
});

describe('per-call sessions are retired however a restart races them', () => {
  it('a pooled session that dies just as restart() begins is still retired: every opened session is closed', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    let restarting: Promise<void> | undefined;
    const host = await createHost(
      { mcpServers: { p: fixture([], { session: 'per-call', prewarm: 1 }, pids) } },
      {
        onEvent: (event) => {
          events.push(event);
          // Restart in the same turn as the pooled session's death is noticed.
          if (event.type === 'server:restart-scheduled') restarting ??= host.restart('p');
        },
      },
    );
    try {
      const [pooled] = pids.pids('server');
      process.kill(pooled!, 'SIGKILL');
      expect(await waitFor(() => restarting !== undefined)).toBe(true);
      await restarting;
      expect(host.status()[0]?.state).toBe('ready');
      expect(text(await host.callTool('p__increment'))).toBe('1');
    } finally {
      await host.close();
    }
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect(count('session:closed')).toBe(count('session:opened'));
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('close() cuts a drain short', () => {
  it('keyed: close() during closeKey()’s drain closes at once; the call in flight is cut', async () => {
    const host = await createHost({ mcpServers: { k: fixture([], { session: 'keyed' }) } });
    const call = host
      .callTool('k__sleep', { ms: 10_000 }, { key: 'a', timeoutMs: 30_000 })
      .catch((error: unknown) => error);
    expect(await waitFor(() => host.status()[0]?.sessions?.[0]?.inFlight === 1)).toBe(true);
    const draining = host.closeKey('a');
    const started = Date.now();
    await host.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    await draining;
    expect(await call).toBeInstanceOf(SessionClosedError);
  });
});

describe('keyed slot waiters', () => {
  it('close() releases a caller waiting for a slot at once, with the reason', async () => {
    const host = await createHost({
      mcpServers: { k: fixture([], { session: 'keyed', maxSessions: 2 }) },
    });
    const long = { ms: 10_000 };
    const calls = ['a', 'b'].map((key) =>
      host.callTool('k__sleep', long, { key, timeoutMs: 30_000 }).catch((error: unknown) => error),
    );
    expect(
      await waitFor(() => (host.status()[0]?.sessions ?? []).filter((s) => s.inFlight > 0).length === 2),
    ).toBe(true);
    const waiting = host
      .callTool('k__sleep', long, { key: 'c', timeoutMs: 30_000 })
      .catch((error: unknown) => error);
    const started = Date.now();
    await host.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    const error = await waiting;
    expect(error).toBeInstanceOf(SessionClosedError);
    expect((error as SessionClosedError).reason).toMatch(/host closed/);
    for (const call of calls) expect(await call).toBeInstanceOf(SessionClosedError);
  });
});

/** A runtime of its own, outside any host, for `entry`. */
function runtimeFor(entry: Record<string, unknown>): ServerRuntime {
  const spec = resolveConfig({ mcpServers: { k: entry } }, INLINE_SOURCE).servers[0]!;
  return createRuntime(spec, {
    clientInfo: { name: 'lifecycle-test', version: '0' },
    observer: { onState() {}, onListing() {}, onRestartScheduled() {}, onSession() {} },
  });
}

const sleep =
  (ms: number) =>
  (session: SessionHandle, timeout: number): Promise<{ content?: unknown }> =>
    session.callTool({ name: 'sleep', arguments: { ms } }, { timeout });

describe('keyed eviction', () => {
  it('evicts one session per slot needed, even when another goes idle while the first closes', async () => {
    const pids = pidFile();
    // Ignoring SIGTERM makes each close take a while (until SIGKILL after termGraceMs).
    const host = await createHost({
      mcpServers: {
        k: fixture(['--ignore-sigterm'], { session: 'keyed', maxSessions: 2, termGraceMs: 2_000 }, pids),
      },
    });
    try {
      const a = Number(text(await host.callTool('k__pid', {}, { key: 'a' })));
      const b = Number(text(await host.callTool('k__pid', {}, { key: 'b' })));
      // a is busy once both sessions are open (so however long b's start takes, a is still busy when
      // c asks for a slot), and goes idle 1.5 s later, while b (ignoring SIGTERM) is still closing.
      const busy = host.callTool('k__sleep', { ms: 1_500 }, { key: 'a' });
      const sessionA = () => host.status()[0]!.sessions?.find((s) => s.key === 'a');
      expect(await waitFor(() => sessionA()?.inFlight === 1)).toBe(true);
      // c needs one slot: b (the only idle session) is evicted; a goes idle while b is still closing.
      const c = Number(text(await host.callTool('k__pid', {}, { key: 'c' })));
      await busy;
      expect(alive([b])).toEqual([]);
      expect(alive([a, c])).toEqual([a, c]);
      expect(Number(text(await host.callTool('k__pid', {}, { key: 'a' })))).toBe(a); // a kept its session
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('keyed slot waiters on replace', () => {
  it('the draining runtime refuses a slot waiter unsent at once; it completes on the successor', async () => {
    const pids = pidFile();
    const entry = fixture([], { session: 'keyed', maxSessions: 2 }, pids);
    const old = runtimeFor(entry);
    const next = runtimeFor(entry);
    old.start();
    next.start();
    await Promise.all([old.settled(), next.settled()]);
    try {
      let busyDone = false;
      const busy = Promise.all(
        ['a', 'b'].map((key) => old.request(sleep(3_000), { key, deadline: Deadline.in(30_000) })),
      ).finally(() => (busyDone = true));
      expect(await waitFor(() => old.sessions().filter((s) => s.inFlight > 0).length === 2)).toBe(true);
      let current = old;
      const direct = old
        .request(sleep(10), { key: 'c', deadline: Deadline.in(30_000) })
        .catch((e: unknown) => e);
      const carried = requestOnCurrent(old, () => current, sleep(10), {
        key: 'd',
        deadline: Deadline.in(30_000),
      });
      current = next;
      const closing = old.close('server replaced', { drain: true });

      const refused = await direct;
      expect(refused).toBeInstanceOf(SessionClosedError);
      expect(isNotSent(refused)).toBe(true);
      expect((refused as SessionClosedError).reason).toBe('server replaced');
      expect(text(await carried)).toBe('slept 10');
      expect(busyDone).toBe(false); // neither waited for the busy calls
      expect(next.sessions().map((s) => s.key)).toContain('d');
      // The busy calls complete on the old runtime (drained), then its processes are gone.
      expect((await busy).map(text)).toEqual(['slept 3000', 'slept 3000']);
      await closing;
    } finally {
      await Promise.all([old.close('test over'), next.close('test over')]);
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('keyed slot waiters on host.replace()', () => {
  it('a caller waiting for a slot completes on the new server; the busy calls drain on the old', async () => {
    const entry = fixture([], { session: 'keyed', maxSessions: 2 });
    await using fx = await hostFixture({ k: entry });
    const { host } = fx;
    const busy = ['a', 'b'].map((key) =>
      host.callTool('k__sleep', { ms: 2_000 }, { key, timeoutMs: 30_000 }),
    );
    expect(
      await waitFor(() => (host.status()[0]?.sessions ?? []).filter((s) => s.inFlight > 0).length === 2),
    ).toBe(true);
    const waiting = host.callTool('k__sleep', { ms: 10 }, { key: 'c', timeoutMs: 30_000 });
    await host.replace('k', { ...entry, args: [...entry.args, '--name=k2'] });
    expect(text(await waiting)).toBe('slept 10');
    expect((await Promise.all(busy)).map(text)).toEqual(['slept 2000', 'slept 2000']);
  });
});

describe('dead keyed sessions', () => {
  it('maxRestarts 0: a key whose session crashed gets a new session on its next call', async () => {
    await using fx = await hostFixture({ k: fixture([], { session: 'keyed', restart: { maxRestarts: 0 } }) });
    const { host } = fx;
    const first = Number(text(await host.callTool('k__pid', {}, { key: 'a' })));
    expect(text(await host.callTool('k__increment', {}, { key: 'b' }))).toBe('1');
    await expect(host.callTool('k__crash', {}, { key: 'a' })).rejects.toBeInstanceOf(ServerError);
    const second = Number(text(await host.callTool('k__pid', {}, { key: 'a' })));
    expect(second).not.toBe(first);
    expect(text(await host.callTool('k__get', {}, { key: 'a' }))).toBe('0');
    expect(text(await host.callTool('k__get', {}, { key: 'b' }))).toBe('1');
    expect(host.status()[0]?.state).toBe('ready');
    expect(
      host
        .status()[0]
        ?.sessions?.map((s) => s.key)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it('a dead session is retired without waiting for its idle timeout, freeing its slot', async () => {
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { k: fixture([], { session: 'keyed', maxSessions: 2, restart: { maxRestarts: 0 } }) } },
      { onEvent: (event) => void events.push(event) },
    );
    try {
      await host.callTool('k__get', {}, { key: 'a' });
      await host.callTool('k__get', {}, { key: 'b' });
      await expect(host.callTool('k__crash', {}, { key: 'a' })).rejects.toBeInstanceOf(ServerError);
      const retired = (e: HostEvent) =>
        e.type === 'session:closed' && e.key === 'a' && e.reason === 'session died';
      expect(await waitFor(() => events.some(retired))).toBe(true);
      expect(host.status()[0]?.sessions?.map((s) => s.key)).toEqual(['b']);
    } finally {
      await host.close();
    }
  });
});

describe('every wait keeps the caller’s own deadline', () => {
  it('keyed: a caller waiting on another caller’s opening of its key times out on its own deadline', async () => {
    const host = await createHost({
      mcpServers: { k: fixture([], { session: 'keyed', maxSessions: 1 }) },
    });
    try {
      await host.callTool('k__get', {}, { key: 'a' });
      let busyDone = false;
      const busy = host
        .callTool('k__sleep', { ms: 3_000 }, { key: 'a', timeoutMs: 30_000 })
        .finally(() => (busyDone = true));
      expect(await waitFor(() => host.status()[0]?.sessions?.[0]?.inFlight === 1)).toBe(true);
      // The first caller of key b waits for the slot (30 s); the second waits for that opening.
      const patient = host.callTool('k__get', {}, { key: 'b', timeoutMs: 30_000 });
      const hasty = await host
        .callTool('k__get', {}, { key: 'b', timeoutMs: 300 })
        .catch((error: unknown) => error);
      expect(hasty).toBeInstanceOf(CallTimeoutError);
      expect((hasty as CallTimeoutError).sent).toBe(false);
      expect(busyDone).toBe(false);
      await busy;
      expect(text(await patient)).toBe('0');
    } finally {
      await host.close();
    }
  });
});
