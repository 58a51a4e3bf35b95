/**
 * The Playwright MCP server (`@playwright/mcp`, the installed package) with Debian's
 * Chromium, headless: navigate to a local page in one call, click a button in a second, and read the
 * result in a third. That only works because berth keeps the session (and its browser) between
 * calls; the per-call scope, by design, does not.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { text } from '../helpers.js';
import { browser, CHROMIUM } from '../playwright.js';

const PAGE = `<!doctype html><html><body>
<button id="go" onclick="document.getElementById('out').textContent = 'clicked ' + (++window.clicks)">Press me</button>
<p id="out">not clicked</p><script>window.clicks = 0</script></body></html>`;

/**
 * The shared Playwright entry (the installed `@playwright/mcp`, not `npx` from an empty directory,
 * which fetches the registry's latest and so fails whenever that release's own dependencies are not
 * published yet) with a scope of its own and an output directory of its own.
 */
function browserEntry(session: 'keyed' | 'per-call') {
  return { ...browser, session, cwd: mkdtempSync(join(tmpdir(), 'berth-playwright-')) };
}

describe.skipIf(!existsSync(CHROMIUM))('Playwright MCP with Chromium', () => {
  let http: Server;
  let url: string;

  beforeAll(async () => {
    http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

  const readOut = { function: "() => document.getElementById('out').textContent" };

  it('keeps the browser across calls: navigate, click, then see the click', async () => {
    const host = await createHost({ mcpServers: { browser: browserEntry('keyed') } }, { cwd: process.cwd() });
    try {
      expect(host.status()[0]?.state).toBe('ready');
      const key = 'conversation-1';
      await host.callTool('browser__browser_navigate', { url }, { key });
      await host.callTool('browser__browser_click', { element: 'Press me button', target: '#go' }, { key });
      expect(text(await host.callTool('browser__browser_evaluate', readOut, { key }))).toContain('clicked 1');
      // Another conversation has its own browser, untouched by the first one's click.
      await host.callTool('browser__browser_navigate', { url }, { key: 'conversation-2' });
      expect(
        text(await host.callTool('browser__browser_evaluate', readOut, { key: 'conversation-2' })),
      ).toContain('not clicked');
    } finally {
      await host.close();
    }
  }, 120_000);

  it('per-call sessions lose the browser between calls (the failure keyed sessions avoid)', async () => {
    const host = await createHost(
      { mcpServers: { browser: browserEntry('per-call') } },
      { cwd: process.cwd() },
    );
    try {
      await host.callTool('browser__browser_navigate', { url });
      const after = text(await host.callTool('browser__browser_evaluate', readOut));
      expect(after).not.toContain('not clicked'); // a fresh browser: the page is not even loaded
    } finally {
      await host.close();
    }
  }, 120_000);
});
