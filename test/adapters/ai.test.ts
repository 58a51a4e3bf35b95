/**
 * The AI SDK adapter (`berth/ai`) in the AI SDK's real loop (`generateText`, `ToolLoopAgent`) driven
 * by its own fake model (`MockLanguageModelV4` from `ai/test`), against real fixture servers: one
 * session per conversation, results as the model sees them, errors returned to the model, abort on
 * the wire, catalog changes at the next step, and nothing left running.
 */
import type {
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
} from '@ai-sdk/provider';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { alive, FIXTURE, fixture, hostFixture, waitFor } from '../helpers.js';
import { counterHost, frameworkRuns } from './frameworks.js';

const runs = frameworkRuns('AI SDK', '22.0.0');

type Ai = typeof import('ai');
type AiTest = typeof import('ai/test');
type Adapter = typeof import('../../src/adapters/ai/index.js');
let ai: Ai;
let aiTest: AiTest;
let adapter: Adapter;

/** One scripted model turn: tool calls, or a final text (a function of the prompt it got). */
type Turn =
  | { call: string; input?: Record<string, unknown> }
  | { text: (prompt: LanguageModelV4CallOptions['prompt']) => string };

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/** The model's answer for a turn. */
function answer(
  turn: Turn,
  prompt: LanguageModelV4CallOptions['prompt'],
  id: string,
): LanguageModelV4GenerateResult {
  if ('call' in turn)
    return {
      content: [
        { type: 'tool-call', toolCallId: id, toolName: turn.call, input: JSON.stringify(turn.input ?? {}) },
      ],
      finishReason: { unified: 'tool-calls', raw: undefined },
      usage,
      warnings: [],
    };
  return {
    content: [{ type: 'text', text: turn.text(prompt) }],
    finishReason: { unified: 'stop', raw: undefined },
    usage,
    warnings: [],
  };
}

/** A fake model that plays `turns` in order; `before(i)` runs before turn i is answered. */
function scripted(turns: Turn[], before?: (i: number, options: LanguageModelV4CallOptions) => Promise<void>) {
  let i = 0;
  return new aiTest.MockLanguageModelV4({
    doGenerate: async (options) => {
      const n = i++;
      await before?.(n, options);
      const turn = turns[n];
      if (!turn) throw new Error(`the script has no turn ${n}`);
      return answer(turn, options.prompt, `call-${n}`);
    },
  });
}

/** The outputs of the tool results the model was sent (the last tool message of its prompt). */
function toolOutputs(prompt: LanguageModelV4CallOptions['prompt']): unknown[] {
  const tool = [...prompt].reverse().find((message) => message.role === 'tool');
  return tool?.content.flatMap((part) => (part.type === 'tool-result' ? [part.output] : [])) ?? [];
}

