/**
 * The host-death watchdog. Every stdio server leads its own process group, so when the host process
 * dies without closing (SIGKILL, an uncaught exception, `process.exit()`, an unhandled signal) the
 * servers only see stdin EOF, which many ignore, and a terminal's Ctrl-C never reaches them. The
 * watchdog is one small Node process per host process (`watchdog-main.mjs`, titled
 * `berth-watchdog --host-pid=<pid>` in `ps`) that holds the set of live server groups and reaps them
 * once the host is gone.
 *
 * Lifetime: it starts with the first server group registered (`watchGroup`, at each spawn) and runs
 * while a host holds a lease (`acquireWatchdog()`, from a host's start to its close) or any group is
 * registered. When neither holds any more, it is told to exit (an `exit` line: it leaves every group
 * alone) and its pipe is closed: it never outlives the hosts that needed it.
 *
 * Protocol: `+<pgid>` / `-<pgid>` / `exit` lines on the watchdog's stdin. The host's end of that pipe
 * is closed by the OS however the host dies, so EOF (or an error) without `exit` means the host is
 * gone: the watchdog SIGTERMs every registered group, waits up to 500 ms for them to empty, SIGKILLs
 * the rest and exits. As a backup it also notices being re-parented. It runs in its own process group
 * and session (`detached`), so signals aimed at the host's group do not stop it. Both the child and
 * our end of its pipe are unref'd: it never keeps the host process alive. If it dies, the next
 * registration starts a new one and re-sends every group still registered.
 *
 * Opting out: a host that supervises its processes elsewhere takes its lease with `{ watchdog: false }`.
 * The watchdog is process-wide, so it runs while at least one host wants it (or, with no lease at all,
 * for any process spawned directly); in a process whose every host opted out, none runs and groups are
 * not registered. `BERTH_NO_WATCHDOG=1` in the environment turns it off entirely (read at each
 * registration). Not used on Windows, where berth has no process groups to reap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The watchdog program: a plain script beside this module, in `src/` and `dist/` (and found from `dist/bin/`, the CLI bundle). */
const WATCHDOG_MAIN = fileURLToPath(new URL('../process/watchdog-main.mjs', import.meta.url));

interface Watchdog {
  child: ChildProcess;
  stdin: Writable;
}

/** A host's hold on the watchdog, from its start to its close. */
export interface WatchdogLease {
  /** Gives the hold up (idempotent). The last release with no group registered ends the watchdog. */
  release(): void;
}

/** Options for `acquireWatchdog`. */
export interface WatchdogOptions {
  /** False: this host needs no watchdog (it supervises its processes elsewhere). Default true. */
  watchdog?: boolean;
}

/** Every group registered and not yet unregistered, re-sent to a restarted watchdog. */
const groups = new Set<number>();
let current: Watchdog | undefined;
/** Hosts holding a lease that want the watchdog, and hosts that opted out. */
let wanting = 0;
let optedOut = 0;

function allowed(): boolean {
  return process.platform !== 'win32' && process.env.BERTH_NO_WATCHDOG !== '1';
}

/** Whether groups should be watched: some host wants it, or no host has said (processes spawned directly). */
function wanted(): boolean {
  return allowed() && (wanting > 0 || optedOut === 0);
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
    child = spawn(process.execPath, [WATCHDOG_MAIN, '--host-pid', String(process.pid)], {
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

/** Ends the watchdog if nothing needs it any more: no group registered and no host holding it. */
function stopIfUnneeded(): void {
  if (!current) return;
  if (wanted() && (wanting > 0 || groups.size > 0)) return;
  const watchdog = current;
  current = undefined;
  send(watchdog, 'exit\n'); // leave the groups alone: the host is alive and closed them itself
  watchdog.stdin.end();
}

/**
 * Takes a hold on the watchdog for one host, from its start until `release()` at its close: while any
 * host holds one, the watchdog stays up between server processes instead of starting for each. With
 * `{ watchdog: false }` the host needs none: in a process where every host opted out, none runs.
 */
export function acquireWatchdog(options: WatchdogOptions = {}): WatchdogLease {
  const wants = options.watchdog !== false;
  if (wants) wanting += 1;
  else optedOut += 1;
  // An opt-out can leave no host wanting the watchdog that is running.
  if (!wants) stopIfUnneeded();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (wants) wanting -= 1;
      else optedOut -= 1;
      stopIfUnneeded();
    },
  };
}

/** Registers process group `pgid` to be reaped if this process dies before `unwatchGroup(pgid)`. */
export function watchGroup(pgid: number): void {
  if (!Number.isSafeInteger(pgid) || pgid <= 1 || !wanted()) return;
  groups.add(pgid);
  if (current) send(current, `+${pgid}\n`);
  else start(); // registers every group, this one included
}

/** Unregisters process group `pgid` (it is gone, so its id may be reused). */
export function unwatchGroup(pgid: number): void {
  if (!groups.delete(pgid)) return;
  if (current) send(current, `-${pgid}\n`);
  stopIfUnneeded();
}

/** For diagnostics and tests: the pid of the running watchdog, if one is running. */
export function watchdogPid(): number | undefined {
  return current?.child.pid;
}
