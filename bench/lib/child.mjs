/**
 * Runs one measurement in a fresh child process (bench/worker.mjs or bench/scope-worker.mjs) and
 * checks that it cleans up after itself: the worker sends one result over IPC, must then exit by
 * itself (a leaked handle fails the benchmark), and must report its server processes gone. Also
 * works out how much CPU other processes used meanwhile, when the worker reports its own and its
 * server's CPU time.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { machineBusySeconds } from './environment.mjs';

const WORKER_TIMEOUT_MS = 10 * 60_000;
const EXIT_GRACE_MS = 10_000;

/**
 * Forks `script` with `args`; resolves with its result (plus `otherCores`) once it has exited by
 * itself. With `profile` ({ dir, name }) the worker runs under `node --cpu-prof`; `timeoutMs` is
 * how long it may take to send its result (default 10 min); `execPath` is the Node binary to run it
 * on (default: this process's, see node-binary.mjs).
 */
export function runChild({ name, script, args, profile, execPath, timeoutMs = WORKER_TIMEOUT_MS }) {
  const execArgv = profile
    ? [
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        profile.dir,
        '--cpu-prof-name',
        profile.name,
      ]
    : [];
  const child = fork(script, args, {
    execArgv,
    ...(execPath ? { execPath } : {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const busyBefore = machineBusySeconds();
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    let message;
    let exitTimer;
    const fail = (error) => {
      clearTimeout(timer);
      clearTimeout(exitTimer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${name}: no result within ${timeoutMs} ms`)), timeoutMs);
    child.on('message', (m) => {
      message = m;
      // The worker must now exit on its own: a leaked handle (server, socket, timer) would keep it alive.
      exitTimer = setTimeout(
        () =>
          fail(new Error(`${name}: worker did not exit on its own within ${EXIT_GRACE_MS} ms after closing`)),
        EXIT_GRACE_MS,
      );
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(exitTimer);
      if (!message) return reject(new Error(`${name}: worker exited (${signal ?? code}) without a result`));
      if (!message.ok) return reject(new Error(`${name}: ${message.error}`));
      if (message.result.serverExited === false) {
        return reject(
          new Error(`${name}: server process ${message.result.serverPid} still running after close`),
        );
      }
      // CPU the rest of the machine used meanwhile, in cores: a high value marks a disturbed run.
      const { worker, server } = message.result.cpuSeconds ?? {};
      const busy = busyBefore === null ? null : machineBusySeconds() - busyBefore;
      const otherCores =
        busy === null || worker === undefined || server === null || server === undefined
          ? null
          : Math.max(0, busy - worker - server) / ((performance.now() - startedAt) / 1000);
      resolve({ ...message.result, otherCores });
    });
  });
}
