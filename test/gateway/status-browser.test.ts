/**
 * The status page in a real headless Chromium (Debian's, driven by playwright-core), served by a real
 * `berth serve --status` process over real fixture servers: a person signs in with a token once, sees
 * the servers, sees one go down and come back and a call appear without reloading, and nothing a
 * server controls (its name, its stderr) runs as script; no config secret or token reaches the page,
 * its event stream or its JSON. Unauthenticated it is a 401 sign-in page; off, a 404.
 */
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from '../playwright.js';
import { fixture, hostFixture, waitFor } from '../helpers.js';
import { serve } from '../../src/index.js';
import { cleanUp, configFile, startServe, track } from './serve-process.js';
import { v2Client } from './helpers.js';

const ALICE = 'alice-token-0123456789abcdef';
const ENV_SECRET = 'sk-live-5f2e9c1b7a3d';
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
const XSS_STDERR = '<script>window.__xss=2</script><img src=x onerror=window.__xss=3>';
const b64 = (text: string) => Buffer.from(text).toString('base64url');

const hasChromium = existsSync(CHROMIUM);
let browser: Browser;
beforeAll(async () => {
  if (hasChromium)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(() => cleanUp());

/** Starts `berth serve --status` on a free port; resolves with its endpoint URL. */
async function startStatusServe(config: string) {
  const serve = startServe(['--config', config, '--listen', '127.0.0.1:0', '--status']);
  const said = () => /^berth: serving (\S+)$/m.exec(serve.stderr())?.[1];
  const ready = await waitFor(() => said() !== undefined || serve.child.exitCode !== null, 20_000);
  if (!ready || said() === undefined) throw new Error(`berth serve did not start:\n${serve.stderr()}`);
  return { ...serve, url: new URL(said()!) };
}

/** The little of the DOM the page-side functions use (the test's TypeScript has no DOM types). */
interface Node {
  textContent: string | null;
  querySelector(selector: string): Node | null;
  querySelectorAll(selector: string): ArrayLike<Node>;
}

/**
 * Waits until the page's text at `selector` includes all of `texts` (the page updates itself: no
 * reload). Page-side code is a function, not a string: the page's CSP forbids eval.
 */
async function waitForText(page: Page, selector: string, ...texts: string[]): Promise<void> {
  await page.waitForFunction(
    ([sel, wanted]) => {
      const doc = (globalThis as unknown as { document: Node }).document;
      const text = doc.querySelector(sel)?.textContent ?? '';
      return wanted.every((w) => text.includes(w));
    },
    [selector, texts] as const,
    { timeout: 20_000 },
  );
}

/** Waits until the card of server `name` shows `state` (and `text`, if given). */
async function waitForServer(page: Page, name: string, state: string, text = ''): Promise<void> {
  await page.waitForFunction(
    ([n, st, t]) => {
      const doc = (globalThis as unknown as { document: Node }).document;
      return Array.from(doc.querySelectorAll('.server')).some(
        (card) =>
          card.querySelector('.name')?.textContent === n &&
          card.querySelector('.state')?.textContent === st &&
          (card.textContent ?? '').includes(t),
      );
    },
    [name, state, text] as const,
    { timeout: 20_000 },
  );
}

describe.skipIf(!hasChromium)('status page in Chromium', () => {
  it('signs in, shows servers live (down, up, a call), runs no injected script, leaks no secret', async () => {
    const { path, pids } = configFile(
      {
        s: fixture(['--stderr-env=API_KEY'], {
          env: { API_KEY: ENV_SECRET },
          restart: { initialDelayMs: 2_000 },
        }),
        [XSS_NAME]: fixture([`--stderr=${b64(XSS_STDERR)}`]),
      },
      { gateway: { auth: { tokens: { alice: ALICE } } } },
    );
    const berth = await startStatusServe(path);
    const statusUrl = new URL('/status', berth.url).href;
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      // Unauthenticated: the sign-in page, with 401.
      const first = await page.goto(statusUrl);
      expect(first?.status()).toBe(401);
      await page.fill('#token', ALICE);
      await page.click('button[type=submit]');
      await waitForText(page, '#servers', 's', XSS_NAME, 'API_KEY is [redacted]');
      await page.evaluate('window.marker = 1');
      expect(page.url()).toBe(statusUrl); // the token never went into a URL
      expect(await page.evaluate('sessionStorage.length + localStorage.length')).toBe(0);
      expect(await page.evaluate('document.cookie')).toBe(''); // HttpOnly
      await waitForText(page, '#conn', 'live');
      track(pids.pids());

      // Hostile text stays text: no element was made of it, no script ran.
      await page.click('.server:nth-child(2) details summary');
      await waitForText(page, '#servers', XSS_STDERR);
      expect(await page.evaluate("document.querySelectorAll('img, #servers script').length")).toBe(0);
      expect(await page.evaluate('window.__xss')).toBeUndefined();

      // A call appears in recent calls.
      const client = await v2Client(berth.url, 'modern', { token: ALICE });
      await client.callTool({ name: 's__echo', arguments: { value: 'argument-never-shown' } });
      await client.close();
      await waitForText(page, '#calls', 'alice', 's__echo', 'ok');

      // The server goes down and comes back, without a reload.
      const status = (await (
        await fetch(new URL('/status.json', berth.url), { headers: { authorization: `Bearer ${ALICE}` } })
      ).json()) as { servers: Array<{ name: string; pid?: number }> };
      const pid = status.servers.find((s) => s.name === 's')!.pid!;
      process.kill(pid, 'SIGKILL');
      await waitForServer(page, 's', 'restarting');
      await waitForServer(page, 's', 'ready', '1 restart');
      expect(await page.evaluate('window.marker')).toBe(1);
      track(pids.pids());

      // Nothing secret anywhere the page's data goes.
      const html = await page.content();
      const json = await (
        await fetch(new URL('/status.json', berth.url), { headers: { authorization: `Bearer ${ALICE}` } })
      ).text();
      const events = await fetch(new URL('/status/events', berth.url), {
        headers: { authorization: `Bearer ${ALICE}` },
      });
      const reader: ReadableStreamDefaultReader<Uint8Array> = events.body!.getReader();
      const chunk =
        new TextDecoder().decode((await reader.read()).value) +
        new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(chunk).toContain('event: snapshot');
      for (const served of [html, json, chunk]) {
        expect(served).not.toContain(ENV_SECRET);
        expect(served).not.toContain(ALICE);
        expect(served).not.toContain('argument-never-shown');
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      berth.child.kill('SIGTERM');
      await berth.exited;
    }
  }, 120_000); // a browser, a berth process, a crash and a 2 s restart delay, on a busy machine

  it('is a 404 when the status page is off', async () => {
    const fx = await hostFixture({ s: fixture() });
    const gateway = await serve(fx.host, { gateway: { listen: '127.0.0.1:0' } });
    const page = await browser.newPage();
    try {
      expect((await page.goto(new URL('/status', gateway.url).href))?.status()).toBe(404);
    } finally {
      await page.close();
      await gateway.close();
      await fx[Symbol.asyncDispose]();
    }
  });
});
