/**
 * `berth/mastra` through Mastra's real `Agent` loop, on the AI SDK's own mock model: keys from
 * Mastra's memory threads, results the model sees, errors, abort, progress and catalog changes,
 * against real fixture server processes.
 */
import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/index.js';
import { alive, FIXTURE, waitFor } from '../helpers.js';
import { counterHost, frameworksRun, sayWhySkipped } from './frameworks.js';
import { scriptedModel, type ScriptedCall, type SeenResult } from './mastra-model.js';

sayWhySkipped('Mastra');

// The frameworks only load where they can run (Node >= 22).
const { Agent } = frameworksRun
  ? await import('@mastra/core/agent')
  : ({} as typeof import('@mastra/core/agent'));
const { MockMemory } = frameworksRun
  ? await import('@mastra/core/memory')
  : ({} as typeof import('@mastra/core/memory'));
const { InMemoryStore } = frameworksRun
  ? await import('@mastra/core/storage')
  : ({} as typeof import('@mastra/core/storage'));
const { mastraTools } = frameworksRun
  ? await import('../../src/adapters/mastra/index.js')
  : ({} as typeof import('../../src/adapters/mastra/index.js'));
type MastraToolsOptions = import('../../src/adapters/mastra/index.js').MastraToolsOptions;

/** Text of a tool result the model saw. */
const seenText = (seen: SeenResult | undefined): unknown => seen?.output.value;

/** The keys of the counter's live sessions. */
const counterKeys = (host: Host): string[] =>
  (host.status().find((row) => row.name === 'counter')?.sessions ?? []).flatMap((s) =>
    s.key === undefined ? [] : [s.key],
  );

/** An agent with memory (Mastra's in-memory store) whose model follows `script`. */
function agentWith(
  host: Host,
  script: (seen: SeenResult[]) => ScriptedCall | undefined,
  options: MastraToolsOptions = {},
  final?: (seen: SeenResult[]) => string,
) {
  const model = scriptedModel(script, final);
  const agent = new Agent({
    id: 'berth-test',
    name: 'berth-test',
    instructions: 'Use the tools.',
    // The AI SDK's mock is a LanguageModelV4; Mastra types it with its own bundled copy of the spec.
    model: model as unknown as ConstructorParameters<typeof Agent>[0]['model'],
    tools: mastraTools(host, options).tools,
    memory: new MockMemory({ storage: new InMemoryStore() }),
  });
  return { agent, model };
}

/** increment, increment, get, then the get's answer. */
const countToTwo = (seen: SeenResult[]): ScriptedCall | undefined =>
  [{ tool: 'counter__increment' }, { tool: 'counter__increment' }, { tool: 'counter__get' }][seen.length];

describe.skipIf(!frameworksRun)('berth/mastra', () => {
  it('gives each memory thread its own session: two conversations interleaved, each counts to 2', async () => {
    await using fx = await counterHost();
    const { agent } = agentWith(fx.host, countToTwo, {}, (seen) => String(seenText(seen.at(-1))));
    expect(counterKeys(fx.host)).toEqual([]); // nothing opens before a tool is called

    const run = (thread: string) =>
      agent.generate('count to two', { memory: { thread, resource: 'user-1' }, maxSteps: 8 });
    const [a, b] = await Promise.all([run('thread-a'), run('thread-b')]);
    expect(a.text).toBe('2');
    expect(b.text).toBe('2');
    expect(counterKeys(fx.host).sort()).toEqual(['thread-a', 'thread-b']);

    // A thread keeps its state across generate calls: the same session answers.
    const again = await agent.generate('count again', { memory: { thread: 'thread-a', resource: 'user-1' } });
    expect(again.text).toBe('4');

    // Ending a conversation ends its session (and process); the other keeps its state.
    const sessions = fx.host.status().find((row) => row.name === 'counter')?.sessions ?? [];
    const pidA = sessions.find((s) => s.key === 'thread-a')?.pid;
    expect(pidA).toBeTypeOf('number');
    await fx.host.closeKey('thread-a');
    expect(counterKeys(fx.host)).toEqual(['thread-b']);
    expect(await waitFor(() => alive([pidA!]).length === 0)).toBe(true);
    const b2 = await agent.generate('count again', { memory: { thread: 'thread-b', resource: 'user-1' } });
    expect(b2.text).toBe('4');
  });
});

void FIXTURE;
