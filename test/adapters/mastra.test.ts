/**
 * `berth/mastra` through Mastra's real `Agent` loop, on the AI SDK's own mock model: keys from
 * Mastra's memory threads, results the model sees, errors, abort, progress and catalog changes,
 * against real fixture server processes.
 */
import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/index.js';
import { alive, FIXTURE, waitFor } from '../helpers.js';
import { counterHost, frameworkRuns } from './frameworks.js';
import { resultsIn, scriptedModel, type ScriptedCall, type SeenResult } from './mastra-model.js';

const runs = frameworkRuns('Mastra', '22.13.0');

// The frameworks only load where they can run (Node >= 22).
const { Agent } = runs ? await import('@mastra/core/agent') : ({} as typeof import('@mastra/core/agent'));
const { MockMemory } = runs
  ? await import('@mastra/core/memory')
  : ({} as typeof import('@mastra/core/memory'));
const { InMemoryStore } = runs
  ? await import('@mastra/core/storage')
  : ({} as typeof import('@mastra/core/storage'));
const { mastraTools } = runs
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

describe.skipIf(!runs)('berth/mastra', () => {
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

describe.skipIf(!runs)('berth/mastra keys', () => {
  it("conversation: 'resource' gives a user one session across their threads", async () => {
    await using fx = await counterHost();
    const { agent } = agentWith(fx.host, countToTwo, { conversation: 'resource' }, (seen) =>
      String(seenText(seen.at(-1))),
    );
    const first = await agent.generate('count', {
      memory: { thread: 'monday', resource: 'ada' },
      maxSteps: 8,
    });
    const second = await agent.generate('count', {
      memory: { thread: 'tuesday', resource: 'ada' },
      maxSteps: 8,
    });
    expect([first.text, second.text]).toEqual(['2', '4']);
    expect(counterKeys(fx.host)).toEqual(['ada']);
  });
});

describe.skipIf(!runs)('berth/mastra results', () => {
  it('shows the model text, media as file parts and a tool error; the application keeps the whole result', async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(
      fx.host,
      (seen) =>
        [{ tool: 'tools__media' }, { tool: 'tools__fail' }, { tool: 'tools__shaped', args: { value: 3 } }][
          seen.length
        ],
    );
    const result = await agent.generate('show me', { maxSteps: 8 });
    expect(result.text).toBe('{"type":"text","value":"{\\"value\\":3}"}'); // the loop went on after the error
    const prompt = model.doGenerateCalls.at(-1)!.prompt;
    const outputs = resultsIn(prompt).map((r) => [r.toolName, r.output]);
    expect(outputs).toEqual([
      [
        'tools__media',
        {
          type: 'content',
          value: [
            { type: 'text', text: 'a picture and a sound' },
            {
              type: 'file',
              data: { type: 'data', data: expect.any(String) as unknown },
              mediaType: 'image/png',
            },
            {
              type: 'file',
              data: { type: 'data', data: expect.any(String) as unknown },
              mediaType: 'audio/wav',
            },
            { type: 'text', text: '[resource fixture://note]\nan embedded note' },
            { type: 'text', text: '[resource link fixture://elsewhere "elsewhere" (text/plain)]' },
          ],
        },
      ],
      ['tools__fail', { type: 'error-text', value: 'it failed' }],
      ['tools__shaped', { type: 'text', value: '{"value":3}' }],
    ]);
    const results = result.toolResults.map((r) => r.payload.result as Record<string, unknown>);
    expect(results[0]!.content).toHaveLength(5);
    expect(results[1]).toMatchObject({ isError: true });
    expect(results[2]).toMatchObject({ structuredContent: { value: 3 } });
  });

  it("gives berth's failures to the model as errors, and names the fix for a missing key", async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(
      fx.host,
      (seen) =>
        [{ tool: 'tools__crash' }, { tool: 'counter__get' }, { tool: 'tools__nonexistent' }][seen.length],
    );
    const result = await agent.generate('fail', { maxSteps: 8 }); // no memory thread, no key option
    const [crash, keyless, unknown] = resultsIn(model.doGenerateCalls.at(-1)!.prompt).map((r) => r.output);
    expect(crash).toMatchObject({
      type: 'error-text',
      value: expect.stringContaining('server "tools"') as unknown,
    });
    expect(keyless).toMatchObject({
      type: 'error-text',
      value: expect.stringMatching(
        /session scope "keyed".*memory: \{ thread, resource \}.*key option/,
      ) as unknown,
    });
    expect(unknown?.type).toBe('error-text'); // Mastra's own answer to a tool it does not have
    // berth's failure is returned (with its code), the missing key is thrown (Mastra's tool error).
    expect(result.toolResults[0]?.payload.result).toMatchObject({
      isError: true,
      _meta: { 'berth/error': { code: 'SERVER_FAILED' } },
    });
    expect(result.toolResults).toHaveLength(1);
  });

  it("toolErrors: 'throw' throws a tool error (Mastra reports it to the model as its tool error)", async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(fx.host, (seen) => [{ tool: 'tools__fail' }][seen.length], {
      toolErrors: 'throw',
    });
    const result = await agent.generate('fail', { maxSteps: 4 });
    expect(resultsIn(model.doGenerateCalls.at(-1)!.prompt)[0]?.output).toEqual({
      type: 'error-text',
      value: 'tool "tools__fail" reported an error: it failed',
    });
    expect(result.toolResults).toHaveLength(0);
  });
});

