/**
 * What a running server process keeps in memory: its environment is handed to the spawn and not
 * kept. A closure made inside `ServerProcess.spawn` (a no-op error listener) once kept the whole of
 * `spawn`'s scope, the environment with it, alive for as long as the process ran: about a kilobyte
 * per keyed session on this machine, more where environments are large.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ServerProcess } from '../../src/process/server-process.js';
import { waitFor } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Spawns a process that waits on its stdin, with an environment only a WeakRef still points at. */
async function spawnWithEnvironment(): Promise<{ child: ServerProcess; env: WeakRef<object> }> {
  const env = { ...(process.env as Record<string, string>), BERTH_BIG: 'x'.repeat(64 * 1024) };
  const child = await ServerProcess.spawn({
    server: 'memory',
    command: process.execPath,
    args: ['-e', 'process.stdin.resume()'],
    env,
    stderrBufferBytes: 1024,
  });
  return { child, env: new WeakRef(env) };
}

describe('ServerProcess memory', () => {
  it('does not keep the environment it was spawned with while the process runs', async () => {
    const { child, env } = await spawnWithEnvironment();
    try {
      const released = await waitFor(() => (gc(), env.deref() === undefined), 5_000);
      expect(released, 'the environment is still reachable from the running process').toBe(true);
      expect(child.exitInfo).toBeUndefined(); // still running: it is not the exit that freed it
    } finally {
      await child.terminate({ stdinGraceMs: 1_000, termGraceMs: 1_000 });
    }
  });
});
