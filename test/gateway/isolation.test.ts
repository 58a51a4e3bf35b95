/**
 * Isolation through the gateway with a real stateful server whose state is a browser: `@playwright/mcp`
 * with Debian's Chromium (headless, isolated profile), keyed. Two clients (an SDK v1 client, 2025, and
 * an SDK v2 client, 2026-07-28) each open their own page and read back only their own; ending one
 * client's session (DELETE) ends its Playwright process and its browser, and the other's keeps
 * working. (The counter fixture's isolation is in serve.test.ts.)
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { alive, waitFor } from '../helpers.js';
import { CHROMIUM, browser, page, readPage, tree } from '../playwright.js';
import { gatewayFixture, resultText } from './helpers.js';

type Caller = {
  callTool(params: {
    name: string;
    arguments: Record<string, unknown>;
    _meta?: Record<string, unknown>;
  }): Promise<unknown>;
};

describe.skipIf(!existsSync(CHROMIUM) || process.platform !== 'linux')(
  'berth serve with Playwright MCP: a browser per client',
  () => {
    it('two clients, two pages, nothing crossed; DELETE ends one client’s Playwright and browser', async () => {
      await using gw = await gatewayFixture({ browser });
      const legacy = new V1Client({ name: 'client-a', version: '1.0.0' });
      const legacyTransport = new V1Transport(gw.url);
      await legacy.connect(legacyTransport);
      const modern = new Client(
        { name: 'client-b', version: '1.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await modern.connect(new StreamableHTTPClientTransport(gw.url));
      const meta = { 'berth/key': 'b' };
      const call = (client: Caller, name: string, args: Record<string, unknown>) =>
        client.callTool({
          name: `browser__${name}`,
          arguments: args,
          ...(client === modern && { _meta: meta }),
        });

      // Both browsers start at once; each goes to its own page.
      await Promise.all([
        call(legacy, 'browser_navigate', { url: page('Alpha') }),
        call(modern, 'browser_navigate', { url: page('Bravo') }),
      ]);
      expect(resultText(await call(legacy, 'browser_evaluate', readPage))).toContain('Alpha / Alpha');
      expect(resultText(await call(modern, 'browser_evaluate', readPage))).toContain('Bravo / Bravo');
      // The last navigation was Bravo's: Alpha's browser still shows Alpha.
      const snapshot = resultText(await call(legacy, 'browser_snapshot', {}));
      expect(snapshot).toContain('Alpha');
      expect(snapshot).not.toContain('Bravo');

      const sessions = gw.fx.host.status().find((s) => s.name === 'browser')?.sessions ?? [];
      const pidOf = (match: string) => sessions.find((s) => s.key?.includes(match))?.pid;
      const a = pidOf(legacyTransport.sessionId!);
      const b = pidOf('"b"');
      expect(a).toEqual(expect.any(Number));
      expect(b).toEqual(expect.any(Number));
      const treeA = tree(a!);
      const treeB = tree(b!);
      expect(treeA.length).toBeGreaterThan(1); // the server and its browser's processes
      expect(treeB.length).toBeGreaterThan(1);
      expect(treeA.filter((pid) => treeB.includes(pid))).toEqual([]);

      await legacyTransport.terminateSession(); // DELETE
      expect(await waitFor(() => alive(treeA).length === 0, 15_000)).toBe(true);
      expect(alive(treeB)).toEqual(treeB);
      expect(resultText(await call(modern, 'browser_evaluate', readPage))).toContain('Bravo / Bravo');

      const ended = await fetch(gw.url, { method: 'DELETE', headers: { 'berth-key': 'b' } });
      expect(ended.status).toBe(204);
      expect(await waitFor(() => alive(treeB).length === 0, 15_000)).toBe(true);
      await legacy.close();
      await modern.close();
    }, 120_000);
  },
);
