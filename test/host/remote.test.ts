/**
 * Remote servers over Streamable HTTP, against a real HTTP MCP server process: headers (with
 * variable expansion) reach it, state persists in the shared session, and a refused connection
 * fails that server alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { fixture, text, startHttpFixture, type HttpFixture } from '../helpers.js';

describe('Streamable HTTP servers', () => {
  let server: HttpFixture;
  let url: string;

  beforeAll(async () => {
    server = await startHttpFixture('http-server.mjs', { env: { REQUIRED_TOKEN: 's3cret' } });
    url = `${server.origin}/mcp`;
  });
  afterAll(() => server.stop());

  it('connects with expanded headers and keeps session state across calls', async () => {
    const host = await createHost(
      {
        mcpServers: {
          remote: { type: 'http', url, headers: { Authorization: 'Bearer ${TOKEN}' } },
          local: fixture(),
        },
      },
      { env: { TOKEN: 's3cret' } },
    );
    try {
      expect(host.status().map((s) => [s.name, s.state, s.transport])).toEqual([
        ['remote', 'ready', 'http'],
        ['local', 'ready', 'stdio'],
      ]);
      await host.callTool('remote__increment', { by: 2 });
      expect(text(await host.callTool('remote__increment', { by: 3 }))).toBe('5');
    } finally {
      await host.close();
    }
  });

  it('a wrong token or a refused connection fails that server only', async () => {
    const host = await createHost({
      mcpServers: {
        unauthorized: { url, headers: { Authorization: 'Bearer wrong' } },
        refused: { url: 'http://127.0.0.1:1/mcp' },
        local: fixture(),
      },
    });
    try {
      const status = Object.fromEntries(host.status().map((s) => [s.name, s]));
      expect(status.unauthorized?.state).toBe('unauthorized');
      expect(status.refused?.state).toBe('failed');
      expect(status.refused?.lastError?.phase).toBe('connect');
      expect(status.local?.state).toBe('ready');
    } finally {
      await host.close();
    }
  });
});
