/**
 * Shared test helpers: config entries for the fixture servers, pid files that fixtures write so a
 * test can check every process of a tree by pid, a host fixture that checks for leaked processes
 * when it is disposed, and bounded polling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type Host, type HostEvent, type HostOptions } from '../src/index.js';
import { isProcessAlive } from '../src/process/group.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/fixture-server.mjs', import.meta.url));
export const WRAPPER = fileURLToPath(new URL('./fixtures/wrapper.mjs', import.meta.url));

/** A temp file the fixtures append `role pid` lines to; `pids(role)` reads the distinct pids of a role (or all). */
export function pidFile(): { path: string; pids(role?: string): number[]; count(role: string): number } {
  const path = join(mkdtempSync(join(tmpdir(), 'berth-test-')), 'pids');
  const lines = (role?: string) =>
    existsSync(path)
      ? readFileSync(path, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' '))
          .filter(([r]) => role === undefined || r === role)
      : [];
  return {
    path,
    pids: (role) => [...new Set(lines(role).map(([, pid]) => Number(pid)))],
    count: (role) => lines(role).length,
  };
}

/** A stdio config entry running the fixture server with `flags`. */
export function fixture(flags: string[] = [], extra: Record<string, unknown> = {}, pids?: { path: string }) {
  return {
    command: process.execPath,
    args: [FIXTURE, ...flags],
    env: pids ? { FIXTURE_PID_FILE: pids.path } : {},
    ...extra,
  };
}

/** A stdio config entry running the fixture behind the `npx`-like wrapper. */
export function wrapped(flags: string[] = [], pids?: { path: string }, extra: Record<string, unknown> = {}) {
  return {
    command: process.execPath,
    args: [WRAPPER, FIXTURE, ...flags],
    env: pids ? { FIXTURE_PID_FILE: pids.path } : {},
    ...extra,
  };
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/**
 * Like `waitFor`, for a condition that must ask something (e.g. a tool call whose answer changes once
 * the server has caught up): checks it again as soon as the last check is answered, until it holds or
 * `timeoutMs` passes; returns whether it held. No fixed pause between checks.
 */
export async function waitForAsync(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return false;
}

/** The pids of `pids` that are still running (zombies do not count). */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => isProcessAlive(pid));
}

/** The text of the first content block of a tool result. */
export function text(result: { content?: unknown }): string {
  const first = (result.content as Array<{ type: string; text?: string }> | undefined)?.[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}

/** A fixture HTTP server running in its own process. */
export interface HttpFixture {
  /** The server's base address, e.g. `http://127.0.0.1:4321`. */
  origin: string;
  process: ChildProcess;
  /** Kills it (SIGKILL) and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts an HTTP fixture script that prints `PORT <n>` once it listens; resolves then. */
export async function startHttpFixture(
  script: string,
  options: { env?: Record<string, string>; port?: number } = {},
): Promise<HttpFixture> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url))], {
    env: {
      ...process.env,
      ...options.env,
      ...(options.port !== undefined && { PORT: String(options.port) }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = /PORT (\d+)/.exec(String(line))?.[1];
  return {
    origin: `http://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A host under test, with the pid file every one of its fixture servers reports to. */
export interface HostFixture extends AsyncDisposable {
  host: Host;
  pids: ReturnType<typeof pidFile>;
  events: HostEvent[];
}

/**
 * Creates a host whose stdio entries all report their pids (the fixtures' `FIXTURE_PID_FILE`), and
 * records its events. Disposing it (`await using`) closes the host and fails the test if any process
 * a fixture reported is still running: every test that uses it checks for leaks for free.
 */
export async function hostFixture(
  servers: Record<string, Record<string, unknown>>,
  options: HostOptions = {},
): Promise<HostFixture> {
  const pids = pidFile();
  const events: HostEvent[] = [];
  const mcpServers = Object.fromEntries(
    Object.entries(servers).map(([name, entry]) => [
      name,
      'command' in entry
        ? { ...entry, env: { ...(entry.env as Record<string, string>), FIXTURE_PID_FILE: pids.path } }
        : entry,
    ]),
  );
  const host = await createHost(
    { mcpServers },
    {
      ...options,
      onEvent: (event) => {
        events.push(event);
        return options.onEvent?.(event);
      },
    },
  );
  return {
    host,
    pids,
    events,
    async [Symbol.asyncDispose]() {
      await host.close();
      const leaked = alive(pids.pids());
      if (leaked.length > 0) throw new Error(`processes outlived host.close(): ${leaked.join(', ')}`);
    },
  };
}
