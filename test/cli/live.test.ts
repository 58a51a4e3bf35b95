/**
 * The CLI's live lines, end to end: `berth call` draws the server's progress as a bar on stderr when
 * stderr is a terminal (run under a real pseudo-terminal with util-linux `script`), and never when
 * stderr is piped or redirected; `berth tools`/`status` say which servers are still starting instead
 * of waiting in silence.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, berth, berthInTerminal, FIXTURE, HAS_SCRIPT, TINY } from './run-cli.js';

let dir: string;
let config: string;
let slowConfig: string;

/** The escape sequence a live line is erased with. */
const ERASE = '\r\x1b[K';

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'berth-live-'));
  config = join(dir, 'fx.json');
  await writeFile(
    config,
    JSON.stringify({ mcpServers: { fx: { command: process.execPath, args: [FIXTURE] } } }),
  );
  // A server that never answers, with a deadline long enough for the notices to show first.
  slowConfig = join(dir, 'slow.json');
  await writeFile(
    slowConfig,
    JSON.stringify({
      mcpServers: {
        slow: { command: process.execPath, args: [FIXTURE, '--hang-on-start'], startupTimeoutMs: 6_000 },
        quick: { command: process.execPath, args: [TINY] },
      },
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAS_SCRIPT)('berth call: a progress bar on a terminal', () => {
  it('draws the bar on the terminal, erases it, and keeps the result clean', async () => {
    const out = join(dir, 'result.txt');
    // stdout to a file, stderr the terminal: the bar shows, the file gets only the result.
    const run = await berthInTerminal(['call', 'fx__sleep', '{"ms": 800}', '--config', config], {
      cwd: dir,
      redirect: `> ${out}`,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${ERASE}fx__sleep [######------------------]  25% 1/4`);
    expect(run.stdout).toContain(`${ERASE}fx__sleep [########################] 100% 4/4`);
    expect(run.stdout).toContain(`100% 4/4${ERASE}`); // erased after the last step
    expect(await readFile(out, 'utf8')).toBe('slept 800\n');
  });

  it('draws nothing when stderr is redirected, even from a terminal', async () => {
    const err = join(dir, 'stderr.txt');
    const run = await berthInTerminal(['call', 'fx__sleep', '{"ms": 400}', '--config', config], {
      cwd: dir,
      redirect: `2> ${err}`,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('slept 400');
    const stderr = await readFile(err, 'utf8');
    expect(stderr).not.toContain('\x1b[');
    expect(stderr).not.toContain('fx__sleep [');
    expect(run.stdout).not.toContain('fx__sleep [');
  });
});

describe('berth call: no bar without a terminal', () => {
  it('piped stdout and stderr get the result and nothing live', async () => {
    const run = await berth(['call', 'fx__sleep', '{"ms": 400}', '--config', config], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('slept 400\n');
    expect(run.stderr).not.toContain('\x1b[');
    expect(run.stderr).not.toContain('\r');
  });
});

describe('berth tools / status: what is still starting', () => {
  it.skipIf(!HAS_SCRIPT)(
    'on a terminal, a live "starting" line, erased once start-up has settled',
    async () => {
      const run = await berthInTerminal(['tools', '--config', slowConfig], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${ERASE}berth: starting slow… `);
      expect(run.stdout).toMatch(/berth: starting slow… \d+\.\d s/);
      // Then the final note of what is not ready, and the tools of the server that is.
      expect(run.stdout).toContain('berth: server "slow" is failed');
      expect(run.stdout).toMatch(/quick__increment\s+quick/);
    },
  );

  it('on a pipe, one plain note while a server is still starting', async () => {
    const run = await berth(['status', '--config', slowConfig], { cwd: dir });
    expect(run.code).toBe(1); // slow failed
    expect(run.stderr).toContain('berth: still starting: slow (each within its startupTimeoutMs)\n');
    expect(run.stderr).not.toContain('\x1b[');
    expect(run.stdout).toMatch(/^slow\s+failed/m);
  });

  it('--json: no notice at all', async () => {
    const run = await berth(['status', '--config', slowConfig, '--json'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toHaveLength(2);
  });
});
