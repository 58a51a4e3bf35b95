/**
 * Spawn failures, each against the real operating system: a missing command, a command that is not
 * executable or is a directory, a script whose `#!` interpreter does not exist, a working directory
 * that is missing or is a file, a path through a file. Each must be reported for what it is, naming the
 * server, the phase (`spawn`) and what to do, never as "command not found" for another cause.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHost, ServerError } from '../../src/index.js';
import { ServerProcess } from '../../src/process/server-process.js';
import { FIXTURE } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-spawn-'));
  writeFileSync(join(dir, 'not-executable.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(dir, 'not-executable.sh'), 0o644);
  writeFileSync(join(dir, 'bad-interpreter.sh'), '#!/berth/no/such/interpreter\necho hi\n');
  chmodSync(join(dir, 'bad-interpreter.sh'), 0o755);
  writeFileSync(join(dir, 'crlf.sh'), '#!/bin/sh\r\necho hi\r\n');
  chmodSync(join(dir, 'crlf.sh'), 0o755);
  writeFileSync(join(dir, 'a-file'), '');
  mkdirSync(join(dir, 'a-directory'));
});

/** Starts one server from `entry` and returns its status error. */
async function startError(entry: Record<string, unknown>) {
  const host = await createHost({ mcpServers: { s: entry } });
  try {
    const [status] = host.status();
    expect(status?.state).toBe('failed');
    return status!.lastError!;
  } finally {
    await host.close();
  }
}

/** Spawns the fixture directly in `cwd` (past the config's checks) and returns the error. */
async function spawnError(cwd: string): Promise<ServerError> {
  const spawned = ServerProcess.spawn({
    server: 's',
    command: process.execPath,
    args: [FIXTURE],
    env: {},
    cwd,
    stderrBufferBytes: 1024,
  });
  const error = await spawned.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServerError);
  return error as ServerError;
}

describe('a server that cannot be spawned is reported for what went wrong', () => {
  it('a command that does not exist', async () => {
    const error = await startError({ command: 'berth-no-such-command-xyz' });
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(
      /^server "s" could not start: command not found: berth-no-such-command-xyz/,
    );
    expect(error.message).toMatch(/not on the PATH the server gets/);
  });

  it('a command that is not executable', async () => {
    const error = await startError({ command: join(dir, 'not-executable.sh') });
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(/^server "s" could not start: .*not-executable\.sh is not executable/);
    expect(error.message).toMatch(/chmod \+x/);
  });

  it('a command that is a directory', async () => {
    const error = await startError({ command: join(dir, 'a-directory') });
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(/^server "s" could not start: .*a-directory is a directory, not a program/);
  });

  it('a script whose #! interpreter does not exist', async () => {
    const error = await startError({ command: join(dir, 'bad-interpreter.sh') });
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(/interpreter .*\/berth\/no\/such\/interpreter.* was not found/);
    expect(error.message).not.toMatch(/command not found/);
  });

  it('a script saved with Windows line endings', async () => {
    const error = await startError({ command: join(dir, 'crlf.sh') });
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(/crlf\.sh has Windows line endings \(CRLF\).*convert it to LF/);
  });

  // The config refuses a missing or non-directory `cwd` before anything starts; a directory can
  // still vanish (or be replaced by a file) between loading the config and spawning, which the
  // spawn itself must then explain.
  it('a working directory that does not exist (any more) at spawn', async () => {
    const error = await spawnError(join(dir, 'no-such-dir'));
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(
      /^server "s" could not start: its working directory does not exist: .*no-such-dir/,
    );
    expect(error.message).toMatch(/"cwd"/);
    expect(error.message).not.toMatch(/command not found/);
  });

  it('a working directory that is a file at spawn', async () => {
    const error = await spawnError(join(dir, 'a-file'));
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(
      /^server "s" could not start: its working directory is not a directory: .*a-file/,
    );
  });

  it('a command path that runs through a file', async () => {
    const error = await startError({ command: join(dir, 'a-file', 'server') });
    expect(error.phase).toBe('spawn');
    expect(error.message).toMatch(/^server "s" could not start: command not found: .*a-file\/server/);
    expect(error.message).toMatch(/not a directory/);
  });
});