describe.skipIf(!runs)('berth/mastra abort, progress, catalog changes, toolsets', () => {
  it("the run's abort signal cancels the call on the server; progress goes to the stream", async () => {
    await using fx = await counterHost();
    const { agent } = agentWith(
      fx.host,
      (seen) => [{ tool: 'counter__sleep', args: { ms: 8000 } }][seen.length],
    );
    const controller = new AbortController();
    const stream = await agent.stream('sleep', {
      memory: { thread: 'sleeper', resource: 'u' },
      abortSignal: controller.signal,
    });
    const progress: unknown[] = [];
    for await (const chunk of stream.fullStream) {
      if (chunk.type !== 'tool-output') continue;
      progress.push(chunk.payload.output);
      controller.abort(); // mid-call: the server has reported progress once
    }
    expect(progress[0]).toEqual({ type: 'progress', tool: 'counter__sleep', progress: 1, total: 4 });
    const [sleeping] = fx.pids.pids('sleeping');
    const session = fx.host
      .status()
      .find((row) => row.name === 'counter')
      ?.sessions?.find((s) => s.key === 'sleeper');
    expect(session?.pid).toBe(sleeping);
    expect(await waitFor(() => fx.pids.pids('cancelled').includes(sleeping!), 6_000)).toBe(true);
  });

  it('re-reads the catalog on every generate: an added server and a list change reach the next run', async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(fx.host, (seen) => [{ tool: 'tools__add-tool' }][seen.length]);
    const names = () => (model.doGenerateCalls.at(-1)!.tools ?? []).map((tool) => tool.name);
    await agent.generate('add', { maxSteps: 4 });
    expect(names()).not.toContain('tools__added');
    expect(await waitFor(() => fx.host.tools().some((t) => t.name === 'tools__added'))).toBe(true);
    await fx.host.add('extra', { command: process.execPath, args: [FIXTURE] });
    await agent.generate('again', { maxSteps: 4 });
    expect(names()).toEqual(expect.arrayContaining(['tools__added', 'extra__echo']));
  });

  it('with prepareStep, re-reads the catalog before every step: a server added mid-run is callable next step', async () => {
    await using fx = await counterHost();
    const berth = mastraTools(fx.host);
    const model = scriptedModel(
      (seen) =>
        [
          { tool: 'counter__increment' },
          { tool: 'extra__echo', args: { value: 'after' } },
          { tool: 'counter__get' },
        ][seen.length],
      (seen) => seen.map((r) => String(r.output.value)).join(','),
      async (seen) => {
        // While the model answers the first step (after the run read its tools), a server is added.
        if (seen.length === 0 && !fx.host.tools().some((t) => t.server === 'extra'))
          await fx.host.add('extra', { command: process.execPath, args: [FIXTURE] });
      },
    );
    const agent = new Agent({
      id: 'stepper',
      name: 'stepper',
      instructions: 'Use the tools.',
      model: model as unknown as ConstructorParameters<typeof Agent>[0]['model'],
      tools: berth.tools,
      memory: new MockMemory({ storage: new InMemoryStore() }),
    });

    // Without it, Mastra keeps the tools it read at the start of the run.
    const before = await agent.generate('go', { memory: { thread: 'without', resource: 'u' }, maxSteps: 6 });
    expect(before.text).toMatch(/^1,Tool "extra__echo" not found.*,1$/s);
    await fx.host.remove('extra');

    const after = await agent.generate('go', {
      memory: { thread: 'with', resource: 'u' },
      maxSteps: 6,
      prepareStep: berth.prepareStep,
    });
    expect(after.text).toBe('1,after,1'); // and the thread's key survived the step's new tools
    expect(counterKeys(fx.host).sort()).toEqual(['with', 'without']);
  });

  it('serves a Toolset as per-call toolsets: its key, its filter, and closing it ends its sessions', async () => {
    await using fx = await counterHost();
    const model = scriptedModel(countToTwo, (seen) => String(seenText(seen.at(-1))));
    const agent = new Agent({
      id: 'bare',
      name: 'bare',
      instructions: 'Use the tools.',
      model: model as unknown as ConstructorParameters<typeof Agent>[0]['model'],
    });
    const toolset = fx.host.toolset({ key: 'conversation-1', servers: ['counter'] });
    const toolsets = mastraTools(toolset).toolsets();
    expect(Object.keys(toolsets.berth!).sort()).toEqual(
      fx.host
        .tools()
        .filter((t) => t.server === 'counter')
        .map((t) => t.name)
        .sort(),
    );
    const result = await agent.generate('count', { toolsets, maxSteps: 8 });
    expect(result.text).toBe('2');
    expect(counterKeys(fx.host)).toEqual(['conversation-1']);
    await toolset.close();
    expect(counterKeys(fx.host)).toEqual([]);
  });

  it('takes the key from a function of the tool context (here the request context) when asked to', async () => {
    await using fx = await counterHost();
    const { RequestContext } = await import('@mastra/core/request-context');
    const { agent } = agentWith(
      fx.host,
      countToTwo,
      {
        conversation: 'none',
        key: (context) => context.requestContext?.get('user') as string | undefined,
      },
      (seen) => String(seenText(seen.at(-1))),
    );
    const requestContext = new RequestContext([['user', 'user-7']]);
    const result = await agent.generate('count', {
      memory: { thread: 'ignored-thread', resource: 'u' },
      requestContext,
      maxSteps: 8,
    });
    expect(result.text).toBe('2');
    expect(counterKeys(fx.host)).toEqual(['user-7']);
  });
});

