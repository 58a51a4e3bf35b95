/**
 * Process-tree ownership: berth spawns each stdio server as the leader of its own process group and
 * ends the whole group in stages, so wrappers' grandchildren and servers that ignore SIGTERM are gone
 * after close(). Checked by pid, against real processes.
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { alive, fixture, hostFixture, pidFile, text, wrapped } from '../helpers.js';

describe('close() leaves no process of the tree alive', () => {
  it('an npx-style wrapper whose server has a grandchild', async () => {
    await using fx = await hostFixture({ wrapped: wrapped(['--grandchild']) });
    const { host, pids } = fx;
    expect(text(await host.callTool('wrapped__increment', { by: 1 }))).toBe('1');
    expect(pids.pids('wrapper')).toHaveLength(1);
    expect(pids.pids('server')).toHaveLength(1);
    expect(pids.pids('grandchild')).toHaveLength(1);
    expect(alive(pids.pids())).toEqual(pids.pids());
  });

  it('a server that ignores SIGTERM and stdin EOF, within the configured grace', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: {
        stubborn: fixture(
          ['--ignore-sigterm', '--record-sigterm', '--grandchild'],
          { stdinGraceMs: 100, termGraceMs: 200 },
          pids,
        ),
      },
    });
    let took: number;
    try {
      expect(text(await host.callTool('stubborn__get'))).toBe('0');
      expect(pids.pids(), 'server and grandchild').toHaveLength(2);
    } finally {
      const started = Date.now();
      await host.close();
      took = Date.now() - started;
    }
    expect(alive(pids.pids())).toEqual([]);
    expect(pids.count('sigterm')).toBe(1); // it was sent SIGTERM (and ignored it)
    // Killed at the SIGKILL stage: after both graces, and long before the SDK's 4 s.
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(3_000);
  });

  it('a server that exits on stdin EOF is not signalled at all', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { polite: fixture(['--exit-on-eof', '--record-sigterm'], {}, pids) },
    });
    await host.close();
    expect(pids.pids('server')).toHaveLength(1);
    expect(alive(pids.pids())).toEqual([]);
    expect(pids.count('sigterm')).toBe(0); // stdin EOF was enough: no SIGTERM was needed
  });
});
