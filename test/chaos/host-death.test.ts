/**
 * Host death: when the process hosting berth dies without closing (SIGKILL, an uncaught exception,
 * `process.exit()`, an unhandled SIGTERM), the watchdog reaps every server process group it was told
 * about (servers that ignore SIGTERM and stdin EOF, npx-style wrappers, grandchildren), then exits.
 * A host that closes normally still lets its process exit by itself, and `BERTH_NO_WATCHDOG=1` turns
 * the watchdog off. Each case runs a real host process (`test/fixtures/host-child.mjs`, on `dist/`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, fixture, pidFile, waitFor, wrapped } from '../helpers.js';

const HOST_CHILD = fileURLToPath(new URL('../fixtures/host-child.mjs', import.meta.url));

type Ending = 'sigkill' | 'sigterm-unhandled' | 'throw' | 'exit' | 'close';

interface HostChild {
  child: ChildProcess;
  /** The watchdog's pid as the host reported it (null when disabled). */
  watchdog: number | null;
  /** The watchdog the host killed before restarting it, if asked to. */
  killed: number | null;
  /** Resolves with the exit of the host process. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: () => string;
  stderr: () => string;
}

/** Everything a test started, killed after it if still running (only pids seen alive, never stale ones). */
const started: { hosts: ChildProcess[]; pidFiles: Array<{ pids(): number[] }>; watchdogs: number[] } = {
  hosts: [],
  pidFiles: [],
  watchdogs: [],
};

afterEach(() => {
  for (const child of started.hosts) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const pid of alive([...started.pidFiles.flatMap((file) => file.pids()), ...started.watchdogs])) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.hosts = [];
  started.pidFiles = [];
  started.watchdogs = [];
});

/** Starts a host process on `config` and waits for its READY line. */
async function startHost(
  config: object,
  ending: Ending,
  options: { env?: NodeJS.ProcessEnv; second?: object } = {},
): Promise<HostChild> {
  const args = [HOST_CHILD, JSON.stringify(config), ending];
  if (options.second) args.push(JSON.stringify(options.second));
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'], // stdin: its end tells the host to end (throw, exit, close)
    env: { ...process.env, BERTH_NO_WATCHDOG: undefined, ...options.env },
  });
  started.hosts.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = await waitFor(() => /^READY .*\n/m.test(out) || child.exitCode !== null, 15_000);
  const line = /^READY (.*)$/m.exec(out)?.[1];
  if (!ready || line === undefined) throw new Error(`host-child did not get ready:\n${out}\n${err}`);
  const { watchdog, killed } = JSON.parse(line) as { watchdog: number | null; killed: number | null };
  if (watchdog !== null) started.watchdogs.push(watchdog);
  return { child, watchdog, killed, exited, stdout: () => out, stderr: () => err };
}

/** Running children of `pid` (from `/proc`). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid && fields[0] !== 'Z') children.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

/** Servers that survive anything but SIGKILL (with grandchildren), one behind a wrapper, one polite. */
function stubbornConfig(pids: { path: string }) {
  return {
    mcpServers: {
      stubborn: fixture(['--ignore-sigterm', '--grandchild'], {}, pids),
      wrapped: wrapped(['--ignore-sigterm', '--grandchild'], pids),
      polite: fixture([], {}, pids),
    },
  };
}

/** Ends the host the way `ending` says (a signal, or the end of its stdin) and checks how it died. */
async function kill(host: HostChild, ending: Ending): Promise<void> {
  if (ending === 'sigkill') host.child.kill('SIGKILL');
  else if (ending === 'sigterm-unhandled') host.child.kill('SIGTERM');
  else host.child.stdin!.end();
  const exit = await host.exited;
  if (ending === 'sigkill') expect(exit.signal).toBe('SIGKILL');
  if (ending === 'sigterm-unhandled') expect(exit.signal).toBe('SIGTERM');
  if (ending === 'throw') expect(exit.code).toBe(1);
  if (ending === 'exit') expect(exit.code).toBe(3);
}

