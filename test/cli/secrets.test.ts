/**
 * What `berth status` and `berth doctor` print to stdout holds the servers' own words (their errors,
 * their stderr tail): the built CLI, run against a real fixture server that writes a secret of its
 * config (an `env` value) to stderr and then dies, must hide it there as the log does, in text and
 * in `--json`, and escape the control characters a server writes, so it cannot repaint the terminal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, berth, FIXTURE, type Run } from './run-cli.js';

const SECRET = 'sk-live-7d41c09e3b2a58f6';
/** Clears the screen and writes in red, if a terminal is shown it raw. */
const HOSTILE = '\u001b[2J\u001b[31mall is well\u001b[0m\n';

let dir: string;
let config: string;

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'berth-cli-secrets-'));
  config = join(dir, 'leaky.json');
  const leaky = {
    command: process.execPath,
    args: [
      FIXTURE,
      '--stderr-env=API_KEY',
      `--stderr=${Buffer.from(HOSTILE).toString('base64url')}`,
      '--crash-on-start',
    ],
    env: { API_KEY: '${BERTH_TEST_API_KEY}' },
    restart: { maxRestarts: 0 },
  };
  await writeFile(config, JSON.stringify({ mcpServers: { leaky } }, null, 2));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[]) =>
  berth([...args, '--config', config], { cwd: dir, env: { BERTH_TEST_API_KEY: SECRET } });

/** No trace of the secret anywhere the run wrote, nor its cut ends. */
function expectNoSecret(result: Run): void {
  for (const stream of [result.stdout, result.stderr]) {
    expect(stream).not.toContain(SECRET);
    expect(stream).not.toContain(SECRET.slice(0, 12));
    expect(stream).not.toContain(SECRET.slice(-12));
  }
}

describe('secrets in what status and doctor print', () => {
  it('status --verbose hides the secret in the stderr tail and escapes control characters', async () => {
    const result = await run(['status', '--verbose']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('| API_KEY is [redacted]');
    expectNoSecret(result);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain('\\u001b[2J\\u001b[31mall is well\\u001b[0m');
  });

  it('status --json hides the secret in the stderr tail', async () => {
    const result = await run(['status', '--json']);
    expect(result.code).toBe(1);
    const [row] = JSON.parse(result.stdout) as Array<{ stderrTail?: string }>;
    expect(row?.stderrTail).toContain('API_KEY is [redacted]');
    expectNoSecret(result);
  });

  it('doctor hides the secret in the stderr tail, in text and in --json', async () => {
    const text = await run(['doctor']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('| API_KEY is [redacted]');
    expect(text.stdout).not.toContain('\u001b');
    expectNoSecret(text);
    const json = await run(['doctor', '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { servers: Array<{ stderrTail?: string }> };
    expect(report.servers[0]?.stderrTail).toContain('API_KEY is [redacted]');
    expectNoSecret(json);
  });
});
