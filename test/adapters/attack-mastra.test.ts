/**
 * Attacks on `berth/mastra` through Mastra's real `Agent` loop on the AI SDK's mock model, against
 * real fixture servers: schemas at JSON Schema's edges, `openai-strict` nulls end to end, hostile
 * results (with `toolErrors` both ways), a server crashing mid-call, a toolset closed mid-run, and
 * an abort before the call.
 */
import { describe, expect, it } from 'vitest';
import type { Host, Toolset } from '../../src/index.js';
import { FIXTURE, hostFixture, waitFor } from '../helpers.js';
import { counterHost, frameworkRuns, hostileHost, HOSTILE_KINDS } from './frameworks.js';
import { resultsIn, scriptedModel, type ScriptedCall, type SeenResult } from './mastra-model.js';

const runs = frameworkRuns('Mastra (attack)', '22.13.0');

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

/** An agent with memory whose model plays `calls` one per step, then answers with the last output. */
function agentWith(source: Host | Toolset, calls: ScriptedCall[], options: MastraToolsOptions = {}) {
  const model = scriptedModel(
    (seen: SeenResult[]) => calls[seen.length],
    (seen) => JSON.stringify(seen.at(-1)?.output ?? null),
  );
  const agent = new Agent({
    id: 'berth-attack',
    name: 'berth-attack',
    instructions: 'Use the tools.',
    model: model as unknown as ConstructorParameters<typeof Agent>[0]['model'],
    tools: mastraTools(source, options).tools,
    memory: new MockMemory({ storage: new InMemoryStore() }),
  });
  return { agent, model };
}

/** What the model saw of each tool result in its last prompt. */
const outputs = (model: ReturnType<typeof scriptedModel>) =>
  resultsIn(model.doGenerateCalls.at(-1)!.prompt).map((r) => r.output);

