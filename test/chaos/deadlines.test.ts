/**
 * A call's deadline is a promise about the server too: once it has passed, the request is never
 * sent. A call whose time ran out before it reached a session (a slow interceptor, a wait for a
 * server still being added) fails with a timeout that says nothing was sent, and the tool never runs.
 */
import { describe, expect, it } from 'vitest';
import { CallTimeoutError, createHost } from '../../src/index.js';
import { fixture, pidFile, text, waitFor } from '../helpers.js';

describe('a call whose deadline passed before it was sent', () => {
  for (const scope of ['shared', 'keyed', 'per-call'] as const) {
    it(`${scope}: an interceptor outlasting timeoutMs: not sent, the tool never runs`, async () => {
      const pids = pidFile();
      const host = await createHost({ mcpServers: { s: fixture([], { session: scope }, pids) } });
      try {
        let slow = true;
        host.use(async (_ctx, next) => {
          if (slow) await new Promise((resolve) => setTimeout(resolve, 400));
          return next();
        });
        const key = scope === 'keyed' ? 'a' : undefined;
        const error = await host
          .callTool('s__sleep', { ms: 1 }, { timeoutMs: 200, key })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CallTimeoutError);
        expect((error as CallTimeoutError).sent).toBe(false);
        slow = false;
        // The server saw no call: nothing reached `sleep` (a later call proves the session works).
        expect(text(await host.callTool('s__get', {}, { key }))).toBe('0');
        expect(pids.count('sleeping')).toBe(0);
      } finally {
        await host.close();
      }
    }, 20_000);
  }
});

describe('a call that waits for servers still starting', () => {
  it('an unknown name while a server is being added: answered within timeoutMs', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { s: fixture([], {}, pids) } });
    try {
      const adding = host.add('slow', fixture(['--hang-on-start'], { startupTimeoutMs: 6_000 }, pids));
      adding.catch(() => {});
      expect(await waitFor(() => pids.pids('server').length === 2)).toBe(true); // the add is under way
      const started = Date.now();
      const error = await host.callTool('nosuch__tool', {}, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((error as { code?: string }).code).toBe('UNKNOWN_TOOL');
    } finally {
      await host.close();
    }
  }, 20_000);

  it('an unknown name while a server is being added: the caller signal ends the wait', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { s: fixture([], {}, pids) } });
    try {
      const adding = host.add('slow', fixture(['--hang-on-start'], { startupTimeoutMs: 6_000 }, pids));
      adding.catch(() => {});
      expect(await waitFor(() => pids.pids('server').length === 2)).toBe(true); // the add is under way
      const controller = new AbortController();
      const started = Date.now();
      const calling = host
        .callTool('nosuch__tool', {}, { signal: controller.signal })
        .catch((e: unknown) => e);
      setTimeout(() => controller.abort(), 100);
      const error = await calling;
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((error as { code?: string }).code).toBe('UNKNOWN_TOOL'); // the name is still unknown
    } finally {
      await host.close();
    }
  }, 20_000);
});
