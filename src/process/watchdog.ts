/**
 * The host-death watchdog. Every stdio server leads its own process group, so when the host process
 * dies without closing (SIGKILL, an uncaught exception, `process.exit()`, an unhandled signal) the
 * servers only see stdin EOF, which many ignore, and a terminal's Ctrl-C never reaches them. The
 * watchdog is one tiny Node process per host process (started lazily by the first `watchGroup`) that
 * holds the set of live server groups and reaps them once the host is gone.
 *
 * Protocol: the host writes `+<pgid>` / `-<pgid>` lines to the watchdog's stdin. The host's end of that
 * pipe is closed by the OS however the host dies, so EOF (or an error) on stdin means the host is gone:
 * the watchdog SIGTERMs every registered group, waits up to 500 ms for them to empty, SIGKILLs the
 * rest and exits. As a backup it also notices its parent changing (re-parenting after the host died).
 * It signals only the groups it was told about, and only while they exist.
 *
 * The watchdog runs in its own process group and session (`detached`), so signals aimed at the host's
 * group do not stop it, and it ignores SIGINT/SIGHUP. Both the child and our end of its pipe are
 * unref'd: it never keeps the host process alive, and after a normal exit it sees EOF with nothing
 * registered and exits too. If it dies, the next registration starts a new one and re-sends every
 * group still registered.
 *
 * Opt-out: set `BERTH_NO_WATCHDOG=1` in the host's environment (read at each registration). Not used
 * on Windows, where berth has no process groups to reap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';

/**
 * The watchdog program, run as `node -e <source> <host pid>`: a plain script with no imports, kept
 * here as a string so it runs the same whether berth runs from `src/` or `dist/`.
 */
const WATCHDOG_SOURCE = String.raw`
'use strict';
const hostPid = Number(process.argv[1]);
const GRACE_MS = 500;
const groups = new Set(); // registered process group ids
let reaping = false;

// Signals from a terminal or session are not ours to obey; only the host's going away ends us.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});

// Sends sig to group pgid; true if the group exists and we may signal it (else: forget it).
function signalGroup(pgid, sig) {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

// Registration lines: "+<pgid>" or "-<pgid>". Anything else (or a pgid <= 1) is ignored.
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    const pgid = Number(line.slice(1));
    if (!Number.isSafeInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.add(pgid);
    else if (line[0] === '-') groups.delete(pgid);
  }
});

// The host is gone: SIGTERM every group, give them GRACE_MS to empty, SIGKILL what is left, exit.
function reap() {
  if (reaping) return;
  reaping = true;
  clearInterval(parentWatch);
  for (const pgid of groups) if (!signalGroup(pgid, 'SIGTERM')) groups.delete(pgid);
  const deadline = Date.now() + GRACE_MS;
  const poll = setInterval(() => {
    for (const pgid of groups) if (!signalGroup(pgid, 0)) groups.delete(pgid);
    if (groups.size > 0 && Date.now() < deadline) return;
    clearInterval(poll);
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
    process.exit(0);
  }, 25);
}
process.stdin.on('end', reap);
process.stdin.on('error', reap);
process.stdin.on('close', reap);

// Backup: re-parented means the host died. Wait one more tick first, so lines the host wrote just
// before dying are still read from the pipe (EOF normally comes first anyway).
let orphaned = false;
const parentWatch = setInterval(() => {
  if (process.ppid === hostPid) return;
  if (orphaned) reap();
  orphaned = true;
}, GRACE_MS);
`;

interface Watchdog {
  child: ChildProcess;
  stdin: Writable;
}

/** Every group registered and not yet unregistered, re-sent to a restarted watchdog. */
const groups = new Set<number>();
let current: Watchdog | undefined;

function enabled(): boolean {
  return process.platform !== 'win32' && process.env.BERTH_NO_WATCHDOG !== '1';
}

/** Writes to the watchdog; a dead one is noticed through its `error`/`exit` events, never thrown. */
function send(watchdog: Watchdog, text: string): void {
  if (text === '' || !watchdog.stdin.writable) return;
  try {
    watchdog.stdin.write(text);
  } catch {
    // A write to a destroyed pipe reports through 'error'; nothing to do here.
  }
}

/** Starts the watchdog and registers every known group with it; undefined if it cannot start. */
function start(): Watchdog | undefined {
  // The watchdog needs nothing from NODE_OPTIONS (an inspector port, preloaded hooks) and must not inherit it.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(process.pid)], {
      detached: true, // its own group and session: signals meant for the host's group miss it
      stdio: ['pipe', 'ignore', 'ignore'],
      env,
      cwd: '/',
      windowsHide: true,
    });
  } catch {
    return undefined;
  }
  const stdin = child.stdin;
  if (!stdin) return undefined;
  const watchdog: Watchdog = { child, stdin };
  const forget = () => {
    if (current === watchdog) current = undefined;
  };
  child.on('error', forget);
  child.on('exit', forget);
  stdin.on('error', forget); // EPIPE: the watchdog is gone
  // Never keep the host alive: neither the process handle nor our end of the pipe.
  child.unref();
  (stdin as Partial<Socket>).unref?.();
  current = watchdog;
  send(watchdog, [...groups].map((pgid) => `+${pgid}\n`).join(''));
  return watchdog;
}

/** Registers process group `pgid` to be reaped if this process dies before `unwatchGroup(pgid)`. */
export function watchGroup(pgid: number): void {
  if (!Number.isSafeInteger(pgid) || pgid <= 1 || !enabled()) return;
  groups.add(pgid);
  if (current) send(current, `+${pgid}\n`);
  else start(); // registers every group, this one included
}

/** Unregisters process group `pgid` (it is gone, so its id may be reused). */
export function unwatchGroup(pgid: number): void {
  if (!groups.delete(pgid)) return;
  if (current) send(current, `-${pgid}\n`);
}

/** For diagnostics and tests: the pid of the running watchdog, if one is running. */
export function watchdogPid(): number | undefined {
  return current?.child.pid;
}
