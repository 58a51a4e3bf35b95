/**
 * examples/mastra.mjs runs as a child process on its fake model (no provider key in its
 * environment) and prints each conversation's own count. It imports `berth` and `berth/mastra`
 * from dist/: run `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { frameworkRuns } from './frameworks.js';

const runs = frameworkRuns('Mastra example', '22.13.0');

const EXAMPLE = fileURLToPath(new URL('../../examples/mastra.mjs', import.meta.url));

describe.skipIf(!runs)('examples/mastra.mjs', () => {
  it('runs on the fake model: two conversations, each counts to 2 in its own session', async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.ANTHROPIC_API_KEY;
    const { stdout } = await promisify(execFile)(process.execPath, [EXAMPLE], { env, timeout: 60_000 });
    expect(stdout.trim().split('\n')).toEqual(['alice: the counter is at 2', 'bob: the counter is at 2']);
  });
});
