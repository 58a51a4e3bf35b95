/**
 * The keyed scope's limits, with real processes counted by pid: the `maxSessions` cap holds under
 * 50 concurrent keys, idle sessions are retired, and neither eviction nor `closeKey` ever cuts a call
 * in flight.
 */
import { describe, expect, it } from 'vitest';
import { createHost, type HostEvent } from '../../src/index.js';
import { alive, fixture, hostFixture, pidFile, text, waitFor } from '../helpers.js';

describe('keyed sessions', () => {
  it('50 concurrent keys with maxSessions 8: never more than 8 live processes, no call fails', async () => {
    await using fx = await hostFixture({ k: fixture([], { session: 'keyed', maxSessions: 8 }) });
    const { host, pids } = fx;
    // The listing probe stays, as the spare session for the first key.
    expect(alive(pids.pids('server'))).toHaveLength(1);
    const [spare, ...others] = host.status()[0]?.sessions ?? [];
    expect(others).toEqual([]);
    expect(spare?.key).toBeUndefined();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, alive(pids.pids('server')).length)), 2);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        host.callTool('k__echo', { value: `key-${i}` }, { key: `key-${i}`, timeoutMs: 60_000 }).then(text),
      ),
    );
    clearInterval(sampler);
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => `key-${i}`));
    expect(pids.pids('server').length).toBe(50); // the probe became one key's session
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(8);
    expect(host.status()[0]?.sessions?.length).toBeLessThanOrEqual(8);
  }, 120_000);

  it('an idle session is retired with its process after idleTimeoutMs', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { k: fixture([], { session: 'keyed', idleTimeoutMs: 200 }, pids) } },
      { onEvent: (event) => void events.push(event) },
    );
    try {
      const pid = Number(text(await host.callTool('k__pid', {}, { key: 'conv' })));
      expect(alive([pid])).toEqual([pid]);
      expect(await waitFor(() => alive([pid]).length === 0, 5_000)).toBe(true);
      expect(host.status()[0]?.sessions).toEqual([]);
      const retired = (e: HostEvent) =>
        e.type === 'session:closed' && e.key === 'conv' && e.reason === 'idle timeout';
      expect(await waitFor(() => events.some(retired))).toBe(true);
      // The key simply gets a new session next time.
      expect(text(await host.callTool('k__get', {}, { key: 'conv' }))).toBe('0');
    } finally {
      await host.close();
    }
  });

  it('the listing probe serves the first key, or is retired after idleTimeoutMs if none comes', async () => {
    const used = pidFile();
    const unused = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      {
        mcpServers: {
          used: fixture([], { session: 'keyed' }, used),
          unused: fixture([], { session: 'keyed', idleTimeoutMs: 300 }, unused),
        },
      },
      { onEvent: (event) => void events.push(event) },
    );
    try {
      const [probe] = used.pids('server');
      expect(Number(text(await host.callTool('used__pid', {}, { key: 'first' })))).toBe(probe);
      expect(used.pids('server')).toEqual([probe]); // no second process for the first key
      const retired = (e: HostEvent) =>
        e.type === 'session:closed' && e.server === 'unused' && e.reason === 'idle timeout';
      expect(await waitFor(() => events.some(retired), 5_000)).toBe(true);
      expect(alive(unused.pids('server'))).toEqual([]);
      expect(host.status().find((s) => s.name === 'unused')?.sessions).toEqual([]);
    } finally {
      await host.close();
    }
  });

  it('concurrent restarts share one: no spare session is left without an owner', async () => {
    await using fx = await hostFixture({ k: fixture([], { session: 'keyed' }) });
    const { host, pids } = fx;
    await Promise.all([host.restart('k'), host.restart('k'), host.restart('k')]);
    expect(pids.pids('server')).toHaveLength(2); // the first probe, then one for the restart
    expect(await waitFor(() => alive(pids.pids('server')).length === 1)).toBe(true);
    expect(host.status()[0]?.sessions).toHaveLength(1);
  });

  it('closeKey while a call is in flight: the call completes, then the process is gone', async () => {
    await using fx = await hostFixture({ k: fixture([], { session: 'keyed' }) });
    const { host, pids } = fx;
    const pid = Number(text(await host.callTool('k__pid', {}, { key: 'conv' })));
    const call = host.callTool('k__sleep', { ms: 400 }, { key: 'conv' });
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true); // the call reached the server
    await host.closeKey('conv');
    expect(text(await call)).toBe('slept 400');
    expect(alive([pid])).toEqual([]);
  });

  it('eviction never closes a session with a call in flight: the new key waits for it', async () => {
    await using fx = await hostFixture({ k: fixture([], { session: 'keyed', maxSessions: 1 }) });
    const { host, pids } = fx;
    const first = Number(text(await host.callTool('k__pid', {}, { key: 'a' })));
    const busy = host.callTool('k__sleep', { ms: 400 }, { key: 'a' });
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true); // the call reached the server
    const other = host.callTool('k__pid', {}, { key: 'b' });
    expect(text(await busy)).toBe('slept 400');
    const second = Number(text(await other));
    expect(second).not.toBe(first);
    expect(alive([first])).toEqual([]);
    expect(host.status()[0]?.sessions?.map((s) => s.key)).toEqual(['b']);
  });
});