describe.skipIf(process.platform !== 'linux')('when the host process dies without closing', () => {
  for (const ending of ['sigkill', 'throw', 'exit', 'sigterm-unhandled'] as const) {
    it(`${ending}: every process of every server group is reaped, then the watchdog exits`, async () => {
      const pids = pidFile();
      started.pidFiles.push(pids);
      const host = await startHost(stubbornConfig(pids), ending);
      const tree = pids.pids();
      expect(pids.pids('server')).toHaveLength(3);
      expect(pids.pids('wrapper')).toHaveLength(1);
      expect(pids.pids('grandchild')).toHaveLength(2);
      expect(alive(tree)).toEqual(tree);
      expect(host.watchdog).toEqual(expect.any(Number));
      const watchdog = host.watchdog!;
      expect(alive([watchdog])).toEqual([watchdog]);
      // `ps` names it, and whose it is.
      expect(readFileSync(`/proc/${watchdog}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()).toBe(
        `berth-watchdog --host-pid=${host.child.pid}`,
      );
      // One watchdog for the whole process: the host's children are the three group leaders and it.
      const children = childrenOf(host.child.pid!);
      expect(children).toHaveLength(4);
      expect(children).toContain(watchdog);

      await kill(host, ending);
      const died = Date.now();
      expect(await waitFor(() => alive([...tree, watchdog]).length === 0, 3_000)).toBe(true);
      expect(Date.now() - died).toBeLessThan(3_000);
    });
  }

  it('a watchdog that died is restarted by the next spawn and told about every group still running', async () => {
    const pids = pidFile();
    started.pidFiles.push(pids);
    const host = await startHost(
      { mcpServers: { first: fixture(['--ignore-sigterm', '--grandchild'], {}, pids) } },
      'sigkill',
      { second: { mcpServers: { second: fixture(['--ignore-sigterm'], {}, pids) } } },
    );
    expect(host.killed).toEqual(expect.any(Number));
    expect(host.watchdog).toEqual(expect.any(Number));
    expect(host.watchdog).not.toBe(host.killed);
    const tree = pids.pids();
    expect(tree).toHaveLength(3);
    expect(alive(tree)).toEqual(tree);

    await kill(host, 'sigkill');
    expect(await waitFor(() => alive([...tree, host.watchdog!]).length === 0, 3_000)).toBe(true);
  });
});

describe.skipIf(process.platform !== 'linux')('the watchdog stays out of the way', () => {
  it('a host closed normally: the watchdog ends with the close, and the process exits by itself', async () => {
    const pids = pidFile();
    started.pidFiles.push(pids);
    const host = await startHost(stubbornConfig(pids), 'close');
    const watchdog = host.watchdog!;
    expect(alive([watchdog])).toEqual([watchdog]);
    const tree = pids.pids();
    expect(alive(tree)).toEqual(tree);
    host.child.stdin!.end();
    expect(await waitFor(() => /^CLOSED .*\n/m.test(host.stdout()), 15_000)).toBe(true);
    // The last close ended the watchdog: berth no longer knew it once the hosts were closed.
    expect(JSON.parse(/^CLOSED (.*)$/m.exec(host.stdout())![1]!)).toEqual({ watchdog: null });
    // Nothing is left to keep the event loop alive: the process exits at once, watchdog or not.
    expect(await waitFor(() => host.child.exitCode !== null, 1_000)).toBe(true);
    expect(await host.exited).toEqual({ code: 0, signal: null });
    expect(alive(pids.pids())).toEqual([]);
    expect(await waitFor(() => alive([watchdog]).length === 0, 2_000)).toBe(true);
  });

  it('BERTH_NO_WATCHDOG=1 disables it: a server ignoring SIGTERM survives a SIGKILLed host', async () => {
    const pids = pidFile();
    started.pidFiles.push(pids);
    const host = await startHost(
      { mcpServers: { stubborn: fixture(['--ignore-sigterm'], {}, pids) } },
      'sigkill',
      {
        env: { BERTH_NO_WATCHDOG: '1' },
      },
    );
    expect(host.watchdog).toBeNull();
    expect(childrenOf(host.child.pid!)).toEqual(pids.pids('server'));
    const [server] = pids.pids('server');

    await kill(host, 'sigkill');
    // Nothing reaps it: well past the watchdog's grace, the server still runs. This pause is the
    // point of the test (nothing may happen in it): 1.5 s is three times the watchdog's 500 ms
    // GRACE_MS (src/process/watchdog-main.mjs), bounded, and no event marks "nothing happened".
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(alive([server!])).toEqual([server]);

    process.kill(-server!, 'SIGKILL'); // its own group: clean up ourselves
    expect(await waitFor(() => alive([server!]).length === 0, 2_000)).toBe(true);
  });
});
