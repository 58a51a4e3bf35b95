/**
 * Servers that write what no framing can finish: a huge line with no newline, then an exit (or no
 * exit at all). The call fails at once with an error naming the server, and nothing is left running.
 */
import { describe, expect, it } from 'vitest';
import { createHost, ServerError } from '../../src/index.js';
import { alive, fixture, pidFile } from '../helpers.js';

describe('a server that never finishes its line', () => {
  const cases = [
    { bytes: 5_000_000, exit: true, reason: /exited while the request was in flight/ },
    { bytes: 20_000_000, exit: false, reason: /larger than maxMessageBytes/ },
    { bytes: 20_000_000, exit: true, reason: /larger than maxMessageBytes/ },
  ];
  for (const { bytes, exit, reason } of cases) {
    it(`${bytes / 1e6} MB with no newline, ${exit ? 'then exits' : 'keeps running'}: the call fails at once`, async () => {
      const pids = pidFile();
      const host = await createHost({ mcpServers: { s: fixture(['--partial-line'], {}, pids) } });
      try {
        const started = Date.now();
        const error = await host
          .callTool('s__partial-line', { bytes, exit }, { timeoutMs: 10_000 })
          .catch((e: unknown) => e);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(error).toBeInstanceOf(ServerError);
        expect((error as ServerError).server).toBe('s');
        expect((error as Error).message).toMatch(reason);
        expect((error as ServerError).outcomeUnknown).toBe(true);
      } finally {
        await host.close();
      }
      expect(alive(pids.pids())).toEqual([]);
    }, 30_000);
  }
});
