/**
 * `examples/ai.mjs` runs as users run it (`node examples/ai.mjs` after a build, importing `berth` and
 * `berth/ai` by package name) with the fake model: no provider key in its environment.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { alive } from '../helpers.js';
import { frameworkRuns } from './frameworks.js';

const runs = frameworkRuns('AI SDK (example)', '22.0.0');

const EXAMPLE = fileURLToPath(new URL('../../examples/ai.mjs', import.meta.url));

describe.skipIf(!runs)('examples/ai.mjs', () => {
  it('runs two conversations on the fake model, a counter each, and leaves nothing running', async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.ANTHROPIC_API_KEY;
    const { stdout } = await promisify(execFile)(process.execPath, [EXAMPLE], { env, timeout: 60_000 });
    expect(stdout).toContain('model: fake (MockLanguageModelV4)');
    expect(stdout).toContain('alice: The counter is 2. (4 steps)');
    expect(stdout).toContain('bob: The counter is 3. (5 steps)');
    const pids = [...stdout.matchAll(/=pid (\d+)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    expect(alive(pids)).toEqual([]);
  }, 90_000);
});
