/**
 * `berth/langchain` through LangChain's real agent loop (`createAgent` from langchain 1.x, on
 * LangGraph) driven by `@langchain/core`'s own fake tool-calling model (`fakeModel()`), against the
 * real counter fixture as a keyed server: a session per `thread_id`, results as standard content
 * blocks with the MCP result as artifact, tool errors back to the model, aborts on the wire, progress
 * as custom events, and a catalog that changes between steps through the middleware.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BaseMessage } from '@langchain/core/messages';
import { InvalidOptionError } from '../../src/index.js';
import { FIXTURE, alive, waitFor } from '../helpers.js';
import { counterHost, frameworkRuns } from './frameworks.js';

const runs = frameworkRuns('LangChain', '20.19.0');

// The frameworks load only where they can run (Node >= 22).
const lc = runs
  ? {
      ...(await import('langchain')),
      ...(await import('@langchain/core/messages')),
      ...(await import('@langchain/core/testing')),
      ...(await import('@langchain/langgraph')),
      ...(await import('../../src/adapters/langchain/index.js')),
    }
  : undefined;

let callIds = 0;

// The fixture's media tool's image and audio (base64), as the model must get them.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=';

/**
 * The script the fake model follows, read from the conversation: the last human message lists the
 * tool calls to make, one per model step (`name` or `name={json args}`); after the last one the model
 * answers with the text of the last tool result.
 */
function scripted(messages: BaseMessage[]) {
  const { AIMessage } = lc!;
  const lastHuman = messages.findLastIndex((m) => m.getType() === 'human');
  const plan = messages[lastHuman]!.text.split(/\s+/).filter(Boolean);
  const steps = messages.slice(lastHuman + 1).filter((m) => m.getType() === 'ai').length;
  const next = plan[steps];
  if (next === undefined) {
    const last = messages.at(-1)!;
    return new AIMessage({ content: `final: ${last.text}` });
  }
  const [name, json] = next.split('=', 2) as [string, string | undefined];
  return new AIMessage({
    content: '',
    tool_calls: [
      {
        name,
        args: json ? (JSON.parse(json) as Record<string, unknown>) : {},
        id: `call_${++callIds}`,
        type: 'tool_call',
      },
    ],
  });
}

/** `@langchain/core`'s fake model, answering every step from the script (as many steps as asked). */
function model(steps = 64) {
  const fake = lc!.fakeModel();
  for (let i = 0; i < steps; i++) fake.respond(scripted);
  return fake;
}

function toolMessages(messages: BaseMessage[]) {
  return messages.filter((m) => m.getType() === 'tool') as InstanceType<
    NonNullable<typeof lc>['ToolMessage']
  >[];
}

const counterKeys = (host: { status(): Array<{ name: string; sessions?: Array<{ key?: string }> }> }) =>
  host
    .status()
    .find((s) => s.name === 'counter')
    ?.sessions?.map((s) => s.key)
    .filter((key) => key !== undefined)
    .sort() ?? [];

