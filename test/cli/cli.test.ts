/**
 * End-to-end tests of the `berth` CLI: the built `dist/bin/berth.js` run as a real child process, on the
 * embedded demo config and on temp config files. Every run must end by itself (never killed by the
 * `execFile` timeout) and leave no server process behind.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/process/group.js';

const CLI = fileURLToPath(new URL('../../dist/bin/berth.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/fixture-server.mjs', import.meta.url));
/** Far above a normal run (well under a second); reaching it means the CLI hung. */
const HANG_TIMEOUT_MS = 20_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;

/** Runs the CLI (from a temp directory, so nothing depends on the repo as cwd) and asserts it exited by itself. */
async function berth(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { run, killed, signal } = await new Promise<{ run: Run; killed: boolean; signal: string | null }>(
    (resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { cwd: dir, timeout: HANG_TIMEOUT_MS, env: { ...process.env, BERTH_DEBUG: '', ...env } },
        (error, stdout, stderr) => {
          const failure = error as
            (Error & { code?: unknown; killed?: boolean; signal?: string | null }) | null;
          const code = failure ? (typeof failure.code === 'number' ? failure.code : null) : 0;
          resolve({
            run: { code, stdout, stderr },
            killed: failure?.killed ?? false,
            signal: failure?.signal ?? null,
          });
        },
      );
    },
  );
  expect(killed, `berth ${args.join(' ')} hung and was killed`).toBe(false);
  expect(signal, `berth ${args.join(' ')} ended by a signal`).toBeNull();
  return run;
}

