/**
 * Test helpers for `berth serve` as a process (the built CLI, `dist/bin/berth.js`): a config file on
 * fixture servers that report their pids, the process started and awaited until it says where it
 * serves, an SDK transport over its stdin/stdout for `--stdio`, and the cleanup of whatever a test
 * left running (only pids it saw, never stale ones).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { alive, pidFile, waitFor } from '../helpers.js';

export const BERTH = fileURLToPath(new URL('../../dist/bin/berth.js', import.meta.url));

/** A running `berth serve` process. */
export interface ServeProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with its exit. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
const seen: number[] = [];

/** Kills what a test left running: berth processes, then every pid it recorded (call from afterEach). */
export function cleanUp(): void {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const pid of alive(seen.splice(0))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Remembers pids for `cleanUp`, in case a test fails before they end. */
export function track(pids: number[]): void {
  seen.push(...pids);
}

/** A config file with `servers` (fixture entries), whose processes all report to the returned pid file. */
export function configFile(servers: Record<string, Record<string, unknown>>, extra: object = {}) {
  const pids = pidFile();
  const mcpServers = Object.fromEntries(
    Object.entries(servers).map(([name, entry]) => [
      name,
      { ...entry, env: { ...(entry.env as Record<string, string>), FIXTURE_PID_FILE: pids.path } },
    ]),
  );
  const path = join(mkdtempSync(join(tmpdir(), 'berth-serve-')), 'berth.json');
  writeFileSync(path, JSON.stringify({ mcpServers, ...extra }));
  return { path, pids };
}

/** Starts `berth serve` with `args`, with the watchdog on as for a user. */
export function startServe(args: string[]): ServeProcess {
  const child = spawn(process.execPath, [BERTH, 'serve', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, BERTH_NO_WATCHDOG: undefined },
  });
  started.push(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exited };
}

/**
 * Starts `berth serve` over HTTP on a free loopback port (with `extra` arguments); resolves with its
 * URL once it says it serves (within `timeoutMs`).
 */
export async function startHttpServe(
  config: string,
  extra: string[] = [],
  timeoutMs = 20_000,
): Promise<ServeProcess & { url: URL }> {
  const serve = startServe(['--config', config, '--listen', '127.0.0.1:0', ...extra]);
  const said = () => /^berth: serving (\S+)$/m.exec(serve.stderr())?.[1];
  const ready = await waitFor(() => said() !== undefined || serve.child.exitCode !== null, timeoutMs);
  const url = said();
  if (!ready || url === undefined) throw new Error(`berth serve did not start:\n${serve.stderr()}`);
  return { ...serve, url: new URL(url) };
}

/** Running children of `pid`, with their command lines (from `/proc`). */
export function childrenOf(pid: number): Array<{ pid: number; command: string }> {
  const children: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid || fields[0] === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      children.push({ pid: Number(entry), command });
    } catch {
      // exited while we looked
    }
  }
  return children;
}

/**
 * An SDK transport over a child's stdout and stdin: the SDK's own stdio framing (`ReadBuffer`,
 * `serializeMessage`) on pipes the test owns, so the test can end stdin by itself and see the exit.
 */
export class PipeTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #child: ChildProcess;
  readonly #buffer = new ReadBuffer();

  constructor(child: ChildProcess) {
    this.#child = child;
  }

  async start(): Promise<void> {
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      this.#buffer.append(chunk);
      for (let message = this.#buffer.readMessage(); message; message = this.#buffer.readMessage()) {
        this.onmessage?.(message);
      }
    });
    this.#child.stdout!.once('close', () => this.onclose?.());
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#child.stdin!.write(serializeMessage(message), (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Ends the child's stdin (what a desktop app does when it is done with a server). */
  async close(): Promise<void> {
    this.#child.stdin!.end();
  }
}