describe.skipIf(!runs)('berth/langchain: createAgent with fakeModel and the counter fixture', () => {
  it('gives each thread its own session, kept across steps and and none to another', async () => {
    await using fx = await counterHost();
    const { createAgent, MemorySaver, langchainTools } = lc!;
    const tools = langchainTools(fx.host, { servers: ['counter'] });
    expect(tools.map((t) => t.name)).toContain('counter__increment');
    const agent = createAgent({ model: model(), tools, checkpointer: new MemorySaver() });
    expect(counterKeys(fx.host)).toEqual([]); // nothing opened for a conversation yet

    const run = (thread: string, plan: string) =>
      agent.invoke({ messages: [{ role: 'user', content: plan }] }, { configurable: { thread_id: thread } });
    // Interleaved: A and B take turns, and run concurrently, on one agent.
    await run('A', 'counter__increment');
    expect(counterKeys(fx.host)).toEqual(['A']);
    await run('B', 'counter__increment={"by":10}');
    const [a, b] = await Promise.all([
      run('A', 'counter__increment counter__get'),
      run('B', 'counter__increment={"by":10} counter__get'),
    ]);
    expect(a.messages.at(-1)!.text).toBe('final: 2');
    expect(b.messages.at(-1)!.text).toBe('final: 20');
    // The checkpointer kept each thread's messages; the counter kept each thread's count.
    expect(toolMessages(a.messages).map((m) => m.text)).toEqual(['1', '2', '2']);
    expect(toolMessages(b.messages).map((m) => m.text)).toEqual(['10', '20', '20']);
    expect(counterKeys(fx.host)).toEqual(['A', 'B']);

    const pidA = Number(
      toolMessages((await run('A', 'counter__pid')).messages)
        .at(-1)!
        .text.trim(),
    );
    await fx.host.closeKey('A'); // the thread's end ends its session and process
    expect(alive([pidA])).toEqual([]);
    expect(counterKeys(fx.host)).toEqual(['B']);
    const again = await run('A', 'counter__get');
    expect(again.messages.at(-1)!.text).toBe('final: 0'); // a new session for A
  });

  it('takes the key option when the run has no thread, and says how to give one when neither is set', async () => {
    await using fx = await counterHost();
    const { createAgent, langchainTools } = lc!;
    const keyed = createAgent({
      model: model(),
      tools: langchainTools(fx.host, {
        servers: ['counter'],
        key: (config) => config.configurable?.user as string | undefined,
      }),
    });
    const result = await keyed.invoke(
      { messages: [{ role: 'user', content: 'counter__increment={"by":3}' }] },
      { configurable: { user: 'u1' } },
    );
    expect(result.messages.at(-1)!.text).toBe('final: 3');
    expect(counterKeys(fx.host)).toEqual(['u1']);

    const unkeyed = createAgent({ model: model(), tools: langchainTools(fx.host, { servers: ['counter'] }) });
    const refused = await unkeyed.invoke(
      { messages: [{ role: 'user', content: 'counter__get' }] },
      { configurable: { thread_id: '' } }, // an empty thread is no thread
    );
    const [message] = toolMessages(refused.messages);
    expect(message!.status).toBe('error');
    expect(message!.text).toContain('server "counter" has session scope "keyed"');
    expect(message!.text).toContain('configurable: { thread_id }');
    expect(counterKeys(fx.host)).toEqual(['u1']); // nothing opened without a key
  });

  it('turns a result into content blocks for the model and keeps the MCP result as artifact', async () => {
    await using fx = await counterHost();
    const { createAgent, langchainTools } = lc!;
    const agent = createAgent({ model: model(), tools: langchainTools(fx.host, { servers: ['tools'] }) });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'tools__media' }] });
    const [message] = toolMessages(result.messages);
    expect(message!.status).toBe('success');
    expect(message!.content).toEqual([
      { type: 'text', text: 'a picture and a sound' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'audio', data: WAV, mimeType: 'audio/wav' },
      { type: 'text', text: 'an embedded note' },
      { type: 'text', text: '[resource link: elsewhere <fixture://elsewhere> (text/plain)]' },
    ]);
    expect((message!.artifact as { content: unknown[] }).content).toHaveLength(5);

    const shaped = await agent.invoke({ messages: [{ role: 'user', content: 'tools__shaped={"value":7}' }] });
    expect(toolMessages(shaped.messages)[0]!.artifact).toMatchObject({ structuredContent: { value: 7 } });
  });

  it("returns a tool error and berth's failures to the model as error ToolMessages; the loop goes on", async () => {
    await using fx = await counterHost();
    const { createAgent, langchainTools, McpToolError } = lc!;
    const agent = createAgent({
      model: model(),
      tools: langchainTools(fx.host, { servers: ['tools'], timeoutMs: 200 }),
    });
    const result = await agent.invoke({
      messages: [
        { role: 'user', content: 'tools__fail tools__sleep={"ms":5000} tools__echo={"value":"after"}' },
      ],
    });
    const [failed, timedOut, echoed] = toolMessages(result.messages);
    expect(failed!.status).toBe('error');
    expect(failed!.content).toEqual([{ type: 'text', text: 'it failed' }]);
    expect(failed!.artifact).toMatchObject({ isError: true });
    expect(timedOut!.status).toBe('error');
    expect(timedOut!.text).toMatch(/^berth: .*tools.*/);
    expect(echoed!.text).toBe('after');
    expect(result.messages.at(-1)!.text).toBe('final: after');

    // A developer's mistake is thrown, not handed to the model as a berth failure.
    // (A bad timeoutMs is thrown when the tools are made, before any call.)
    expect(() => langchainTools(fx.host, { tools: ['tools__echo'], timeoutMs: Number.NaN })).toThrow(
      InvalidOptionError,
    );

    // toolErrors: 'throw' leaves errors to LangChain (the ToolNode's handler, here its default).
    const [tool] = langchainTools(fx.host, { tools: ['tools__fail'], toolErrors: 'throw' });
    await expect(tool!.invoke({})).rejects.toBeInstanceOf(McpToolError);
  });

  it('cancels a call on the server when the run is aborted, and leaves the run aborted', async () => {
    await using fx = await counterHost();
    const { createAgent, langchainTools } = lc!;
    const agent = createAgent({ model: model(), tools: langchainTools(fx.host, { servers: ['counter'] }) });
    const controller = new AbortController();
    const run = agent.invoke(
      { messages: [{ role: 'user', content: 'counter__sleep={"ms":2000}' }] },
      { configurable: { thread_id: 'slow' }, signal: controller.signal },
    );
    const outcome = run.then(
      () => 'finished',
      (error: unknown) => error,
    );
    expect(await waitFor(() => fx.pids.pids('sleeping').length === 1, 10_000)).toBe(true);
    controller.abort();
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toMatch(/Abort/);
    expect(await waitFor(() => fx.pids.pids('cancelled').length === 1, 10_000)).toBe(true);
    expect(fx.pids.pids('cancelled')).toEqual(fx.pids.pids('sleeping'));
  });

  it('sends progress as custom events', async () => {
    await using fx = await counterHost();
    const { createAgent, langchainTools, PROGRESS_EVENT } = lc!;
    const agent = createAgent({ model: model(), tools: langchainTools(fx.host, { servers: ['tools'] }) });
    const events: Array<{ name: string; data: unknown }> = [];
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'tools__sleep={"ms":40}' }] },
      {
        callbacks: [
          {
            handleCustomEvent: (name: string, data: unknown) => void events.push({ name, data }),
          },
        ],
      },
    );
    expect(result.messages.at(-1)!.text).toBe('final: slept 40');
    expect(events.map((e) => e.name)).toEqual([
      PROGRESS_EVENT,
      PROGRESS_EVENT,
      PROGRESS_EVENT,
      PROGRESS_EVENT,
    ]);
    expect(events[3]!.data).toMatchObject({ tool: 'tools__sleep', progress: 4, total: 4 });
  });

  it('with the middleware, the next model step sees a server added mid-run, and its tools run', async () => {
    await using fx = await counterHost();
    const { createAgent, createMiddleware, langchainMiddleware } = lc!;
    const seen: string[][] = [];
    const spy = createMiddleware({
      name: 'spy',
      wrapModelCall: (request, handler) => {
        seen.push(request.tools.map((t) => (t as { name: string }).name));
        return handler(request);
      },
    });
    const added = createMiddleware({
      name: 'adder',
      wrapToolCall: async (request, handler) => {
        const out = await handler(request);
        if (request.toolCall.name === 'tools__echo')
          await fx.host.add('late', { command: process.execPath, args: [FIXTURE, '--name=late'] });
        return out;
      },
    });
    const agent = createAgent({
      model: model(),
      tools: [],
      middleware: [langchainMiddleware(fx.host, { servers: ['tools', 'late'] }), spy, added],
    });
    const result = await agent.invoke({
      messages: [
        { role: 'user', content: 'tools__echo={"value":"x"} late__echo={"value":"new"} tools__fail' },
      ],
    });
    expect(seen[0]).toContain('tools__echo');
    expect(seen[0]).not.toContain('late__echo');
    expect(seen[1]).toContain('late__echo');
    const [, late, failed] = toolMessages(result.messages);
    expect(late!.status).toBe('success');
    expect(late!.text).toBe('new');
    // With a wrapToolCall middleware LangChain ends the run on a thrown error: a tool error is
    // returned, not thrown, so the model still gets it and the loop goes on.
    expect(failed!.status).toBe('error');
    expect(result.messages.at(-1)!.text).toBe('final: it failed');
  });

  it('works in a hand-written loop: model.bindTools, then tool.invoke(toolCall) with a thread', async () => {
    await using fx = await counterHost();
    const { fakeModel, langchainTools } = lc!;
    const tools = langchainTools(fx.host, { tools: ['counter__increment'] });
    const bound = fakeModel()
      .respondWithTools([{ name: 'counter__increment', args: { by: 4 }, id: 'call_hand' }])
      .bindTools(tools);
    const reply = await bound.invoke('add four');
    const [call] = reply.tool_calls ?? [];
    const message: unknown = await tools[0]!.invoke(
      { ...call!, type: 'tool_call' },
      { configurable: { thread_id: 'hand' } },
    );
    expect(message).toMatchObject({
      tool_call_id: 'call_hand',
      status: 'success',
      content: [{ type: 'text', text: '4' }],
    });
    expect(counterKeys(fx.host)).toEqual(['hand']);
    // Invoked with bare arguments (no tool call), a tool returns the content blocks alone.
    expect(await tools[0]!.invoke({ by: 1 }, { configurable: { thread_id: 'hand' } })).toEqual([
      { type: 'text', text: '5' },
    ]);
  });

  it("a Toolset source keeps its own key, whatever the run's thread", async () => {
    await using fx = await counterHost();
    const { createAgent, langchainTools } = lc!;
    await using toolset = fx.host.toolset({ key: 'bound', servers: ['counter'] });
    const agent = createAgent({ model: model(), tools: langchainTools(toolset) });
    await agent.invoke(
      { messages: [{ role: 'user', content: 'counter__increment' }] },
      { configurable: { thread_id: 'other' } },
    );
    expect(counterKeys(fx.host)).toEqual(['bound']);
    await toolset.close();
    expect(counterKeys(fx.host)).toEqual([]);
  });

  it("sends progress to LangGraph's custom stream and to streamEvents", async () => {
    await using fx = await counterHost();
    const { createAgent, langchainTools, PROGRESS_EVENT } = lc!;
    const agent = createAgent({ model: model(), tools: langchainTools(fx.host, { servers: ['tools'] }) });
    const chunks: unknown[] = [];
    const stream = await agent.stream(
      { messages: [{ role: 'user', content: 'tools__sleep={"ms":40}' }] },
      { streamMode: 'custom' },
    );
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toHaveLength(4);
    expect(chunks[0]).toMatchObject({ type: PROGRESS_EVENT, tool: 'tools__sleep', progress: 1, total: 4 });

    const custom: unknown[] = [];
    for await (const event of agent.streamEvents(
      { messages: [{ role: 'user', content: 'tools__sleep={"ms":40}' }] },
      { version: 'v2' },
    ))
      if (event.event === 'on_custom_event' && event.name === PROGRESS_EVENT) custom.push(event.data);
    expect(custom).toHaveLength(4);
    expect(custom[3]).toMatchObject({
      tool: 'tools__sleep',
      toolCallId: expect.stringMatching(/^call_/) as unknown,
    });
  });
});

describe.skipIf(!runs)('examples/langchain.mjs', () => {
  it('runs with the fake model: two threads, each with its own counter', async () => {
    const example = fileURLToPath(new URL('../../examples/langchain.mjs', import.meta.url));
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.ANTHROPIC_API_KEY;
    const { stdout } = await promisify(execFile)(process.execPath, [example], { env, timeout: 60_000 });
    expect(stdout.split('\n')).toEqual([
      'model: fake',
      'alice: The counter is at 2.',
      'bob: The counter is at 2.',
      'sessions left: bob',
      '',
    ]);
  });
});