describe.skipIf(!runs)('berth/mastra under attack', () => {
  it("openai-strict: the model's null for an optional field reaches the server as absent", async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(
      fx.host,
      [
        { tool: 'counter__increment', args: { by: null } },
        { tool: 'counter__increment', args: { by: 2 } },
        { tool: 'counter__get' },
      ],
      { schema: 'openai-strict' },
    );
    await agent.generate('count', { memory: { thread: 'strict', resource: 'u' }, maxSteps: 8 });
    expect(outputs(model)).toEqual([
      { type: 'text', value: '1' },
      { type: 'text', value: '3' },
      { type: 'text', value: '3' },
    ]);
  }, 60_000);

  it("schemas at the edges ($ref/$defs, '-' in names, enum only, no properties) run in the loop", async () => {
    await using fx = await hostFixture({
      edge: { command: process.execPath, args: [FIXTURE, '--edge-schemas'] },
    });
    const { agent, model } = agentWith(
      fx.host,
      [
        { tool: 'edge__edge_ref', args: { point: { x: 1, y: 2 } } },
        { tool: 'edge__edge_dash', args: { 'file-path': '/x' } },
        { tool: 'edge__edge_enum', args: { mode: 'fast' } },
        { tool: 'edge__edge_empty' },
      ],
      { tools: ['edge__edge_*'] },
    );
    await agent.generate('go', { maxSteps: 8 });
    expect(outputs(model)).toEqual([
      { type: 'text', value: '{"point":{"x":1,"y":2}}' },
      { type: 'text', value: '{"file-path":"/x"}' },
      { type: 'text', value: '{"mode":"fast"}' },
      { type: 'text', value: '{}' },
    ]);
  }, 60_000);

  it('gemini: a null the original allows and a renamed property reach the server as the original wants', async () => {
    await using fx = await hostFixture({
      edge: { command: process.execPath, args: [FIXTURE, '--edge-schemas'] },
    });
    const { agent, model } = agentWith(
      fx.host,
      [
        { tool: 'edge__edge_nullable', args: { note: null } },
        { tool: 'edge__edge_dash', args: { file_path: '/x', _1st: 1 } },
      ],
      { tools: ['edge__edge_nullable', 'edge__edge_dash'], schema: 'gemini' },
    );
    await agent.generate('go', { maxSteps: 6 });
    expect(outputs(model)).toEqual([
      { type: 'text', value: '{"note":null}' },
      { type: 'text', value: '{"file-path":"/x","1st":1}' },
    ]);
  }, 60_000);

  it('hostile results reach the model as something it can read, with toolErrors either way', async () => {
    await using fx = await hostileHost();
    const kinds = HOSTILE_KINDS;
    for (const toolErrors of ['model', 'throw'] as const) {
      const { agent, model } = agentWith(
        fx.host,
        kinds.map((kind) => ({ tool: 'bad__hostile', args: { kind } })),
        { toolErrors },
      );
      await agent.generate('go', { maxSteps: 10 });
      const seen = outputs(model);
      expect(seen, toolErrors).toHaveLength(kinds.length);
      expect((seen[0] as { value: string }).value.split('\n'), toolErrors).toHaveLength(10_000);
      // The tool error without content: the model reads that the tool failed, not a crash of ours.
      expect(JSON.stringify(seen[5]), toolErrors).not.toMatch(/Cannot read properties|is not a function/);
      expect(JSON.stringify(seen[5]), toolErrors).toMatch(/error/);
    }
  }, 60_000);

  it('a server that crashes mid-call: an error the model reads, naming it; the next call gets a new one', async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(fx.host, [
      { tool: 'counter__increment' },
      { tool: 'counter__crash' },
      { tool: 'counter__get' },
    ]);
    await agent.generate('go', { memory: { thread: 'crashy', resource: 'u' }, maxSteps: 8 });
    const seen = outputs(model);
    expect(seen[1]).toMatchObject({ type: 'error-text', value: expect.stringMatching(/counter/) as unknown });
    expect(seen[2]).toEqual({ type: 'text', value: '0' });
  }, 60_000);

  it('a Toolset closed during a run: the call in flight finishes, the next is refused, nothing reopens', async () => {
    await using fx = await counterHost();
    const toolset = fx.host.toolset({ key: 'closing' });
    const { agent } = agentWith(toolset, [
      { tool: 'counter__sleep', args: { ms: 400 } },
      { tool: 'counter__increment' },
    ]);
    const run = agent.generate('go', { maxSteps: 8 }).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    expect(await waitFor(() => fx.pids.pids('sleeping').length > 0)).toBe(true);
    await toolset.close();
    const settled = await run;
    const keys = fx.host
      .status()
      .find((row) => row.name === 'counter')
      ?.sessions?.filter((s) => s.key === 'closing');
    expect(keys ?? []).toEqual([]);
    if (settled.ok) {
      const results = settled.result.toolResults.map((r) => r.payload.result as { isError?: boolean });
      expect(results[0]?.isError).not.toBe(true);
    }
  }, 60_000);

  it("prepareStep: a server removed mid-run is gone at the next step; the step's other tools stay", async () => {
    await using fx = await counterHost();
    await fx.host.add('extra', { command: process.execPath, args: [FIXTURE] });
    const berth = mastraTools(fx.host);
    const { createTool } = await import('@mastra/core/tools');
    const own = createTool({
      id: 'own',
      description: 'Not a berth tool',
      execute: async () => 'own ran',
    });
    const model = scriptedModel(
      (seen) =>
        [
          { tool: 'extra__echo', args: { value: 'a' } },
          { tool: 'tools__pid' }, // the server is removed while the model answers this step
          { tool: 'extra__echo', args: { value: 'b' } },
          { tool: 'own' },
        ][seen.length],
      (seen) => seen.map((r) => String(r.output.value)).join('\n---\n'),
      async (seen) => {
        if (seen.length === 1 && fx.host.tools().some((t) => t.server === 'extra'))
          await fx.host.remove('extra');
      },
    );
    const agent = new Agent({
      id: 'remover',
      name: 'remover',
      instructions: 'Use the tools.',
      model: model as unknown as ConstructorParameters<typeof Agent>[0]['model'],
      tools: () => ({ ...berth.tools(), own }),
    });
    const result = await agent.generate('go', { maxSteps: 6, prepareStep: berth.prepareStep });
    const [first, , third, fourth] = result.text.split('\n---\n');
    expect(first).toBe('a');
    // Mastra itself no longer has the tool at the next step: its own "not found".
    expect(third).toMatch(/Tool "extra__echo" not found/);
    expect(fourth).toBe('own ran');
  }, 60_000);

  it('a deadline: the model reads the timeout with its berth code; the server gets the cancellation', async () => {
    await using fx = await counterHost();
    const { agent, model } = agentWith(fx.host, [{ tool: 'counter__sleep', args: { ms: 20_000 } }], {
      timeoutMs: 300,
    });
    const result = await agent.generate('go', { memory: { thread: 'late', resource: 'u' }, maxSteps: 4 });
    expect(outputs(model)[0]).toMatchObject({
      type: 'error-text',
      value: expect.stringMatching(/counter/) as unknown,
    });
    const payload = result.toolResults[0]?.payload.result as { _meta?: Record<string, { code?: string }> };
    expect(payload._meta?.['berth/error']?.code).toBe('CALL_TIMEOUT');
    const [sleeping] = fx.pids.pids('sleeping');
    expect(await waitFor(() => fx.pids.pids('cancelled').includes(sleeping!), 10_000)).toBe(true);
  }, 60_000);

  it('a huge thread id (1 MB) is a key like any other: its own session, ended by closeKey', async () => {
    await using fx = await counterHost();
    const thread = 'x'.repeat(1_000_000);
    const { agent, model } = agentWith(fx.host, [{ tool: 'counter__increment' }, { tool: 'counter__get' }], {
      conversation: 'none',
      key: (context) => context.requestContext?.get('conversation') as string | undefined,
    });
    const { RequestContext } = await import('@mastra/core/request-context');
    const requestContext = new RequestContext([['conversation', thread]]);
    await agent.generate('go', { requestContext, maxSteps: 4 });
    expect(outputs(model).at(-1)).toEqual({ type: 'text', value: '1' });
    await fx.host.closeKey(thread);
    const counter = fx.host.status().find((row) => row.name === 'counter');
    expect((counter?.sessions ?? []).filter((s) => s.key !== undefined)).toEqual([]);
  }, 60_000);

  it('toolsets() is named by toolsetName (default berth) and runs in the loop', async () => {
    await using fx = await counterHost();
    expect(Object.keys(mastraTools(fx.host).toolsets())).toEqual(['berth']);
    const named = mastraTools(fx.host, { toolsetName: 'mcp', servers: ['tools'] }).toolsets();
    expect(Object.keys(named)).toEqual(['mcp']);
    expect(Object.keys(named.mcp!)).toContain('tools__echo');
    const model = scriptedModel(
      (seen) => [{ tool: 'tools__echo', args: { value: 'via toolset' } }][seen.length],
      (seen) => String(seen.at(-1)?.output.value),
    );
    const agent = new Agent({
      id: 'toolsets',
      name: 'toolsets',
      instructions: 'Use the tools.',
      model: model as unknown as ConstructorParameters<typeof Agent>[0]['model'],
    });
    const result = await agent.generate('go', { toolsets: named, maxSteps: 4 });
    expect(result.text).toBe('via toolset');
  }, 60_000);

  it('an abort before the call starts opens nothing', async () => {
    await using fx = await counterHost();
    const before = fx.pids.pids('server').length;
    const { agent } = agentWith(fx.host, [{ tool: 'counter__increment' }]);
    // Mastra's convention: an aborted run resolves, finished as 'aborted'.
    const result = await agent.generate('go', {
      memory: { thread: 'never', resource: 'u' },
      abortSignal: AbortSignal.abort(new Error('user left')),
    });
    expect(result.finishReason).toBe('aborted');
    expect(result.toolResults).toEqual([]);
    expect(fx.pids.pids('server').length).toBe(before);
  }, 60_000);
});
