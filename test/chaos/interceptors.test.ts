/**
 * An interceptor is caller code inside the call's budget: one that hangs (never calls `next`, or
 * never returns) cannot hold the call past its `timeoutMs` or past the caller's signal.
 */
import { describe, expect, it } from 'vitest';
import { CallAbortedError, CallTimeoutError, createHost } from '../../src/index.js';
import { fixture, pidFile, text } from '../helpers.js';

describe('a hanging interceptor', () => {
  it('never calls next: the call times out at its deadline, nothing sent', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { s: fixture([], {}, pids) } });
    try {
      let hang = true;
      host.use(async (_ctx, next) => (hang ? new Promise(() => {}) : next()));
      const started = Date.now();
      const error = await host.callTool('s__sleep', { ms: 1 }, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error).toBeInstanceOf(CallTimeoutError);
      expect((error as CallTimeoutError).sent).toBe(false);
      expect(pids.count('sleeping')).toBe(0);
      hang = false;
      expect(text(await host.callTool('s__get'))).toBe('0');
    } finally {
      await host.close();
    }
  }, 20_000);

  it('never calls next: the caller signal ends the call', async () => {
    const host = await createHost({ mcpServers: { s: fixture() } });
    try {
      host.use(async () => new Promise(() => {}));
      const controller = new AbortController();
      const calling = host.callTool('s__get', {}, { signal: controller.signal }).catch((e: unknown) => e);
      setTimeout(() => controller.abort(), 100);
      expect(await calling).toBeInstanceOf(CallAbortedError);
    } finally {
      await host.close();
    }
  }, 20_000);
});