describe.skipIf(!runs)('berth/mastra under attack', () => {
  it('bad arguments from the model come back to it as an error, checked against the original schema', async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(
      fx.host,
      (seen) =>
        [
          { tool: 'tools__increment', args: { by: 'lots' } },
          { tool: 'tools__increment', args: { by: 1.5 } },
        ][seen.length],
    );
    const result = await agent.generate('go', { maxSteps: 4 });
    const outputs = resultsIn(model.doGenerateCalls.at(-1)!.prompt).map((r) => r.output);
    expect(outputs.map((o) => o.type)).toEqual(['error-text', 'error-text']);
    expect(result.toolResults.map((r) => r.payload.result)).toMatchObject([
      { isError: true, _meta: { 'berth/error': { code: 'INVALID_ARGUMENTS' } } },
      { isError: true, _meta: { 'berth/error': { code: 'INVALID_ARGUMENTS' } } },
    ]);
    expect(await fx.host.callTool('tools__get', {})).toMatchObject({ content: [{ text: '0' }] });
  });

  it("a closed toolset's tools refuse calls and reopen nothing", async () => {
    await using fx = await counterHost();
    const toolset = fx.host.toolset({ key: 'gone' });
    const toolsets = mastraTools(toolset).toolsets();
    await toolset.close();
    const model = scriptedModel((seen) => [{ tool: 'counter__increment' }][seen.length]);
    const agent = new Agent({
      id: 'closed',
      name: 'closed',
      instructions: 'Use the tools.',
      model: model as unknown as ConstructorParameters<typeof Agent>[0]['model'],
    });
    await agent.generate('go', { toolsets, maxSteps: 4 });
    expect(resultsIn(model.doGenerateCalls.at(-1)!.prompt)[0]?.output).toMatchObject({
      type: 'error-text',
      value: expect.stringContaining('closed') as unknown,
    });
    expect(counterKeys(fx.host)).toEqual([]);
  });

  it('host.close() in the middle of a call ends the run without a hang or a leftover process', async () => {
    await using fx = await counterHost();
    const { agent } = agentWith(
      fx.host,
      (seen) => [{ tool: 'counter__sleep', args: { ms: 20_000 } }][seen.length],
    );
    const run = agent.generate('sleep', { memory: { thread: 'closing', resource: 'u' }, maxSteps: 4 });
    expect(await waitFor(() => fx.pids.pids('sleeping').length > 0)).toBe(true);
    await fx.host.close();
    const result = await run;
    expect(result.finishReason).toBeDefined();
    expect(alive(fx.pids.pids())).toEqual([]);
  });
});
