/**
 * After `close()`, nothing of berth's is left: a real process hosting berth (`dist/`) runs a scenario
 * in every scope (pings, idle sweeps, prewarm pools, restarts, backoff timers, waiting calls), closes
 * its host, and must then exit by itself, with every server process it spawned already gone when
 * `close()` resolved.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, FIXTURE, pidFile, waitFor } from '../helpers.js';

const CHILD = fileURLToPath(new URL('../fixtures/lifecycle-child.mjs', import.meta.url));

/** Runs a scenario; resolves with the servers alive when it printed CLOSED, and how it exited. */
async function runScenario(scenario: string) {
  const pids = pidFile();
  let out = '';
  let err = '';
  let aliveAtClose: number[] | undefined;
  const child = spawn(process.execPath, [CHILD, FIXTURE, scenario], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FIXTURE_PID_FILE: pids.path },
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (aliveAtClose === undefined && out.includes('CLOSED')) aliveAtClose = alive(pids.pids());
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = await waitFor(() => out.includes('CLOSED') || child.exitCode !== null, 20_000);
  const closedAt = Date.now();
  // Once closed, the process must exit by itself, promptly: nothing keeps its event loop alive.
  const exitedAlone = await waitFor(() => child.exitCode !== null, 3_000);
  if (!exitedAlone) child.kill('SIGKILL');
  const code = await exited;
  return { closed, exitedAlone, code, aliveAtClose, spawned: pids.pids(), closedAt, out, err };
}

describe('a process that closes its host exits by itself', () => {
  for (const scenario of ['all-scopes', 'close-during-restart', 'close-during-backoff']) {
    it(
      scenario,
      async () => {
        const run = await runScenario(scenario);
        expect(run.closed, run.err).toBe(true);
        expect(run.spawned.length).toBeGreaterThan(0);
        expect(run.aliveAtClose, run.err).toEqual([]);
        expect(run.exitedAlone, run.out).toBe(true);
        expect(run.code, run.err).toBe(0);
      },
      30_000,
    );
  }
});
