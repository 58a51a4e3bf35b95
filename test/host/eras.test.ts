/**
 * Both protocol eras, against real servers: a 2026-07-28 server (SDK `serveStdio`) is spoken to in
 * the modern era, a 2025 server falls back to `initialize`; and the negotiation is paid once per
 * server configuration: a restarted or additional session reuses the remembered verdict.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { fixture, pidFile, text, waitFor } from '../helpers.js';

const MODERN = fileURLToPath(new URL('../fixtures/modern-server.mjs', import.meta.url));
const fast = { restart: { initialDelayMs: 10 } };

describe('protocol eras', () => {
  it('a 2026-07-28 server: discovered once, adopted with zero round trips after a restart', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: {
        modern: { command: process.execPath, args: [MODERN], env: { FIXTURE_PID_FILE: pids.path }, ...fast },
      },
    });
    try {
      expect(text(await host.callTool('modern__increment', { by: 2 }))).toBe('2');
      expect(host.status()[0]?.protocolVersion).toBe('2026-07-28');
      // What `berth doctor` shows of the handshake: the era, the server's own name, how long it took.
      expect(host.status()[0]).toMatchObject({
        era: 'modern',
        serverInfo: { name: 'modern-fixture', version: '1.0.0' },
        startupMs: expect.any(Number) as number,
      });
      expect(pids.count('server-discover')).toBe(1);
      expect(pids.count('initialize')).toBe(0);
      process.kill(Number(text(await host.callTool('modern__pid'))), 'SIGKILL');
      expect(
        await waitFor(() => host.status()[0]?.restarts === 1 && host.status()[0]?.state === 'ready'),
      ).toBe(true);
      expect(text(await host.callTool('modern__increment', { by: 1 }))).toBe('1'); // a new process, the modern era
      expect(pids.pids('server')).toHaveLength(2);
      expect(pids.count('server-discover')).toBe(1); // not probed again
      expect(pids.count('initialize')).toBe(0);
    } finally {
      await host.close();
    }
  });

  it('a 2025 server: the probe falls back to initialize once; later sessions go straight to initialize', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { old: fixture([], { ...fast, session: 'keyed' }, pids) } });
    try {
      await host.callTool('old__increment', {}, { key: 'a' });
      await host.callTool('old__increment', {}, { key: 'b' });
      // The listing probe negotiated and became key a's session; key b's reused its verdict.
      expect(pids.pids('server')).toHaveLength(2);
      expect(pids.count('server-discover')).toBe(1);
      expect(pids.count('initialize')).toBe(2);
    } finally {
      await host.close();
    }
  });

  it('era: "legacy" skips the probe entirely', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { old: fixture([], { era: 'legacy' }, pids) } });
    try {
      expect(text(await host.callTool('old__get'))).toBe('0');
      expect(host.status()[0]?.protocolVersion).toBe('2025-11-25');
      expect(pids.count('server-discover')).toBe(0);
      expect(pids.count('initialize')).toBe(1);
    } finally {
      await host.close();
    }
  });
});

describe('the 2026-07-28 era, end to end', () => {
  it('input_required: the server asks in-band, berth answers through the elicitation handler', async () => {
    const asked: string[] = [];
    const host = await createHost(
      { mcpServers: { modern: { command: process.execPath, args: [MODERN] } } },
      {
        elicitation: async (params) => {
          asked.push(params.message);
          return { action: 'accept', content: { name: 'Ada' } };
        },
      },
    );
    try {
      expect(text(await host.callTool('modern__greet-me'))).toBe('Hello, Ada!');
      expect(asked).toEqual(['Your name?']);
    } finally {
      await host.close();
    }
  });

  it('list changes arrive over subscriptions/listen and refresh the catalog', async () => {
    const host = await createHost({ mcpServers: { modern: { command: process.execPath, args: [MODERN] } } });
    try {
      expect(host.status()[0]?.protocolVersion).toBe('2026-07-28');
      await host.callTool('modern__add-tool');
      expect(await waitFor(() => host.tools().some((t) => t.name === 'modern__added'), 5_000)).toBe(true);
      expect(text(await host.callTool('modern__added'))).toBe('added');
    } finally {
      await host.close();
    }
  });
});