async function writeConfig(name: string, config: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('berth on the embedded demo config', () => {
  it('tools lists the demo tools in a table', async () => {
    const run = await berth(['tools']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TOOL\s+SERVER\s+DESCRIPTION$/);
    expect(run.stdout).toMatch(/^counter__increment\s+counter\s+\S/m);
    expect(run.stdout).toMatch(/^toolbox__echo\s+toolbox\s+\S/m);
    // Aligned: the SERVER column starts at the same offset on every line.
    const offsets = new Set(lines.map((line) => line.search(/ {2}\S/)));
    expect(offsets.size).toBe(1);
    expect(run.stderr).toContain('built-in demo config');
  });

  it('tools --json prints the catalog array and nothing else', async () => {
    const run = await berth(['tools', '--json']);
    expect(run.code).toBe(0);
    const tools = JSON.parse(run.stdout) as { name: string; server: string; inputSchema: unknown }[];
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['counter__increment', 'counter__get', 'counter__reset']));
    expect(names).toEqual(
      expect.arrayContaining(['toolbox__echo', 'toolbox__add', 'toolbox__now', 'toolbox__uuid']),
    );
    expect(tools.find((t) => t.name === 'toolbox__echo')?.server).toBe('toolbox');
    expect(run.stderr).toBe('');
  });

  it('call counter__increment {"by":2} prints 2', async () => {
    const run = await berth(['call', 'counter__increment', '{"by":2}']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('2\n');
  });

  it('call toolbox__add prints the sum; --json prints the whole result', async () => {
    const plain = await berth(['call', 'toolbox__add', '{"a": 2, "b": 3.5}']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('5.5\n');

    const json = await berth(['call', 'toolbox__add', '{"a": 1, "b": 2}', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      content: [{ type: 'text', text: '3' }],
      structuredContent: { sum: 3 },
    });
  });

  it('call with no arguments uses {} (and schema defaults apply on the server)', async () => {
    const run = await berth(['call', 'counter__increment']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('1\n');
  });

  it('status --json parses and shows both servers ready', async () => {
    const run = await berth(['status', '--json']);
    expect(run.code).toBe(0);
    const servers = JSON.parse(run.stdout) as {
      name: string;
      state: string;
      transport: string;
      pid?: number;
      tools: number;
    }[];
    expect(servers.map((s) => [s.name, s.state, s.transport])).toEqual([
      ['counter', 'ready', 'stdio'],
      ['toolbox', 'ready', 'stdio'],
    ]);
    for (const server of servers) {
      expect(server.pid).toEqual(expect.any(Number));
      expect(server.tools).toBeGreaterThan(0);
    }
  });

  it('demo tours one host: status, tools, and calls that keep state across calls', async () => {
    const run = await berth(['demo']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/counter\s+ready\s+stdio/);
    expect(run.stdout).toContain('counter__increment {"by":2} → 2');
    expect(run.stdout).toContain('counter__increment {"by":3} → 5');
    expect(run.stdout).toContain('toolbox__add {"a":20,"b":22} → 42');
  });

  it('status prints an aligned table', async () => {
    const run = await berth(['status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^SERVER\s+STATE\s+TRANSPORT\s+PID\s+TOOLS\s+RESTARTS\s+LAST ERROR$/m);
    expect(run.stdout).toMatch(/^counter\s+ready\s+stdio\s+\d+\s+3\s+0\s+-$/m);
    expect(run.stdout).toMatch(/^toolbox\s+ready\s+stdio\s+\d+\s+4\s+0\s+-$/m);
  });

  it('an unknown tool exits non-zero with a suggestion on stderr', async () => {
    const run = await berth(['call', 'counter__incremnt', '{}']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown tool "counter__incremnt"');
    expect(run.stderr).toContain('did you mean "counter__increment"');
    expect(run.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('invalid JSON arguments exit non-zero with a clear message', async () => {
    const run = await berth(['call', 'counter__increment', '{by: 2}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid JSON arguments');
    expect(run.stderr).toContain('expected a JSON object');
    expect(run.stderr).not.toMatch(/^\s+at /m);

    const array = await berth(['call', 'counter__increment', '[2]']);
    expect(array.code).toBe(1);
    expect(array.stderr).toContain('got an array');
  });

  it('arguments that fail the input schema exit non-zero, naming the path and the expected shape', async () => {
    const run = await berth(['call', 'counter__increment', '{"by": "two"}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid arguments for "counter__increment"');
    expect(run.stderr).toContain('/by');
    expect(run.stderr).toContain('{ by?: integer }');
  });

  it('a closed stderr does not crash a run (notices are dropped, the result still prints)', async () => {
    const child = spawn(process.execPath, [CLI, 'call', 'counter__increment', '{"by": 4}'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr.destroy();
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_TIMEOUT_MS); // never outlive the test
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(guard);
    expect(code).toBe(0);
    expect(stdout).toBe('4\n');
  });

  it('arguments nested 30,000 levels deep are an argument problem, not a stack overflow', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    const run = await berth(['call', 'toolbox__echo', `{"text": "x", "extra": ${deep}}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid arguments for "toolbox__echo"');
    expect(run.stderr).toContain('is nested deeper than');
    expect(run.stderr).not.toContain('Maximum call stack');
  });

  it('BERTH_DEBUG=1 adds the stack trace', async () => {
    const run = await berth(['call', 'nope'], { BERTH_DEBUG: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\s+at /m);
  });

  it('a bad --timeout is a usage error', async () => {
    const run = await berth(['call', 'counter__get', '--timeout', 'soon']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--timeout');
  });

  it.each(['2147483648', '99999999999999', '0', '-5', '1.5', '1e3'])(
    '--timeout %s (out of what a timer honours) is a usage error giving the range',
    async (value) => {
      const run = await berth(['call', 'counter__get', '--timeout', value]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('--timeout');
      expect(run.stderr).toContain(
        'expected a whole number of milliseconds from 1 to 2147483647 (24.8 days)',
      );
      expect(run.stdout).toBe('');
    },
  );
});

describe('berth --config', () => {
  it('uses a config file pointing at the fixture server (relative to the cwd)', async () => {
    const pidFile = join(dir, 'pids.txt');
    await writeConfig('fixture.json', {
      mcpServers: { fx: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_PID_FILE: pidFile } } },
    });

    const tools = await berth(['tools', '--config', 'fixture.json']);
    expect(tools.code).toBe(0);
    expect(tools.stdout).toMatch(/^fx__increment\s+fx\s+Add to the counter$/m);
    expect(tools.stdout).not.toContain('counter__increment');
    expect(tools.stderr).toContain(join(dir, 'fixture.json'));

    const echo = await berth(['call', 'fx__echo', '{"value": "hello"}', '--config', 'fixture.json']);
    expect(echo.code).toBe(0);
    expect(echo.stdout).toBe('hello\n');

    // Every server process the runs started is gone once the CLI has exited.
    const pids = (await readFile(pidFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => Number(line.split(' ')[1]));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(isProcessAlive(pid), `server ${pid} outlived the CLI`).toBe(false);
  });

  it('call --key selects the session of a keyed server; without it the error says what to pass', async () => {
    const config = await writeConfig('keyed.json', {
      mcpServers: { fx: { command: process.execPath, args: [FIXTURE], session: 'keyed' } },
    });
    const missing = await berth(['call', 'fx__get', '--config', config]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/session scope "keyed": pass a key/);
    const keyed = await berth(['call', 'fx__increment', '{"by": 3}', '--key', 'conv-1', '--config', config]);
    expect(keyed.code).toBe(0);
    expect(keyed.stdout).toBe('3\n');
    const empty = await berth(['call', 'fx__get', '--key', '', '--config', config]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('expected a non-empty key');
    expect(empty.stdout).toBe('');
  });

  it('a tool result with isError exits 1 and prints the error text on stderr', async () => {
    const config = await writeConfig('fail.json', {
      mcpServers: { fx: { command: process.execPath, args: [FIXTURE] } },
    });
    const run = await berth(['call', 'fx__fail', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('it failed');

    const json = await berth(['call', 'fx__fail', '--json', '--config', config]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ isError: true });
  });

  it('--timeout ends a slow call with a non-zero exit', async () => {
    const config = await writeConfig('slow.json', {
      mcpServers: { fx: { command: process.execPath, args: [FIXTURE] } },
    });
    // 10 s: far more than a start takes even on a loaded machine (with 4 s a start under a full
    // parallel suite used it all, and the call timed out before it was sent).
    const run = await berth(['call', 'fx__sleep', '{"ms": 60000}', '--timeout', '10000', '--config', config]);
    expect(run.code).toBe(1);
    // The call gets what start-up left of the 10 s.
    expect(run.stderr).toMatch(/call timed out after \d+ ms \(the request was sent/);
    expect(run.stderr).toContain('--timeout 10000 ms covers starting the server and the call');
  });

  describe('with a server that never answers in the config', () => {
    let config: string;
    let hangPids: string;
    beforeAll(async () => {
      hangPids = join(dir, 'hang-pids.txt');
      config = await writeConfig('hang.json', {
        mcpServers: {
          hang: {
            command: process.execPath,
            args: [FIXTURE, '--hang-on-start'],
            env: { FIXTURE_PID_FILE: hangPids },
            // Far past the hang timeout (20 s): a run that waited for this start is killed and fails.
            startupTimeoutMs: 120_000,
          },
          fx: { command: process.execPath, args: [FIXTURE] },
        },
      });
    });

    it('call starts only the server the tool belongs to, so it does not wait for the other', async () => {
      // A run that waited for the never-answering server would be killed at the hang timeout
      // (`berth` fails it), far before that server's 120 s startup timeout.
      const run = await berth(['call', 'fx__echo', '{"value": "quick"}', '--config', config]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('quick\n');
      expect(existsSync(hangPids), 'the server the call does not need was spawned').toBe(false);
    });

    it('--timeout bounds starting the server as well as the call', async () => {
      // Long enough for the server's Node to boot and record its pid on a loaded machine (2 s was not,
      // under a full parallel suite), far below its 120 s startup timeout and the 20 s hang timeout.
      const run = await berth(['call', 'hang__echo', '{}', '--timeout', '8000', '--config', config]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('timed out after 8000 ms waiting for server "hang" to start');
      expect(run.stderr).not.toMatch(/^\s+at /m);
      // It was started, and it is gone.
      const pids = (await readFile(hangPids, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ')[1]));
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) expect(isProcessAlive(pid), `server ${pid} outlived the CLI`).toBe(false);
    });
  });

  it('call of a misspelt tool still suggests names from every server', async () => {
    const config = await writeConfig('two.json', {
      mcpServers: {
        fx: { command: process.execPath, args: [FIXTURE] },
        other: { command: process.execPath, args: [FIXTURE, '--tool-name=fx__echo_twice'] },
      },
    });
    const tool = await berth(['call', 'fx__ecko', '--config', config]);
    expect(tool.code).toBe(1);
    expect(tool.stderr).toContain('did you mean "fx__echo"');
    const server = await berth(['call', 'fz__echo', '--config', config]);
    expect(server.code).toBe(1);
    expect(server.stderr).toContain('unknown tool "fz__echo"');
    expect(server.stderr).toContain('"fx__echo"');
    expect(server.stderr.match(/berth: using/g)).toHaveLength(1);
  });

  it('an unparsable config file exits non-zero, naming the file and the JSON path', async () => {
    const config = await writeConfig('broken.json', '{ "mcpServers": { "a": ');
    const run = await berth(['tools', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${config}: $: invalid JSON`);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('a config file of the wrong shape exits non-zero, naming the file and the JSON path', async () => {
    const config = await writeConfig('shape.json', { mcpServers: ['not', 'an', 'object'] });
    const run = await berth(['status', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${config}: $.mcpServers: expected an object`);
  });

  it('an invalid server entry fails status, naming the file and the JSON path', async () => {
    const config = await writeConfig('entry.json', {
      mcpServers: { good: { command: process.execPath, args: [FIXTURE] }, bad: { command: 42 } },
    });
    const run = await berth(['status', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^good\s+ready\s+/m);
    expect(run.stdout).toMatch(/^bad\s+failed\s+/m);
    expect(run.stdout).toContain(`${config}: $.mcpServers.bad.command`);

    // The good server still works; the bad one is named on stderr.
    const tools = await berth(['tools', '--config', config]);
    expect(tools.code).toBe(0);
    expect(tools.stdout).toContain('good__increment');
    expect(tools.stderr).toContain(`server "bad" is failed: ${config}: $.mcpServers.bad.command`);
  });

  it('a missing config file exits non-zero with a clear message', async () => {
    const run = await berth(['tools', '--config', 'does-not-exist.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${join(dir, 'does-not-exist.json')}: $: cannot read config: file not found`,
    );
  });

  it('status --verbose shows a failed server’s error and stderr tail', async () => {
    const config = await writeConfig('crash.json', {
      mcpServers: {
        crashy: {
          command: process.execPath,
          args: [FIXTURE, '--crash-on-start'],
          restart: { maxRestarts: 0 },
        },
      },
    });
    const run = await berth(['status', '--verbose', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^crashy\s+failed\s+stdio\s+-\s+0\s+0\s+server "crashy"/m);
    expect(run.stdout).toContain('exit code 3');
    expect(run.stdout).toContain('| fatal: crash-on-start requested');
  });
});

describe('a server that dies mid-call', () => {
  it('berth call prints one line naming the server, then the server’s stderr, marked as its own', async () => {
    const config = await writeConfig('dies.json', {
      mcpServers: { dies: { command: process.execPath, args: [FIXTURE], restart: { maxRestarts: 0 } } },
    });
    const run = await berth(['call', 'dies__crash', '--config', config]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /^berth: server "dies" exited while the request was in flight \(phase: call, exit code 7\)/m,
    );
    expect(run.stderr).toContain("berth: the server's stderr (tail):\n");
    expect(run.stderr).toContain('  | fatal: crash tool called');
  });
});

describe('status --verbose and malformed tools', () => {
  it('names each tool left out and why', async () => {
    const config = await writeConfig('bad-tools.json', {
      mcpServers: { s: { command: process.execPath, args: [FIXTURE, '--invalid-tools=string-schema'] } },
    });
    const run = await berth(['status', '--verbose', '--config', config]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/tool left out \(malformed\): \S+: .+/);
  });
});
