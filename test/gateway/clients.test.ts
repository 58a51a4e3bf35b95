/**
 * A real client nobody here wrote: `mcp-remote` (the stdio-to-HTTP bridge desktop apps spawn),
 * pointed at a running gateway and driven over stdio by an SDK client, as a desktop app would. Its
 * default 2025 era and its `--protocol auto` (2026-07-28) bridge both list the catalog and keep a
 * keyed server's state per client. It runs with HOME and its config dir in a temp dir, so nothing it
 * might write (OAuth state) lands in the user's home; the gateway has no auth, so no OAuth flow starts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { alive, fixture, waitFor } from '../helpers.js';
import { gatewayFixture, resultText } from './helpers.js';

const MCP_REMOTE = fileURLToPath(new URL('../../node_modules/mcp-remote/dist/proxy.js', import.meta.url));

/** An SDK client talking to the gateway through an `mcp-remote` process; `home` is its HOME. */
async function throughMcpRemote(url: URL, args: string[] = []) {
  const home = mkdtempSync(join(tmpdir(), 'berth-mcp-remote-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_REMOTE, url.href, ...args],
    env: { PATH: process.env.PATH ?? '', HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth') },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const client = new Client({ name: 'desktop-app', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`mcp-remote did not connect: ${String(error)}\n${stderr}`, { cause: error });
  }
  return { client, pid: transport.pid!, home, stderr: () => stderr };
}

describe('berth serve with mcp-remote', () => {
  it('lists tools and keeps a keyed counter per client, in both of its protocol modes', async () => {
    await using gw = await gatewayFixture({ k: fixture([], { session: 'keyed', maxSessions: 4 }) });
    const legacy = await throughMcpRemote(gw.url); // its default: the 2025 era, a session per bridge
    const modern = await throughMcpRemote(gw.url, ['--protocol', 'auto']); // 2026-07-28
    expect(modern.stderr()).toMatch(/2026-07-28/);
    const inc = (client: Client) =>
      client.callTool({ name: 'k__increment', arguments: { by: 1 } }).then(resultText);
    for (const { client } of [legacy, modern]) {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['k__increment', 'k__get', 'k__sleep']));
    }
    expect(await inc(legacy.client)).toBe('1');
    expect(await inc(legacy.client)).toBe('2');
    // The other bridge is another conversation: its own process, its own count.
    expect(await inc(modern.client)).toBe('1');
    expect(await inc(modern.client)).toBe('2');
    expect(await inc(legacy.client)).toBe('3');
    const pids = await Promise.all(
      [legacy, modern].map(async ({ client }) =>
        resultText(await client.callTool({ name: 'k__pid', arguments: {} })),
      ),
    );
    expect(new Set(pids).size).toBe(2);

    for (const bridge of [legacy, modern]) {
      await bridge.client.close();
      expect(await waitFor(() => alive([bridge.pid]).length === 0, 5_000)).toBe(true);
      // No OAuth flow ran: it stored nothing (no client registration, no tokens), only empty folders.
      expect(bridge.stderr()).not.toMatch(/authoriz(e|ation) (required|url)|opening browser/i);
      const files = readdirSync(bridge.home, { recursive: true, withFileTypes: true }).filter(
        (e) => !e.isDirectory(),
      );
      expect(files.map((e) => e.name)).toEqual([]);
      rmSync(bridge.home, { recursive: true, force: true });
    }
  });
});
