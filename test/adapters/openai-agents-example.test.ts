/**
 * Runs examples/openai-agents.mjs as a child process on the SDK's scripted model (no OPENAI_API_KEY),
 * through the package's own exports (`berth`, `berth/openai-agents`), and checks what it prints.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { frameworkRuns } from './frameworks.js';

const runs = frameworkRuns('OpenAI Agents SDK example', '22.0.0');

const EXAMPLE = fileURLToPath(new URL('../../examples/openai-agents.mjs', import.meta.url));

describe.skipIf(!runs)('examples/openai-agents.mjs', () => {
  it('keeps each conversation its own counter, with the scripted model', async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [EXAMPLE], {
      env,
      timeout: 60_000,
    });
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      'alice: The counter is 2.',
      'bob: The counter is 1.',
      'alice: The counter is 2.',
      'bob (MCPServer): The counter is 1.',
    ]);
    expect(stderr).toBe('');
  });
});
