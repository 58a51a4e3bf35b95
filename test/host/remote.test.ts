/**
 * Remote servers over Streamable HTTP, against a real HTTP MCP server process: headers (with
 * variable expansion) reach it, state persists in the shared session, and a refused connection
 * fails that server alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { fixture, text } from '../helpers.js';

const HTTP_FIXTURE = fileURLToPath(new URL('../fixtures/http-server.mjs', import.meta.url));

describe('Streamable HTTP servers', () => {
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    server = spawn(process.execPath, [HTTP_FIXTURE], {
      env: { ...process.env, REQUIRED_TOKEN: 's3cret' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    url = `http://127.0.0.1:${/PORT (\d+)/.exec(String(line))![1]}/mcp`;
  });
  afterAll(async () => {
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
  });

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
      expect(status.unauthorized?.state).toBe('failed');
      expect(status.refused?.state).toBe('failed');
      expect(status.refused?.lastError?.phase).toBe('connect');
      expect(status.local?.state).toBe('ready');
    } finally {
      await host.close();
    }
  });
});
