/**
 * Start-up isolation and crash recovery with real processes: a bad entry or a missing command never
 * stops the others; a crash mid-call gives a typed error with the stderr tail, and the owner restarts
 * the server so the next call succeeds.
 */
import { describe, expect, it } from 'vitest';
import { ServerError, ServerUnavailableError } from '../../src/index.js';
import { alive, fixture, hostFixture, text } from '../helpers.js';

describe('one bad server never stops the others', () => {
  it('an invalid entry and a missing command: the valid server runs', async () => {
    await using fx = await hostFixture({
      good: fixture(),
      invalid: { command: 'node', args: 'not-an-array' },
      missing: { command: 'berth-no-such-command-xyz' },
    });
    const { host, events } = fx;
    const status = Object.fromEntries(host.status().map((s) => [s.name, s]));
    expect(status.good?.state).toBe('ready');
    expect(status.invalid?.state).toBe('failed');
    expect(status.invalid?.configIssues?.[0]?.path).toBe('$.mcpServers.invalid.args');
    expect(status.invalid?.lastError?.message).toContain('<inline>: $.mcpServers.invalid.args: expected');
    expect(status.missing?.state).toBe('failed');
    expect(status.missing?.lastError?.phase).toBe('spawn');
    expect(status.missing?.lastError?.message).toContain('command not found: berth-no-such-command-xyz');
    expect(text(await host.callTool('good__increment', { by: 2 }))).toBe('2');
    expect(events.some((e) => e.type === 'server:invalid' && e.server === 'invalid')).toBe(true);
  });

  it('a server that exits during start-up is reported failed with its exit code and stderr', async () => {
    await using fx = await hostFixture({ good: fixture(), dies: fixture(['--crash-on-start']) });
    const { host } = fx;
    const dies = host.status().find((s) => s.name === 'dies')!;
    expect(dies.state).toBe('failed');
    expect(dies.lastError).toMatchObject({ phase: 'connect', exitCode: 3 });
    expect(dies.stderrTail).toContain('fatal: crash-on-start requested');
    expect(host.tools().every((tool) => tool.server === 'good')).toBe(true);
    await expect(host.callTool('good__get')).resolves.toBeDefined();
  });

  it('a server that never answers initialize fails at its startup deadline; the others are ready', async () => {
    await using fx = await hostFixture({
      good: fixture(),
      // Long enough for its Node to boot and record its pid on a loaded machine.
      silent: fixture(['--hang-on-start'], { startupTimeoutMs: 1_500 }),
    });
    const silent = fx.host.status().find((s) => s.name === 'silent')!;
    expect(silent.state).toBe('failed');
    expect(silent.lastError?.message).toMatch(/did not complete the MCP handshake within 1500 ms/);
    const good = fx.host.status().find((s) => s.name === 'good')!;
    expect(good.state).toBe('ready');
    // The silent server's processes are gone already, before close() (the pid file has both servers').
    const silentPids = fx.pids.pids().filter((pid) => pid !== good.pid);
    expect(silentPids.length).toBeGreaterThan(0);
    expect(alive(silentPids)).toEqual([]);
  });
});

describe('crash recovery', () => {
  it('a crash mid-call rejects with a typed error and stderr tail; the next call succeeds after the restart', async () => {
    await using fx = await hostFixture({ counter: fixture([], { restart: { initialDelayMs: 20 } }) });
    const { host, pids } = fx;
    await host.callTool('counter__increment', { by: 5 });
    const error = await host.callTool('counter__crash').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ server: 'counter', phase: 'call', exitCode: 7 });
    expect((error as ServerError).stderrTail).toContain('fatal: crash tool called');
    // The message is one line that names the server and what happened; the tail is a field.
    expect((error as ServerError).message).toBe(
      'server "counter" exited while the request was in flight (phase: call, exit code 7); the request was sent, so it may or may not have run',
    );
    expect((error as ServerError).reason).toBe('exited while the request was in flight');
    // The next call waits for the restart and runs on a fresh process (fresh state).
    expect(text(await host.callTool('counter__get'))).toBe('0');
    const [first, second] = pids.pids('server');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(alive([first!])).toEqual([]);
    const status = host.status()[0]!;
    expect(status).toMatchObject({ state: 'ready', restarts: 1, pid: second });
    expect(status.lastError?.code).toBe('SERVER_FAILED');
    // The catalog kept the same names across the restart.
    expect(host.tools().map((t) => t.name)).toContain('counter__increment');
  });

  it('a server that keeps dying is failed after the restart limit, and restart() brings it back', async () => {
    await using fx = await hostFixture({
      flaky: fixture([], { restart: { maxRestarts: 2, initialDelayMs: 10, maxDelayMs: 20 } }),
    });
    const { host } = fx;
    for (let i = 0; i < 3; i++) {
      await host.callTool('flaky__crash').catch(() => {});
      if (i < 2) await host.callTool('flaky__get'); // wait for the restart
    }
    await host.ready();
    expect(host.status()[0]?.state).toBe('failed');
    await expect(host.callTool('flaky__get')).rejects.toBeInstanceOf(ServerUnavailableError);
    await host.restart('flaky');
    expect(host.status()[0]?.state).toBe('ready');
    expect(text(await host.callTool('flaky__get'))).toBe('0');
  });
});
