/**
 * The `--json` shapes docs/cli.md documents, for the commands whose JSON is not covered elsewhere:
 * `berth demo --json` and `berth serve --json` (one line with the URL it listens on).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, berth, CLI } from './run-cli.js';

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'berth-json-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--json shapes', () => {
  it('demo --json: { status, tools, calls } and nothing else', async () => {
    const run = await berth(['demo', '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const demo = JSON.parse(run.stdout) as {
      status: { name: string; state: string }[];
      tools: { name: string }[];
      calls: { tool: string; arguments: unknown; result: { content: { text: string }[] } }[];
    };
    expect(Object.keys(demo)).toEqual(['status', 'tools', 'calls']);
    expect(demo.status.map((s) => [s.name, s.state])).toEqual([
      ['counter', 'ready'],
      ['toolbox', 'ready'],
    ]);
    expect(demo.tools.map((t) => t.name)).toContain('counter__increment');
    expect(demo.calls.map((c) => [c.tool, c.result.content[0]?.text])).toEqual([
      ['counter__increment', '2'],
      ['counter__increment', '5'],
      ['counter__get', '5'],
      ['toolbox__add', '42'],
    ]);
  });

  it('serve --json: one line {"url"} on stdout once listening, then a clean stop on SIGINT', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--json', '--listen', '127.0.0.1:0'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
      while (!stdout.includes('\n')) await once(child.stdout, 'data');
      const line = JSON.parse(stdout.split('\n')[0]!) as { url: string };
      expect(Object.keys(line)).toEqual(['url']);
      expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
