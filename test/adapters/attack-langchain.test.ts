/**
 * Attacks on `berth/langchain` through LangChain's real agent loop (`createAgent` on LangGraph,
 * `@langchain/core`'s `fakeModel()`), against real fixture servers: schemas at JSON Schema's edges
 * and names at the provider limit, the `openai-strict` mode end to end, hostile results, a server
 * crashing mid-call, and `host.close()`/`closeKey()` racing a run.
 */
import { describe, expect, it } from 'vitest';
import type { BaseMessage } from '@langchain/core/messages';
import { FIXTURE, hostFixture, waitFor } from '../helpers.js';
import { counterHost, frameworkRuns, hostileHost, HOSTILE_KINDS } from './frameworks.js';

const runs = frameworkRuns('LangChain (attack)', '20.19.0');

const lc = runs
  ? {
      ...(await import('langchain')),
      ...(await import('@langchain/core/messages')),
      ...(await import('@langchain/core/testing')),
      ...(await import('../../src/adapters/langchain/index.js')),
    }
  : undefined;

let callIds = 0;

/** The model's steps, as `[tool, args]` calls; after the last it answers with the last tool text. */
function model(plan: Array<[string, Record<string, unknown>?]>) {
  const fake = lc!.fakeModel();
  const step = (messages: BaseMessage[]) => {
    const { AIMessage } = lc!;
    const lastHuman = messages.findLastIndex((m) => m.getType() === 'human');
    const steps = messages.slice(lastHuman + 1).filter((m) => m.getType() === 'ai').length;
    const next = plan[steps];
    if (next === undefined) return new AIMessage({ content: `final: ${messages.at(-1)!.text}` });
    return new AIMessage({
      content: '',
      tool_calls: [{ name: next[0], args: next[1] ?? {}, id: `call_${++callIds}`, type: 'tool_call' }],
    });
  };
  for (let i = 0; i < plan.length + 1; i++) fake.respond(step);
  return fake;
}

function toolTexts(messages: BaseMessage[]): Array<{ text: string; status?: string }> {
  return messages
    .filter((m) => m.getType() === 'tool')
    .map((m) => ({ text: m.text, status: (m as { status?: string }).status }));
}

