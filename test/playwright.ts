/**
 * What the tests that drive `@playwright/mcp` share: its config entry (Debian's Chromium, headless,
 * an isolated profile, keyed: a browser per conversation), a page that names itself, the script
 * that reads it back, and the process tree of a server (Playwright and its browser).
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Chromium, which CI installs (no browser download: only the registries are reachable). */
export const CHROMIUM = '/usr/bin/chromium';

const PLAYWRIGHT_MCP = fileURLToPath(new URL('../node_modules/@playwright/mcp/cli.js', import.meta.url));

/** The config entry of a keyed Playwright MCP server. */
export const browser = {
  command: process.execPath,
  args: [PLAYWRIGHT_MCP, '--headless', '--executable-path', CHROMIUM, '--no-sandbox', '--isolated'],
  cwd: mkdtempSync(join(tmpdir(), 'berth-playwright-')), // where it writes its output files
  session: 'keyed' as const,
  maxSessions: 4,
  startupTimeoutMs: 60_000,
  callTimeoutMs: 60_000,
};

/** A page that names itself in its title and body. */
export const page = (name: string) =>
  `data:text/html,${encodeURIComponent(`<!doctype html><title>${name}</title><p id="who">${name}</p>`)}`;

/** `browser_evaluate` arguments that read a {@link page} back. */
export const readPage = {
  function: "() => document.title + ' / ' + document.getElementById('who').textContent",
};

/** `pid` and every process below it (from `/proc`): a Playwright server and its browser. */
export function tree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    for (const [child, parent] of parents) if (parent === found[i]) found.push(child);
  }
  return found;
}
