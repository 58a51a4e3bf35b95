/**
 * The watchdog's lifetime within a running host process: started for the first server process (or
 * host lease), ended once the last host lease is released and no server group is registered, so it
 * never outlives the hosts that needed it. It shows up in `ps` by its title, with the host's pid.
 * What it does when a host dies is tested in test/chaos/host-death.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { acquireWatchdog, watchdogPid, type WatchdogLease } from '../../src/process/watchdog.js';
import { alive, fixture, waitFor } from '../helpers.js';

const onLinux = process.platform === 'linux';

/** The command line of `pid` as `ps` shows it (after a title change: the title). */
function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
}

const leases: WatchdogLease[] = [];
afterEach(() => {
  for (const lease of leases.splice(0)) lease.release();
});

describe.skipIf(!onLinux)('the watchdog', () => {
  it('is titled berth-watchdog with the host pid, and ends when the only host closes', async () => {
    expect(watchdogPid()).toBeUndefined();
    const host = await createHost({ mcpServers: { s: fixture() } });
    let pid: number;
    try {
      pid = watchdogPid()!;
      expect(pid).toEqual(expect.any(Number));
      expect(alive([pid])).toEqual([pid]);
      expect(commandLine(pid)).toBe(`berth-watchdog --host-pid=${process.pid}`);
    } finally {
      await host.close();
    }
    expect(watchdogPid()).toBeUndefined();
    expect(await waitFor(() => alive([pid]).length === 0, 3_000)).toBe(true);
  });

  it('stays while a host holds a lease, across server processes coming and going', async () => {
    const lease = acquireWatchdog();
    leases.push(lease);
    const first = await createHost({ mcpServers: { s: fixture() } });
    const pid = watchdogPid()!;
    await first.close();
    // No server group is left, but a host still holds the lease: the same watchdog stays.
    expect(watchdogPid()).toBe(pid);
    const second = await createHost({ mcpServers: { s: fixture() } });
    expect(watchdogPid()).toBe(pid);
    await second.close();
    expect(alive([pid])).toEqual([pid]);

    const other = acquireWatchdog();
    lease.release();
    lease.release(); // idempotent: the other lease still counts
    expect(watchdogPid()).toBe(pid);
    other.release();
    expect(watchdogPid()).toBeUndefined();
    expect(await waitFor(() => alive([pid]).length === 0, 3_000)).toBe(true);
  });
});

describe.skipIf(!onLinux)('the watchdog, through the host option', () => {
  it('a host holds it from creation to close: it stays between a per-call server’s processes', async () => {
    const host = await createHost({ mcpServers: { p: fixture([], { session: 'per-call' }) } });
    let pid: number;
    try {
      pid = watchdogPid()!;
      expect(pid).toEqual(expect.any(Number));
      for (let i = 0; i < 3; i++) await host.callTool('p__get'); // each call: a process started, then ended
      expect(watchdogPid()).toBe(pid); // one watchdog for the host's life, not one per process
    } finally {
      await host.close();
    }
    expect(watchdogPid()).toBeUndefined();
    expect(await waitFor(() => alive([pid]).length === 0, 3_000)).toBe(true);
  });

  it('watchdog: false starts none', async () => {
    const host = await createHost({ mcpServers: { s: fixture() } }, { watchdog: false });
    try {
      expect(host.status()[0]?.state).toBe('ready');
      expect(watchdogPid()).toBeUndefined();
    } finally {
      await host.close();
    }
  });
});
