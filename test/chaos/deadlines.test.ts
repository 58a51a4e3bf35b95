/**
 * A call's deadline is a promise about the server too: once it has passed, the request is never
 * sent. A call whose time ran out before it reached a session (a slow interceptor, a wait for a
 * server still being added) fails with a timeout that says nothing was sent, and the tool never runs.
 */
import { describe, expect, it } from 'vitest';
import { CallTimeoutError, createHost } from '../../src/index.js';
import { fixture, pidFile, text } from '../helpers.js';

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