describe('per-call sessions with prewarm', () => {
  it('each call sees a never-used process; nothing outlives close()', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { p: fixture([], { session: 'per-call', prewarm: 2 }, pids) },
    });
    const served: string[] = [];
    try {
      const [probe] = pids.pids('server');
      for (let i = 0; i < 5; i++) {
        served.push(text(await host.callTool('p__pid')));
        expect(text(await host.callTool('p__increment'))).toBe('1');
      }
      expect(new Set(served).size).toBe(5);
      expect(Number(served[0])).toBe(probe); // the listing probe was the first prewarmed session
      // Prewarmed: by now the pool holds two ready sessions that have served nothing.
      expect(
        await waitFor(
          () => (host.status()[0]?.sessions ?? []).filter((s) => s.state === 'ready').length === 2,
        ),
      ).toBe(true);
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('per-call session events', () => {
  it('pair up: each session opened is closed once, even when the host closes during its call', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { p: fixture([], { session: 'per-call', prewarm: 1 }, pids) } },
      { onEvent: (event) => void events.push(event) },
    );
    const call = host.callTool('p__sleep', { ms: 300 }).catch((error: unknown) => error);
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true); // the call is in flight
    await host.close();
    await call;
    // The point of this pause is that nothing happens in it: a session:closed (or opened) event
    // scheduled late would show now. Bounded, and it can only add events, not hide them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(pids.pids())).toEqual([]);
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect(count('session:opened')).toBeGreaterThan(0);
    expect(count('session:closed')).toBe(count('session:opened'));
  });
});

describe('per-call prewarmed sessions that die while waiting', () => {
  it('are dropped from the pool and replaced; a later call never gets a dead one', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { p: fixture([], { session: 'per-call', prewarm: 1 }, pids) },
    });
    try {
      for (let round = 0; round < 3; round++) {
        expect(
          await waitFor(() => host.status()[0]?.sessions?.some((s) => s.state === 'ready') ?? false),
        ).toBe(true);
        const pooled = host.status()[0]!.sessions!.find((s) => s.state === 'ready')!.pid!;
        process.kill(pooled, 'SIGKILL');
        // Once its death is noticed, the dead session leaves the pool; the next call runs on a live one.
        expect(await waitFor(() => !alive([pooled]).length)).toBe(true);
        // Wait until the host has noticed (the dead session left the pool), not a fixed pause.
        expect(await waitFor(() => !(host.status()[0]?.sessions ?? []).some((s) => s.pid === pooled))).toBe(
          true,
        );
        const served = Number(text(await host.callTool('p__pid')));
        expect(served).not.toBe(pooled);
      }
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});
