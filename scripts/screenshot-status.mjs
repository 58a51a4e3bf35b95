#!/usr/bin/env node
/**
 * Takes docs/images/status-page.png: berth's demo servers (and one that fails to start) behind a
 * gateway with the status page on, a few calls through it, and Debian's headless Chromium (driven
 * by playwright-core) signed in and screenshotting the page. Run after `npm run build`:
 *   node scripts/screenshot-status.mjs [out.png]
 * Everything it starts (host, servers, gateway, browser) is closed before it exits.
 */
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { chromium } from 'playwright-core';
import { createHost, serve } from '../dist/index.js';
import { defaultConfig } from '../dist/config/default.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/images/status-page.png', import.meta.url));
const TOKEN = 'demo-token-0123456789abcdef';
const config = defaultConfig();
config.mcpServers.counter.session = 'keyed';
config.mcpServers.weather = {
  command: process.execPath,
  args: [
    '-e',
    'console.error("weather: WEATHER_API_KEY is not set; export it and restart"); process.exit(2)',
  ],
  restart: { maxRestarts: 0 },
};

const host = await createHost(config);
const gateway = await serve(host, {
  gateway: { listen: '127.0.0.1:0', auth: { tokens: { alice: TOKEN } }, status: true },
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
try {
  await host.ready();
  const client = new Client({ name: 'screenshot', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(gateway.url, {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const name of names.filter((n) => n.startsWith('counter__')).slice(0, 2))
    await client.callTool({ name, arguments: {} }).catch(() => undefined);
  for (const name of names.filter((n) => n.startsWith('toolbox__')).slice(0, 2))
    await client.callTool({ name, arguments: {} }).catch(() => undefined);
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
  await page.goto(new URL('/status', gateway.url).href);
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.waitForSelector('.server');
  await page.waitForSelector('#conn[data-state="live"]');
  await page.click('.server:last-child details summary').catch(() => undefined);
  await client.close();
  await page.waitForTimeout(500); // the client's session closing reaches the page
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await gateway.close();
  await host.close();
}