describe.skipIf(!runs)('berth/langchain under attack', () => {
  it('schemas at the edges ($ref/$defs, no type, enum only, no properties) and 64-char names run', async () => {
    const long = 't'.repeat(61); // `e__` + 61 = 64 characters, the providers' limit
    await using fx = await hostFixture({
      edge: { command: process.execPath, args: [FIXTURE, '--edge-schemas'] },
      e: { command: process.execPath, args: [FIXTURE, `--tool-name=${long}`] },
      dash: { command: process.execPath, args: [FIXTURE, '--tool-name=with-dash'] },
    });
    const tools = lc!.langchainTools(fx.host, { tools: ['edge__edge_*', `e__${long}`, 'dash__with-dash'] });
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'dash__with-dash',
        `e__${long}`,
        'edge__edge_anyof',
        'edge__edge_empty',
        'edge__edge_enum',
        'edge__edge_nullable',
        'edge__edge_dash',
        'edge__edge_ref',
      ].sort(),
    );
    // A schema without `type: "object"` breaks MCP's rule: berth lists the tool as invalid, not as a tool.
    const invalid = fx.host.status().find((row) => row.name === 'edge')?.invalidTools ?? [];
    expect(JSON.stringify(invalid)).toMatch(/edge_notype/);
    for (const tool of tools) expect(tool.name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/);
    const agent = lc!.createAgent({
      model: model([
        ['edge__edge_ref', { point: { x: 1, y: 2 }, label: 'p' }],
        ['edge__edge_dash', { 'file-path': '/x' }],
        ['edge__edge_enum', { mode: 'slow' }],
        ['edge__edge_empty', {}],
        [`e__${long}`, {}],
        ['dash__with-dash', {}],
      ]),
      tools,
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    const texts = toolTexts(result.messages);
    expect(texts.map((t) => t.status ?? 'success')).toEqual(Array(6).fill('success'));
    expect(texts.slice(0, 4).map((t) => t.text)).toEqual([
      '{"point":{"x":1,"y":2},"label":"p"}',
      '{"file-path":"/x"}',
      '{"mode":"slow"}',
      '{}',
    ]);
  }, 60_000);

  it("openai-strict: the model's null for an optional field reaches the server as absent", async () => {
    await using fx = await counterHost();
    const tools = lc!.langchainTools(fx.host, { servers: ['counter'], schema: 'openai-strict' });
    const agent = lc!.createAgent({
      model: model([
        ['counter__increment', { by: null }],
        ['counter__increment', { by: 4 }],
        ['counter__get'],
      ]),
      tools,
    });
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'count' }] },
      { configurable: { thread_id: 'strict' } },
    );
    expect(toolTexts(result.messages).map((t) => t.status ?? 'success')).toEqual([
      'success',
      'success',
      'success',
    ]);
    expect(result.messages.at(-1)!.text).toBe('final: 5');
  }, 60_000);

  it('gemini: a null the original allows (nullable in the shaped schema) passes LangChain and reaches the server', async () => {
    await using fx = await hostFixture({
      edge: { command: process.execPath, args: [FIXTURE, '--edge-schemas'] },
    });
    const tools = lc!.langchainTools(fx.host, {
      tools: ['edge__edge_nullable', 'edge__edge_dash'],
      schema: 'gemini',
    });
    const agent = lc!.createAgent({
      model: model([
        ['edge__edge_nullable', { note: null }],
        ['edge__edge_nullable', { note: 'n' }],
        ['edge__edge_dash', { file_path: '/x' }],
        ['edge__edge_nullable', { note: 5 }],
      ]),
      tools,
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    const texts = toolTexts(result.messages);
    expect(texts.slice(0, 3)).toEqual([
      { text: '{"note":null}', status: 'success' },
      { text: '{"note":"n"}', status: 'success' },
      { text: '{"file-path":"/x"}', status: 'success' },
    ]);
    // A wrong argument is still refused: by berth, against the server's original schema.
    expect(texts[3]?.status).toBe('error');
    expect(texts[3]?.text).toMatch(/^berth: invalid arguments.*note/s);
    // The model is still given the shaped schema.
    expect(JSON.stringify(tools.find((t) => t.name === 'edge__edge_dash')!.schema)).toMatch(/"file_path"/);
  }, 60_000);

  it('an empty thread id and an empty key name no conversation: the run says how to give one', async () => {
    await using fx = await counterHost();
    const agent = lc!.createAgent({
      model: model([['counter__increment']]),
      tools: lc!.langchainTools(fx.host, { servers: ['counter'], key: '' }),
    });
    // createAgent's tool node shows the thrown KEY_REQUIRED to the model as an error message.
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'count' }] },
      { configurable: { thread_id: '' } },
    );
    expect(toolTexts(result.messages)[0]!.text).toMatch(/KEY_REQUIRED|pass a key.*thread_id/s);
    expect(
      fx.host
        .status()
        .find((row) => row.name === 'counter')
        ?.sessions?.filter((s) => s.key !== undefined),
    ).toEqual([]);
  }, 60_000);

  it('hostile results reach the model as content blocks or a berth error; the loop goes on', async () => {
    await using fx = await hostileHost();
    const kinds = HOSTILE_KINDS;
    const agent = lc!.createAgent({
      model: model(kinds.map((kind) => ['bad__hostile', { kind }])),
      tools: lc!.langchainTools(fx.host),
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    const texts = toolTexts(result.messages);
    expect(texts).toHaveLength(kinds.length);
    expect(texts.every((t) => t.text.length > 0)).toBe(true);
    expect(texts[5]!.status).toBe('error');
  }, 60_000);

  it('a server that crashes mid-call: the model reads a berth error naming it; the loop goes on', async () => {
    await using fx = await counterHost();
    const agent = lc!.createAgent({
      model: model([['counter__increment'], ['counter__crash'], ['counter__get']]),
      tools: lc!.langchainTools(fx.host, { servers: ['counter'] }),
    });
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'go' }] },
      { configurable: { thread_id: 'crashy' } },
    );
    const texts = toolTexts(result.messages);
    expect(texts[1]!.status).toBe('error');
    expect(texts[1]!.text).toMatch(/^berth: .*counter/);
    expect(texts[2]!.text).toBe('0'); // a new session: the crashed one's state is gone
  }, 60_000);

  it('the middleware: a tool given to createAgent keeps its name; berth adds the rest and runs them', async () => {
    await using fx = await counterHost();
    const { tool } = await import('@langchain/core/tools');
    const mine = tool(async () => 'mine ran', {
      name: 'counter__get',
      description: 'Mine, not berth',
      schema: { type: 'object', properties: {} },
    });
    const agent = lc!.createAgent({
      model: model([['counter__increment'], ['counter__get']]),
      tools: [mine],
      middleware: [lc!.langchainMiddleware(fx.host, { servers: ['counter'] })],
    });
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'go' }] },
      { configurable: { thread_id: 'mw' } },
    );
    expect(toolTexts(result.messages).map((t) => t.text)).toEqual(['1', 'mine ran']);
  }, 60_000);

  it('a direct tool.invoke(args) returns the content blocks alone; with a tool call, a ToolMessage', async () => {
    await using fx = await counterHost();
    const [echo] = lc!.langchainTools(fx.host, { tools: ['tools__echo'] });
    expect(await echo!.invoke({ value: 'hi' })).toEqual([{ type: 'text', text: 'hi' }]);
    const message = (await echo!.invoke({
      name: 'tools__echo',
      args: { value: 'hi' },
      id: 'call_direct',
      type: 'tool_call',
    })) as BaseMessage & { artifact?: unknown; tool_call_id?: string };
    expect(message.getType()).toBe('tool');
    expect(message.tool_call_id).toBe('call_direct');
    expect(message.artifact).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
  }, 60_000);

  it('host.close() during a run: the run settles, nothing is left running', async () => {
    const fx = await counterHost();
    const agent = lc!.createAgent({
      model: model([['counter__sleep', { ms: 30_000 }], ['counter__get']]),
      tools: lc!.langchainTools(fx.host, { servers: ['counter'] }),
    });
    const run = agent
      .invoke({ messages: [{ role: 'user', content: 'go' }] }, { configurable: { thread_id: 'closing' } })
      .then(
        (result) => ({ ok: true as const, texts: toolTexts(result.messages) }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    expect(await waitFor(() => fx.pids.pids('server').length > 0)).toBe(true);
    await fx.host.close();
    const settled = await run;
    if (settled.ok) expect(settled.texts[0]!.status).toBe('error');
    await fx[Symbol.asyncDispose](); // checks that no process is left
  }, 60_000);

  it('closeKey(thread) during a call: the call finishes, the next call gets a new session', async () => {
    await using fx = await counterHost();
    const tools = lc!.langchainTools(fx.host, { servers: ['counter'] });
    const first = await lc!
      .createAgent({ model: model([['counter__increment']]), tools })
      .invoke({ messages: [{ role: 'user', content: 'go' }] }, { configurable: { thread_id: 't' } });
    expect(first.messages.at(-1)!.text).toBe('final: 1');
    const run = lc!
      .createAgent({ model: model([['counter__sleep', { ms: 300 }], ['counter__get']]), tools })
      .invoke({ messages: [{ role: 'user', content: 'go' }] }, { configurable: { thread_id: 't' } });
    expect(await waitFor(() => fx.pids.pids('sleeping').length > 0)).toBe(true);
    await fx.host.closeKey('t');
    const result = await run;
    const texts = toolTexts(result.messages);
    expect(texts[0]!.status ?? 'success').toBe('success');
    expect(texts[1]!.text).toBe('0');
  }, 60_000);
});
