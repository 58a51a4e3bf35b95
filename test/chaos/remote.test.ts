/**
 * Remote faults against a real Streamable HTTP server process: refused at start, restarted
 * mid-session (404 on the old session id: re-initialize and retry once), slow answers, and a response
 * stream cut mid-call (resumed with Last-Event-ID).
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CallTimeoutError, createHost } from '../../src/index.js';
import { startHttpFixture, text, type HttpFixture } from '../helpers.js';

const running = new Set<HttpFixture>();

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  return typeof address === 'object' && address ? address.port : 0;
}

/** Starts the HTTP fixture on `port`; resolves once it listens. */
async function startServer(port: number): Promise<HttpFixture> {
  const server = await startHttpFixture('http-server.mjs', { port });
  running.add(server);
  return server;
}

async function stopServer(server: HttpFixture): Promise<void> {
  await server.stop();
  running.delete(server);
}

afterEach(async () => {
  await Promise.all([...running].map(stopServer));
});

describe('remote servers under faults', () => {
  it('connection refused at start fails that server only, with the cause', async () => {
    const port = await freePort();
    const host = await createHost({ mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp` } } });
    try {
      expect(host.status()[0]).toMatchObject({ state: 'failed', lastError: { phase: 'connect' } });
      expect(host.status()[0]?.lastError?.message).toMatch(/ECONNREFUSED/);
    } finally {
      await host.close();
    }
  });

  it('a server restarted mid-session: the 404 on the old session re-initializes and the call is retried once', async () => {
    const port = await freePort();
    let server = await startServer(port);
    const host = await createHost({ mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp` } } });
    try {
      expect(text(await host.callTool('remote__increment', { by: 2 }))).toBe('2');
      await stopServer(server);
      server = await startServer(port); // same address, no memory of the old session
      expect(text(await host.callTool('remote__increment', { by: 5 }))).toBe('5'); // a new session's counter
      expect(host.status()[0]).toMatchObject({ state: 'ready', restarts: 1 });
    } finally {
      await host.close();
    }
  });

  it('slow answers: a call within its deadline completes, one past it times out, the session survives', async () => {
    const port = await freePort();
    await startServer(port);
    const host = await createHost({ mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp` } } });
    try {
      expect(text(await host.callTool('remote__slow', { ms: 300 }, { timeoutMs: 2_000 }))).toBe('slow 300');
      await expect(host.callTool('remote__slow', { ms: 2_000 }, { timeoutMs: 200 })).rejects.toBeInstanceOf(
        CallTimeoutError,
      );
      expect(text(await host.callTool('remote__increment', { by: 1 }))).toBe('1');
    } finally {
      await host.close();
    }
  });

  it('a response stream cut mid-call is resumed with Last-Event-ID and the answer arrives', async () => {
    const port = await freePort();
    await startServer(port);
    const host = await createHost({ mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp` } } });
    try {
      const progress: number[] = [];
      const result = await host.callTool(
        'remote__cut',
        {},
        { timeoutMs: 10_000, onProgress: (p) => progress.push(p.progress) },
      );
      expect(text(result)).toBe('answered after the cut');
      expect(progress).toEqual([1]);
    } finally {
      await host.close();
    }
  });
});