/** The text the model saw of the last tool result. */
function lastToolText(prompt: LanguageModelV4CallOptions['prompt']): string {
  const output = toolOutputs(prompt)[0] as { type: string; value: unknown } | undefined;
  if (!output) return '<none>';
  if (output.type === 'content')
    return (output.value as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('');
  return String(output.value);
}

/** The text of a tool result's first block. */
function lastText(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

/** The pid of the keyed session of `server` for `key`, if it is open. */
function sessionPid(
  host: import('../../src/index.js').Host,
  server: string,
  key: string,
): number | undefined {
  const sessions = host.status().find((s) => s.name === server)?.sessions ?? [];
  return sessions.find((s) => s.key === key)?.pid;
}

describe.skipIf(!runs)('berth/ai: the AI SDK adapter', () => {
  beforeAll(async () => {
    ai = await import('ai');
    aiTest = await import('ai/test');
    adapter = await import('../../src/adapters/ai/index.js');
  });

  it('two conversations interleaved in the real loop, a session each, state kept across steps', async () => {
    await using fx = await counterHost();
    const { host, pids } = fx;
    const before = pids.pids('server').length;

    // A: generateText, key from the tools' AI SDK context. B: ToolLoopAgent, a fixed key.
    const toolsA = adapter.aiTools<{ conversation: string }>(host, {
      key: (context) => context.conversation,
    });
    const toolsB = adapter.aiTools(host, { key: 'b' });
    expect(Object.keys(toolsA)).toContain('counter__increment');
    expect(Object.keys(toolsB)).toEqual(Object.keys(toolsA));
    // Making and listing tools opens nothing.
    expect(pids.pids('server').length).toBe(before);
    expect(sessionPid(host, 'counter', 'a')).toBeUndefined();

    // Lockstep: A's turn, then B's, and so on; each final turn hands over without waiting.
    let turn: 'a' | 'b' = 'a';
    const order: string[] = [];
    const script: Turn[] = [
      { call: 'counter__increment', input: { by: 1 } },
      { call: 'counter__increment', input: { by: 1 } },
      { call: 'counter__get' },
      { text: (prompt) => `count ${lastToolText(prompt)}` },
    ];
    const lockstep = (me: 'a' | 'b', other: 'a' | 'b') => async (i: number) => {
      if (i > 0) turn = other;
      if (i < script.length - 1) expect(await waitFor(() => turn === me, 20_000)).toBe(true);
      order.push(`${me}${i}`);
    };
    const runA = ai.generateText({
      model: scripted(script, lockstep('a', 'b')),
      tools: toolsA,
      toolsContext: adapter.aiToolsContext(toolsA, { conversation: 'a' }),
      prompt: 'count twice',
      stopWhen: ai.stepCountIs(10),
    });
    const agentB = new ai.ToolLoopAgent({
      model: scripted(script, lockstep('b', 'a')),
      tools: toolsB,
      stopWhen: ai.stepCountIs(10),
    });
    const runB = agentB.generate({ prompt: 'count twice' });
    const [a, b] = await Promise.all([runA, runB]);

    expect(order.slice(0, 5)).toEqual(['a0', 'b0', 'a1', 'b1', 'a2']);
    expect(order.indexOf('b2')).toBeGreaterThan(order.indexOf('a2'));
    expect(a.text).toBe('count 2');
    expect(b.text).toBe('count 2');
    // The tool's output is the full MCP result.
    const got = a.steps[2]?.toolResults[0]?.output as CallToolResult;
    expect(got.content).toEqual([{ type: 'text', text: '2' }]);
    // Which server and tool a call went to, for the application (not sent to the model).
    expect(a.steps[2]?.toolResults[0]?.toolMetadata).toEqual({ berth: { server: 'counter', tool: 'get' } });

    // A session, and a process, per conversation.
    const pidA = sessionPid(host, 'counter', 'a');
    const pidB = sessionPid(host, 'counter', 'b');
    expect(pidA).toEqual(expect.any(Number));
    expect(pidB).toEqual(expect.any(Number));
    expect(pidA).not.toBe(pidB);

    // Ending a conversation ends its process; the other keeps its state.
    await host.closeKey('a');
    expect(alive([pidA!])).toEqual([]);
    const again = await ai.generateText({
      model: scripted([{ call: 'counter__get' }, { text: (prompt) => lastToolText(prompt) }]),
      tools: toolsB,
      prompt: 'read',
      stopWhen: ai.stepCountIs(5),
    });
    expect(again.text).toBe('2');
  }, 60_000);

  it.each([false, true])(
    'the abort signal of the loop cancels the call on the server (preliminaryProgress: %s)',
    async (preliminaryProgress) => {
      await using fx = await counterHost();
      const { host, pids } = fx;
      const controller = new AbortController();
      const run = ai.generateText({
        model: scripted([{ call: 'counter__sleep', input: { ms: 4_000 } }, { text: () => 'done' }]),
        tools: adapter.aiTools(host, { key: 'sleeper', preliminaryProgress }),
        prompt: 'sleep',
        stopWhen: ai.stepCountIs(5),
        abortSignal: controller.signal,
      });
      const outcome = run.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      expect(await waitFor(() => pids.count('sleeping') === 1, 20_000)).toBe(true);
      const pid = sessionPid(host, 'counter', 'sleeper');
      controller.abort();
      const error = await outcome;
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toMatch(/Abort/);
      expect(await waitFor(() => pids.pids('cancelled').includes(pid!), 10_000)).toBe(true);
    },
    60_000,
  );

  it('progress: onProgress, and preliminary tool results in streamText', async () => {
    await using fx = await counterHost();
    const seen: Array<{ progress: number; toolName: string; toolCallId: string }> = [];
    const tools = adapter.aiTools(fx.host, {
      key: 'p',
      preliminaryProgress: true,
      onProgress: (progress, call) => seen.push({ progress: progress.progress, ...call }),
    });
    let calls = 0;
    const model = new aiTest.MockLanguageModelV4({
      doStream: async (options) => {
        const n = calls++;
        const parts: LanguageModelV4StreamPart[] =
          n === 0
            ? [
                {
                  type: 'tool-call',
                  toolCallId: 'c0',
                  toolName: 'counter__sleep',
                  input: '{"ms":200}',
                },
                {
                  type: 'finish',
                  finishReason: { unified: 'tool-calls', raw: undefined },
                  usage,
                },
              ]
            : [
                { type: 'text-start', id: 't' },
                { type: 'text-delta', id: 't', delta: lastToolText(options.prompt) },
                { type: 'text-end', id: 't' },
                {
                  type: 'finish',
                  finishReason: { unified: 'stop', raw: undefined },
                  usage,
                },
              ];
        return { stream: aiTest.convertArrayToReadableStream(parts) };
      },
    });
    const result = ai.streamText({ model, tools, prompt: 'sleep', stopWhen: ai.stepCountIs(5) });
    const preliminary: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'tool-result' && part.preliminary)
        preliminary.push(lastText(part.output as CallToolResult));
    }
    expect(await result.text).toBe('slept 200');
    // The AI SDK also repeats the last output as a preliminary one.
    expect(preliminary).toEqual([
      'progress 1/4',
      'progress 2/4',
      'progress 3/4',
      'progress 4/4',
      'slept 200',
    ]);
    expect(seen.map((s) => s.progress)).toEqual([1, 2, 3, 4]);
    expect(seen[0]).toMatchObject({ toolName: 'counter__sleep', toolCallId: 'c0' });
    // The model saw only the final result.
    expect(toolOutputs(model.doStreamCalls[1]!.prompt)).toEqual([
      { type: 'content', value: [{ type: 'text', text: 'slept 200' }] },
    ]);
  }, 60_000);

  it('a consumer that stops reading the progress stream cancels the call, and waits for it', async () => {
    await using fx = await counterHost();
    const { host, pids } = fx;
    const tool = adapter.aiTools(host, { key: 'quit', preliminaryProgress: true })['counter__sleep'];
    if (!tool?.execute) throw new Error('no counter__sleep tool');
    const stream = tool.execute(
      { ms: 2_000 },
      { toolCallId: 'c', messages: [], context: {} },
    ) as AsyncIterable<CallToolResult>;
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(lastText(first.value as CallToolResult)).toBe('progress 1/4');
    const pid = sessionPid(host, 'counter', 'quit');
    await iterator.return?.();
    // The call ended before return() resolved: the server saw the cancellation.
    expect(await waitFor(() => pids.pids('cancelled').includes(pid!), 5_000)).toBe(true);
  }, 60_000);

  it('a progress flood is coalesced: the stream gets the latest progress, not every notification', async () => {
    await using fx = await hostFixture({
      flood: { command: process.execPath, args: [FIXTURE, '--notify-flood'] },
    });
    let notified = 0;
    const tool = adapter.aiTools(fx.host, { preliminaryProgress: true, onProgress: () => notified++ })[
      'flood__notify-flood'
    ];
    if (!tool?.execute) throw new Error('no flood__notify-flood tool');
    const n = 20_000;
    const outputs: CallToolResult[] = [];
    const stream = tool.execute(
      { n },
      { toolCallId: 'c', messages: [], context: {} },
    ) as AsyncIterable<CallToolResult>;
    for await (const output of stream) outputs.push(output);
    expect(lastText(outputs.at(-1)!)).toBe(`sent ${n}`);
    expect(notified).toBe(n); // onProgress sees every one
    expect(outputs.length).toBeLessThan(n / 10); // the stream, only the latest at each read
    const progress = outputs
      .slice(0, -1)
      .map((output) => Number(/progress (\d+)/.exec(lastText(output))?.[1]));
    expect(progress).toEqual([...progress].sort((a, b) => a - b)); // in order
  }, 60_000);

  it('results as the model sees them: text, image and audio files, resources', async () => {
    await using fx = await counterHost();
    const model = scripted([{ call: 'tools__media' }, { text: () => 'seen' }]);
    const result = await ai.generateText({
      model,
      tools: adapter.aiTools(fx.host),
      prompt: 'media',
      stopWhen: ai.stepCountIs(5),
    });
    expect(result.text).toBe('seen');
    const output = result.steps[0]?.toolResults[0]?.output as CallToolResult;
    expect(output.content.map((block) => block.type)).toEqual([
      'text',
      'image',
      'audio',
      'resource',
      'resource_link',
    ]);
    const base64: unknown = expect.any(String);
    const [seen] = toolOutputs(model.doGenerateCalls[1]!.prompt) as Array<{ type: string; value: unknown[] }>;
    expect(seen?.type).toBe('content');
    expect(seen?.value).toEqual([
      { type: 'text', text: 'a picture and a sound' },
      { type: 'file', mediaType: 'image/png', data: { type: 'data', data: base64 } },
      { type: 'file', mediaType: 'audio/wav', data: { type: 'data', data: base64 } },
      { type: 'text', text: 'resource fixture://note:\nan embedded note' },
      { type: 'text', text: 'resource link fixture://elsewhere (elsewhere, text/plain)' },
    ]);
  }, 60_000);

  it('a tool error goes back to the model and the loop goes on; toolErrors "throw" makes it a tool-error', async () => {
    await using fx = await counterHost();
    const script = (): Turn[] => [
      { call: 'tools__fail' },
      { text: (prompt) => `saw: ${lastToolText(prompt)}` },
    ];
    const model = scripted(script());
    const returned = await ai.generateText({
      model,
      tools: adapter.aiTools(fx.host),
      prompt: 'fail',
      stopWhen: ai.stepCountIs(5),
    });
    expect(returned.text).toBe('saw: it failed');
    expect(toolOutputs(model.doGenerateCalls[1]!.prompt)).toEqual([
      { type: 'error-text', value: 'it failed' },
    ]);
    expect((returned.steps[0]?.toolResults[0]?.output as CallToolResult).isError).toBe(true);

    const thrown = await ai.generateText({
      model: scripted(script()),
      tools: adapter.aiTools(fx.host, { toolErrors: 'throw' }),
      prompt: 'fail',
      stopWhen: ai.stepCountIs(5),
    });
    expect(thrown.text).toBe('saw: AiToolError: tool "tools__fail" returned an error: it failed');
    const error = thrown.steps[0]?.content.find((part) => part.type === 'tool-error');
    expect(error?.error).toBeInstanceOf(adapter.AiToolError);
    expect((error?.error as InstanceType<Adapter['AiToolError']>).result.isError).toBe(true);
  }, 60_000);

  it("berth's failures reach the model as errors it can read: no key, a deadline", async () => {
    await using fx = await counterHost();
    const { host, pids } = fx;
    const before = pids.pids('server').length;
    const noKey = await ai.generateText({
      model: scripted([{ call: 'counter__increment' }, { text: (prompt) => lastToolText(prompt) }]),
      tools: adapter.aiTools(host), // a host, no key: keyed servers refuse
      prompt: 'count',
      stopWhen: ai.stepCountIs(5),
    });
    expect(noKey.text).toMatch(/server "counter" has session scope "keyed": pass a key/);
    const error = noKey.steps[0]?.content.find((part) => part.type === 'tool-error');
    expect((error?.error as { code?: string }).code).toBe('KEY_REQUIRED');
    // A key function that finds no key in the context is the same refusal.
    const noContext = await ai.generateText({
      model: scripted([{ call: 'counter__increment' }, { text: (prompt) => lastToolText(prompt) }]),
      tools: adapter.aiTools(host, { key: (context) => context.conversation as string | undefined }),
      prompt: 'count',
      stopWhen: ai.stepCountIs(5),
    });
    expect(noContext.text).toMatch(/pass a key/);
    expect(pids.pids('server').length).toBe(before); // nothing was opened for it

    const late = await ai.generateText({
      model: scripted([
        { call: 'counter__sleep', input: { ms: 5_000 } },
        { text: (prompt) => lastToolText(prompt) },
      ]),
      tools: adapter.aiTools(host, { key: 'slow', timeoutMs: 200 }),
      prompt: 'sleep',
      stopWhen: ai.stepCountIs(5),
    });
    expect(late.text).toMatch(/counter/);
    expect(late.text).toMatch(/timed out|deadline|timeout/i);
  }, 60_000);

  it('catalog changes reach the next step: a server added, an upstream list_changed', async () => {
    await using fx = await counterHost();
    const { host } = fx;
    const tools = adapter.aiTools(host, { key: 'k' });
    const model = scripted(
      [
        { call: 'tools__add-tool' },
        { call: 'tools__get' },
        { call: 'extra__echo', input: { value: 'hi' } },
        { call: 'tools__added' },
        { text: (prompt) => lastToolText(prompt) },
      ],
      async (i) => {
        if (i === 0) await host.add('extra', fixture([], {}, fx.pids));
        if (i === 1) expect(await waitFor(() => host.tool('tools__added') !== undefined, 10_000)).toBe(true);
      },
    );
    const result = await ai.generateText({ model, tools, prompt: 'grow', stopWhen: ai.stepCountIs(10) });
    const names = (i: number) => (model.doGenerateCalls[i]?.tools ?? []).map((tool) => tool.name);
    expect(names(0)).not.toContain('extra__echo');
    expect(names(1)).toContain('extra__echo');
    expect(names(1)).not.toContain('tools__added');
    expect(names(2)).toContain('tools__added');
    expect(result.steps[2]?.toolResults[0]?.output).toMatchObject({
      content: [{ type: 'text', text: 'hi' }],
    });
    expect(result.text).toBe('added');

    // A removed server's tools leave the set.
    await host.remove('extra');
    expect(Object.keys(tools)).not.toContain('extra__echo');
    expect(tools['extra__echo']).toBeUndefined();
  }, 60_000);

  it('a Toolset source calls on its key; closing it ends the session', async () => {
    await using fx = await counterHost();
    const { host } = fx;
    const toolset = host.toolset({ key: 'mine', servers: ['counter'] });
    const tools = adapter.aiTools(toolset);
    expect(Object.keys(tools).every((name) => name.startsWith('counter__'))).toBe(true);
    const result = await ai.generateText({
      model: scripted([
        { call: 'counter__increment', input: { by: 5 } },
        { text: (prompt) => lastToolText(prompt) },
      ]),
      tools,
      prompt: 'count',
      stopWhen: ai.stepCountIs(5),
    });
    expect(result.text).toBe('5');
    const pid = sessionPid(host, 'counter', 'mine');
    expect(pid).toEqual(expect.any(Number));
    await toolset.close();
    expect(alive([pid!])).toEqual([]);
    expect(sessionPid(host, 'counter', 'mine')).toBeUndefined();
    // A closed toolset refuses, and the model reads why; nothing reopens for its key.
    const after = await ai.generateText({
      model: scripted([{ call: 'counter__get' }, { text: (prompt) => lastToolText(prompt) }]),
      tools,
      prompt: 'read',
      stopWhen: ai.stepCountIs(5),
    });
    const refused = after.steps[0]?.content.find((part) => part.type === 'tool-error');
    expect((refused?.error as { code?: string }).code).toBe('TOOLSET_CLOSED');
    expect(sessionPid(host, 'counter', 'mine')).toBeUndefined();
  }, 60_000);

  it('structuredContent stays in the output; the model gets JSON when there is no content', async () => {
    await using fx = await counterHost();
    const model = scripted([{ call: 'tools__shaped', input: { value: 7 } }, { text: () => 'ok' }]);
    const result = await ai.generateText({
      model,
      tools: adapter.aiTools(fx.host),
      prompt: 'shape',
      stopWhen: ai.stepCountIs(5),
    });
    expect(result.steps[0]?.toolResults[0]?.output).toMatchObject({ structuredContent: { value: 7 } });
    expect(toolOutputs(model.doGenerateCalls[1]!.prompt)).toEqual([
      { type: 'content', value: [{ type: 'text', text: '{"value":7}' }] },
    ]);
    expect(adapter.toModelOutput({ content: [], structuredContent: { value: 7 } })).toEqual({
      type: 'json',
      value: { value: 7 },
    });
    expect(
      adapter.toModelOutput({
        content: [
          { type: 'resource', resource: { uri: 'x://b', blob: 'AAEC', mimeType: 'application/pdf' } },
        ],
      }),
    ).toEqual({
      type: 'content',
      value: [{ type: 'file', mediaType: 'application/pdf', data: { type: 'data', data: 'AAEC' } }],
    });
    // An error with no text still says something.
    expect(adapter.toModelOutput({ content: [], isError: true, structuredContent: { code: 3 } })).toEqual({
      type: 'error-text',
      value: '{"code":3}',
    });
  }, 60_000);

  it('arguments that are not an object go back to the model as an error', async () => {
    await using fx = await counterHost();
    const model = scripted([{ call: 'tools__echo' }, { text: (prompt) => lastToolText(prompt) }]);
    // The model's input, raw: a JSON array instead of an object.
    const original = model.doGenerate.bind(model);
    let first = true;
    model.doGenerate = async (options) => {
      const result = await original(options);
      if (first) {
        first = false;
        const call = result.content[0];
        if (call?.type === 'tool-call') call.input = '[1,2]';
      }
      return result;
    };
    const result = await ai.generateText({
      model,
      tools: adapter.aiTools(fx.host),
      prompt: 'echo',
      stopWhen: ai.stepCountIs(5),
    });
    expect(result.text).toContain('tool "tools__echo": arguments must be a JSON object, got [1,2]');
    expect(result.steps[0]?.content.some((part) => part.type === 'tool-error')).toBe(true);
  }, 60_000);

  it('host.close() in the middle of a call: the model reads the errors, nothing is left', async () => {
    await using fx = await counterHost();
    const { host, pids } = fx;
    const model = scripted([
      { call: 'counter__sleep', input: { ms: 20_000 } },
      { call: 'counter__get' },
      { text: (prompt) => lastToolText(prompt) },
    ]);
    const run = ai.generateText({
      model,
      tools: adapter.aiTools(host, { key: 'late' }),
      prompt: 'sleep',
      stopWhen: ai.stepCountIs(5),
    });
    expect(await waitFor(() => pids.count('sleeping') === 1, 20_000)).toBe(true);
    await host.close();
    const result = await run;
    const errors = result.steps.flatMap((step) => step.content.filter((part) => part.type === 'tool-error'));
    expect(errors).toHaveLength(2); // the call cut by the close, and the one after it
    expect(result.text).toMatch(/clos/i);
    expect(alive(pids.pids())).toEqual([]);
  }, 60_000);

  it('the set is read-only and tells the AI SDK nothing but tools', () => {
    const source = {
      key: 'k',
      tools: () => [{ name: 's__t', server: 's', tool: 't', inputSchema: { type: 'object' } }],
      callTool: () => Promise.reject(new Error('not called')),
    } as unknown as import('../../src/index.js').Toolset;
    const tools = adapter.aiTools(source);
    expect(Object.keys(tools)).toEqual(['s__t']);
    expect(tools['s__t']).toBe(tools['s__t']); // made once while the catalog entry stays
    expect(() => {
      (tools as Record<string, unknown>)['x'] = 1;
    }).toThrow(TypeError);
    expect(JSON.parse(JSON.stringify(Object.keys({ ...tools })))).toEqual(['s__t']);
  });
});
