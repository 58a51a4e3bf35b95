/**
 * Call options of the wrong type, as a careless (or untyped) caller passes them, are refused where
 * they enter berth with an `InvalidOptionError` naming the option, and nothing is sent: a `meta` that
 * is not an object would otherwise reach the server as a malformed request that the server may never
 * answer, and a `key` that is not a string would open a new keyed session per object.
 */
import { describe, expect, it } from 'vitest';
import { createHost, InvalidOptionError } from '../../src/index.js';
import { fixture, pidFile } from '../helpers.js';

describe('call options of the wrong type', () => {
  it('meta that is not a plain object, key that is not a string: refused at once, nothing sent', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { s: fixture([], {}, pids), k: fixture([], { session: 'keyed' }, pids) },
    });
    try {
      const started = Date.now();
      for (const meta of ['x', 5, ['a'], null]) {
        const error = await host
          .callTool('s__sleep', { ms: 1 }, { meta: meta as never, timeoutMs: 5_000 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect((error as InvalidOptionError).option).toBe('meta');
      }
      for (const key of [5, {}, null]) {
        const error = await host.callTool('k__get', {}, { key: key as never }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect((error as InvalidOptionError).option).toBe('key');
      }
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(pids.count('sleeping')).toBe(0);
      expect(host.status().find((s) => s.name === 'k')?.sessions ?? []).toHaveLength(1); // the spare only
    } finally {
      await host.close();
    }
  }, 20_000);

  it('a tool name, prompt name or URI that is not a string: INVALID_OPTION, not a raw TypeError', async () => {
    const host = await createHost({ mcpServers: { s: fixture() } });
    try {
      for (const call of [
        () => host.callTool(undefined as never),
        () => host.getPrompt(42 as never),
        () => host.readResource({} as never),
      ]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidOptionError);
      }
    } finally {
      await host.close();
    }
  });
});
