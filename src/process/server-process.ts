/**
 * One stdio server process and everything it started. `ServerProcess` alone spawns the child (as the
 * leader of a new process group), alone signals it, and alone reaps it. Termination is staged and
 * recorded: close stdin and wait, SIGTERM the group and wait, SIGKILL the group; each stage waits for
 * the leader's `exit` (never `close`, which a grandchild holding the pipes could delay forever) and for
 * the group to be empty. Each group is registered with the host-death watchdog (`watchdog.ts`) from
 * spawn until termination finds it gone, so it is reaped even if the host dies without terminating it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { settleWithin } from '../util/abort.js';
import { isGroupAlive, signalGroup } from './group.js';
import { spawnError } from './spawn-error.js';
import { StderrTail } from './stderr-tail.js';
import { unwatchGroup, watchGroup } from './watchdog.js';

/** What to run. `env` is the child's whole environment (berth computes it; see `childEnvironment`). */
export interface SpawnSpec {
  /** The server's name, for errors. */
  server: string;
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string;
  /** Bytes of stderr to keep. */
  stderrBufferBytes: number;
}

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The stage at which termination found the whole group gone. */
export type TerminationStage = 'already-exited' | 'stdin-closed' | 'sigterm' | 'sigkill';

/** What `terminate()` had to do. */
export interface TerminationReport {
  stage: TerminationStage;
  /** True when SIGKILL was needed. */
  forced: boolean;
  /** False only if processes of the group were still running after SIGKILL and its wait. */
  groupGone: boolean;
  exit: ExitInfo;
}

/** Grace periods for `terminate()`. */
export interface TerminationOptions {
  stdinGraceMs: number;
  termGraceMs: number;
  /** How long to wait for the group to vanish after SIGKILL. */
  killWaitMs?: number;
}

const POLL_MS = 15;

/**
 * The listener for errors a process or its pipes may raise that `exit` reports anyway. Defined out
 * here: a closure made inside `spawn` would keep `spawn`'s scope, and with it the child's whole
 * environment, alive for as long as the process runs.
 */
function ignore(): void {}

/** A running stdio server process (the leader of its own process group). */
export class ServerProcess {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** The last bytes the process wrote to stderr. */
  readonly stderr: StderrTail;
  /** Resolves when the leader exits. Never rejects. */
  readonly exited: Promise<ExitInfo>;

  #exit: ExitInfo | undefined;
  #termination: Promise<TerminationReport> | undefined;
  /** Kept readable to the end, for the tail of a crash; unref'd once terminated. */
  readonly #stderrPipe: Readable;

  private constructor(child: ChildProcessByStdio<Writable, Readable, Readable>, spec: SpawnSpec) {
    this.pid = child.pid!;
    this.stdin = child.stdin;
    this.stdout = child.stdout;
    this.stderr = new StderrTail(spec.stderrBufferBytes);
    this.#stderrPipe = child.stderr;
    child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    // Pipe errors (EPIPE after the child died) are expected; the exit is what reports the failure.
    child.stdin.on('error', ignore);
    child.stdout.on('error', ignore);
    child.stderr.on('error', ignore);
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  /** Spawns the server in a new process group; rejects with a `ServerError` (phase `spawn`) if it cannot start. */
  static spawn(spec: SpawnSpec): Promise<ServerProcess> {
    return new Promise((resolve, reject) => {
      let child: ChildProcessByStdio<Writable, Readable, Readable>;
      try {
        child = spawn(spec.command, [...spec.args], {
          cwd: spec.cwd,
          env: spec.env,
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: process.platform !== 'win32', // setsid(): the child leads a new process group
          windowsHide: true,
        });
      } catch (error) {
        reject(spawnError(spec, error));
        return;
      }
      const onError = (error: Error) => {
        child.off('spawn', onSpawn);
        reject(spawnError(spec, error));
      };
      const onSpawn = () => {
        child.off('error', onError);
        child.on('error', ignore); // later errors (kill of a dead pid) surface through `exit`
        watchGroup(child.pid!); // reaped by the watchdog if this host dies without terminating it
        resolve(new ServerProcess(child, spec));
      };
      child.once('error', onError);
      child.once('spawn', onSpawn);
    });
  }

  /** The exit status, once the leader has exited. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  /** Stops the whole process group in stages; idempotent, concurrent callers share one run. */
  terminate(options: TerminationOptions): Promise<TerminationReport> {
    this.#termination ??= this.#terminate(options);
    return this.#termination;
  }

  async #terminate(options: TerminationOptions): Promise<TerminationReport> {
    const report = (stage: TerminationStage, forced: boolean, groupGone: boolean): TerminationReport => ({
      stage,
      forced,
      groupGone,
      exit: this.#exit ?? { code: null, signal: null },
    });
    try {
      if (this.#exit && !isGroupAlive(this.pid)) return report('already-exited', false, true);
      this.stdin.end();
      if (await this.#waitGone(options.stdinGraceMs)) return report('stdin-closed', false, true);
      signalGroup(this.pid, 'SIGTERM');
      if (await this.#waitGone(options.termGraceMs)) return report('sigterm', false, true);
      signalGroup(this.pid, 'SIGKILL');
      const gone = await this.#waitGone(options.killWaitMs ?? 2_000);
      return report('sigkill', true, gone);
    } finally {
      this.stdin.destroy();
      this.stdout.destroy();
      // stderr stays open for the last lines of a crash, but a process that left the group and
      // still holds it must not keep the host alive.
      (this.#stderrPipe as Partial<Socket>).unref?.();
      // Once the group is gone its id may be reused: the watchdog must forget it.
      if (this.#exit && !isGroupAlive(this.pid)) unwatchGroup(this.pid);
    }
  }

  /** Waits up to `ms` for the leader to exit and the group to empty. */
  async #waitGone(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (true) {
      if (this.#exit && !isGroupAlive(this.pid)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await settleWithin(this.exited, Math.min(left, POLL_MS)); // wake on exit, or poll the group again
    }
  }
}
