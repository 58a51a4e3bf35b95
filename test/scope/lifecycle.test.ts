/**
 * Lifecycle of the scopes whose sessions come and go (keyed, per-call), against real processes
 * counted by pid: sessions that die on their own are restarted under the server's restart policy
 * (backoff, limit, `failed`, recovery by `restart()`), `close()` leaves nothing running whatever it
 * races with, and callers waiting for a session are released by `close()` at once.
 */
import { describe, expect, it } from 'vitest';
import { createHost, ServerError, SessionClosedError, type HostEvent } from '../../src/index.js';
import { INLINE_SOURCE, resolveConfig } from '../../src/config/load.js';
import { createRuntime, isNotSent, requestOnCurrent, type ServerRuntime } from '../../src/scope/index.js';
import type { Connection } from '../../src/session/connection.js';
import { alive, fixture, pidFile, text, waitFor } from '../helpers.js';

describe('close() racing a restart', () => {
  for (const session of ['keyed', 'per-call'] as const) {
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
  (connection: Connection, timeout: number): Promise<{ content?: unknown }> =>
    connection.client.callTool({ name: 'sleep', arguments: { ms } }, { timeout });

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
        ['a', 'b'].map((key) => old.request(sleep(3_000), { key, timeoutMs: 30_000 })),
      ).finally(() => (busyDone = true));
      expect(await waitFor(() => old.sessions().filter((s) => s.inFlight > 0).length === 2)).toBe(true);
      let current = old;
      const direct = old.request(sleep(10), { key: 'c', timeoutMs: 30_000 }).catch((e: unknown) => e);
      const carried = requestOnCurrent(old, () => current, sleep(10), { key: 'd', timeoutMs: 30_000 });
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

describe('dead keyed sessions', () => {
  it('maxRestarts 0: a key whose session crashed gets a new session on its next call', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { k: fixture([], { session: 'keyed', restart: { maxRestarts: 0 } }, pids) },
    });
    try {
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
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
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
