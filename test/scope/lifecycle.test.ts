/**
 * Lifecycle of the scopes whose sessions come and go (keyed, per-call), against real processes
 * counted by pid: sessions that die on their own are restarted under the server's restart policy
 * (backoff, limit, `failed`, recovery by `restart()`), `close()` leaves nothing running whatever it
 * races with, and callers waiting for a session are released by `close()` at once.
 */
import { describe, expect, it } from 'vitest';
import { createHost, SessionClosedError } from '../../src/index.js';
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
