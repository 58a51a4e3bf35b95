/**
 * Legacy HTTP+SSE servers, against a real one (v1 SDK `SSEServerTransport`): an `http` entry tries
 * Streamable HTTP first and falls back to SSE on the refusal, remembers that for its restarts, and an
 * explicit `type: "sse"` goes straight there. A custom `fetch` carries every request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { text, startHttpFixture, type HttpFixture } from '../helpers.js';

describe('legacy HTTP+SSE servers', () => {
  let server: HttpFixture;
  let url: string;

  beforeAll(async () => {
    server = await startHttpFixture('sse-server.mjs');
    url = `${server.origin}/sse`;
  });
  afterAll(() => server.stop());

  it('an http entry falls back to SSE after the Streamable HTTP refusal, and remembers it', async () => {
    const requests: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      requests.push(
        `${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : input).pathname}`,
      );
      return fetch(input, init);
    };
    const host = await createHost({ mcpServers: { legacy: { url } } }, { fetch: countingFetch });
    try {
      expect(host.status()[0]).toMatchObject({ state: 'ready', transport: 'http' });
      await host.callTool('legacy__increment', { by: 2 });
      expect(text(await host.callTool('legacy__increment', { by: 3 }))).toBe('5');
      expect(requests).toContain('POST /sse'); // the Streamable HTTP attempt
      expect(requests).toContain('GET /sse'); // the SSE stream
      expect(requests.filter((r) => r === 'POST /messages').length).toBeGreaterThanOrEqual(2);
      // A recycled session goes straight to SSE.
      const before = requests.filter((r) => r === 'POST /sse').length;
      await host.restart('legacy');
      expect(text(await host.callTool('legacy__increment', { by: 1 }))).toBe('1');
      expect(requests.filter((r) => r === 'POST /sse').length).toBe(before);
    } finally {
      await host.close();
    }
  });

  it('type "sse" connects over SSE directly', async () => {
    const host = await createHost({ mcpServers: { legacy: { type: 'sse', url } } });
    try {
      expect(text(await host.callTool('legacy__increment', { by: 4 }))).toBe('4');
    } finally {
      await host.close();
    }
  });
});
