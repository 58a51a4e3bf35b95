/**
 * Lifecycle of the scopes whose sessions come and go (keyed, per-call), against real processes
 * counted by pid: sessions that die on their own are restarted under the server's restart policy
 * (backoff, limit, `failed`, recovery by `restart()`), `close()` leaves nothing running whatever it
 * races with, and callers waiting for a session are released by `close()` at once.
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { alive, fixture, pidFile } from '../helpers.js';

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
