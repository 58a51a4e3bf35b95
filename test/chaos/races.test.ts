/**
 * Races between a host's lifecycle calls and the changes it is making, against real server processes
 * counted by pid: `close()` is prompt and leaves nothing running, whatever change it meets.
 *
 * Two of these found host defects: `close()` waited out the drain of a runtime that `remove()` or
 * `replace()` had taken out of the set, and `createHost(file, { signal })` aborted while the config was
 * read started every server before noticing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost, type HostEvent } from '../../src/index.js';
import { alive, fixture, pidFile, waitFor } from '../helpers.js';

const drain = { drainTimeoutMs: 20_000 };

describe('close() during a change that drains', () => {
  it('replace() draining a long call: close() cuts the drain short', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { s: fixture([], drain, pids) } },
      { onEvent: (event) => void events.push(event) },
    );
    const call = host.callTool('s__sleep', { ms: 6_000 }).catch((error: unknown) => error);
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true);
    host.replace('s', fixture(['--name=two'], drain, pids)).catch(() => {});
    // The new runtime took over the name; the old one drains the sleeping call.
    expect(await waitFor(() => events.some((e) => e.type === 'server:replaced'), 10_000)).toBe(true);
    const started = Date.now();
    await host.close();
    await call;
    expect(alive(pids.pids())).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3_000);
  }, 30_000);

  it('remove() draining a long call: close() cuts the drain short', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { s: fixture([], drain, pids) } });
    const call = host.callTool('s__sleep', { ms: 6_000 }).catch((error: unknown) => error);
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true);
    host.remove('s').catch(() => {});
    expect(await waitFor(() => host.status().length === 0)).toBe(true);
    const started = Date.now();
    await host.close();
    await call;
    expect(alive(pids.pids())).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3_000);
  }, 30_000);
});

describe('createHost aborted early', () => {
  it('aborted while its config file is read: rejects at once, spawns nothing', async () => {
    const pids = pidFile();
    const file = join(mkdtempSync(join(tmpdir(), 'berth-races-')), 'mcp.json');
    const entry = fixture(['--hang-on-start'], { startupTimeoutMs: 4_000 }, pids);
    writeFileSync(file, JSON.stringify({ mcpServers: { s: entry } }));
    const controller = new AbortController();
    const started = Date.now();
    const creating = createHost(file, { signal: controller.signal });
    setImmediate(() => controller.abort(new Error('stop'))); // the file is being read now
    await expect(creating).rejects.toThrow('stop');
    expect(alive(pids.pids())).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 20_000);
});
