/**
 * Remote-server credentials against a real HTTP server that demands a bearer token: a 401 leaves the
 * server in a clear `unauthorized` state (never a crash, never a restart loop); a token from the
 * environment in the entry's `auth`, or an `authProvider` from the host options, gets it in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, ServerUnavailableError } from '../../src/index.js';
import { text, startHttpFixture, type HttpFixture } from '../helpers.js';

describe('remote auth', () => {
  let server: HttpFixture;
  let url: string;

  beforeAll(async () => {
    server = await startHttpFixture('http-server.mjs', { env: { REQUIRED_TOKEN: 'let-me-in' } });
    url = `${server.origin}/mcp`;
  });
  afterAll(() => server.stop());

  it('a 401 puts the server in "unauthorized", with a clear error; the others run', async () => {
    const host = await createHost({
      mcpServers: { locked: { url }, open: { url, auth: { type: 'bearer', token: 'let-me-in' } } },
    });
    try {
      const locked = host.status().find((s) => s.name === 'locked')!;
      expect(locked.state).toBe('unauthorized');
      expect(locked.lastError?.message).toMatch(/needs authorization: configure its auth/);
      expect(locked.restarts).toBe(0);
      expect(locked.lastError?.code).toBe('SERVER_UNAUTHORIZED');
      const refused = host.callTool('locked__increment');
      await expect(refused).rejects.toBeInstanceOf(ServerUnavailableError);
      await expect(refused).rejects.toMatchObject({ code: 'SERVER_UNAUTHORIZED', state: 'unauthorized' });
      expect(text(await host.callTool('open__increment', { by: 2 }))).toBe('2');
    } finally {
      await host.close();
    }
  });

  it('a bearer token from the environment, through the entry’s auth', async () => {
    const host = await createHost(
      { mcpServers: { api: { url, auth: { type: 'bearer', token: '${API_TOKEN}' } } } },
      { env: { API_TOKEN: 'let-me-in' } },
    );
    try {
      expect(host.status()[0]?.state).toBe('ready');
      expect(text(await host.callTool('api__increment', { by: 1 }))).toBe('1');
    } finally {
      await host.close();
    }
  });

  it('an authProvider from the host options, asked before every request', async () => {
    let asked = 0;
    const host = await createHost(
      { mcpServers: { api: { url } } },
      {
        authProvider: (server) =>
          server === 'api' ? { token: async () => (asked++, 'let-me-in') } : undefined,
      },
    );
    try {
      expect(text(await host.callTool('api__increment', { by: 3 }))).toBe('3');
      expect(asked).toBeGreaterThan(1);
    } finally {
      await host.close();
    }
  });

  it('an authProvider that throws fails its server alone, with its words; a restart asks again', async () => {
    // Credentials are made when a server's first session opens: a provider that throws is that
    // server's failure to connect, not the host's failure to start, and is not kept.
    let sealed = true;
    const host = await createHost(
      { mcpServers: { api: { url }, open: { url, auth: { type: 'bearer', token: 'let-me-in' } } } },
      {
        authProvider: (server) => {
          if (server === 'api' && sealed) throw new Error('the vault is sealed');
          return server === 'api' ? { token: async () => 'let-me-in' } : undefined;
        },
      },
    );
    try {
      const api = host.status().find((s) => s.name === 'api')!;
      expect(api.state).toBe('failed');
      expect(api.lastError?.message).toMatch(/server "api"/);
      expect(api.lastError?.message).toMatch(/the vault is sealed/);
      expect(api.lastError?.message).toMatch(/phase: connect/);
      await expect(host.callTool('api__increment')).rejects.toBeInstanceOf(ServerUnavailableError);
      expect(text(await host.callTool('open__increment', { by: 2 }))).toBe('2');
      sealed = false;
      await host.restart('api');
      expect(text(await host.callTool('api__increment', { by: 1 }))).toBe('1');
    } finally {
      await host.close();
    }
  });
});
