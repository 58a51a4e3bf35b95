/**
 * Attacks on `berth/ai` and the shared adapter core through the AI SDK's real loop (`generateText`
 * on `MockLanguageModelV4`), against real fixture servers: schema modes end to end, keys at the edge
 * (empty, thrown, not a string), option values a timer cannot honour, aborts before and after a
 * call, hostile results, a server crashing mid-call and a conversation's key closed mid-call.
 */
import type {
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
} from '@ai-sdk/provider';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, hostFixture, waitFor } from '../helpers.js';
import { counterHost, frameworkRuns, hostileHost, HOSTILE_KINDS } from './frameworks.js';

const runs = frameworkRuns('AI SDK (attack)', '22.0.0');

type Ai = typeof import('ai');
type AiTest = typeof import('ai/test');
type Adapter = typeof import('../../src/adapters/ai/index.js');
let ai: Ai;
let aiTest: AiTest;
let adapter: Adapter;

type Turn = { call: string; input?: unknown; raw?: string } | { text: true };

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/** The outputs of the last tool message the model was sent. */
function toolOutputs(prompt: LanguageModelV4CallOptions['prompt']): Array<{ type: string; value: unknown }> {
  const tool = [...prompt].reverse().find((message) => message.role === 'tool');
  return (tool?.content.flatMap((part) => (part.type === 'tool-result' ? [part.output] : [])) ??
    []) as Array<{
    type: string;
    value: unknown;
  }>;
}

/** What the model saw of the last tool result, as text. */
function seen(prompt: LanguageModelV4CallOptions['prompt']): string {
  const output = toolOutputs(prompt)[0];
  if (!output) return '<none>';
  if (output.type === 'content')
    return (output.value as Array<{ type: string; text?: string }>)
      .map((p) => p.text ?? `[${p.type}]`)
      .join('|');
  return typeof output.value === 'string' ? output.value : JSON.stringify(output.value);
}

/** A fake model playing `turns`; a `{ text: true }` turn answers with what it saw of the last result. */
function scripted(turns: Turn[], before?: (i: number) => Promise<void>) {
  let i = 0;
  return new aiTest.MockLanguageModelV4({
    doGenerate: async (options): Promise<LanguageModelV4GenerateResult> => {
      const n = i++;
      await before?.(n);
      const turn = turns[n];
      if (!turn) throw new Error(`the script has no turn ${n}`);
      if ('call' in turn)
        return {
          content: [
            {
              type: 'tool-call',
              toolCallId: `call-${n}`,
              toolName: turn.call,
              input: turn.raw ?? JSON.stringify(turn.input ?? {}),
            },
          ],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage,
          warnings: [],
        };
      return {
        content: [{ type: 'text', text: seen(options.prompt) }],
        finishReason: { unified: 'stop', raw: undefined },
        usage,
        warnings: [],
      };
    },
  });
}

describe.skipIf(!runs)('berth/ai under attack', () => {
  beforeAll(async () => {
    ai = await import('ai');
    aiTest = await import('ai/test');
    adapter = await import('../../src/adapters/ai/index.js');
  });

  it("openai-strict: the model's null for an optional field reaches the server as absent", async () => {
    await using fx = await counterHost();
    const tools = adapter.aiTools(fx.host, { key: 'strict', schema: 'openai-strict' });
    // The model sees `by` required and nullable, as OpenAI strict mode wants.
    const schema = (await Promise.resolve(tools.counter__increment!.inputSchema)) as {
      jsonSchema: { required?: string[]; additionalProperties?: unknown };
    };
    expect(schema.jsonSchema.required).toContain('by');
    expect(schema.jsonSchema.additionalProperties).toBe(false);
    const result = await ai.generateText({
      model: scripted([
        { call: 'counter__increment', input: { by: null } },
        { call: 'counter__increment', input: { by: 2 } },
        { call: 'counter__get' },
        { text: true },
      ]),
      tools,
      prompt: 'count',
      stopWhen: ai.stepCountIs(6),
    });
    // null became absent (the default, 1), then 2: the server counted 3, no step failed.
    expect(result.steps.flatMap((s) => s.content).filter((p) => p.type === 'tool-error')).toEqual([]);
    expect(result.text).toBe('3');
  }, 60_000);

  it('an empty key names no conversation: refused as no key, nothing opened, no shared session', async () => {
    await using fx = await counterHost();
    const before = fx.pids.pids('server').length;
    for (const key of ['', () => '']) {
      const result = await ai.generateText({
        model: scripted([{ call: 'counter__increment' }, { text: true }]),
        tools: adapter.aiTools(fx.host, { key }),
        toolsContext: { counter__increment: { conversation: '' } } as never,
        prompt: 'count',
        stopWhen: ai.stepCountIs(4),
      });
      const error = result.steps[0]?.content.find((part) => part.type === 'tool-error');
      expect((error?.error as { code?: string } | undefined)?.code).toBe('KEY_REQUIRED');
    }
    expect(
      fx.host
        .status()
        .find((row) => row.name === 'counter')
        ?.sessions?.filter((s) => s.key !== undefined) ?? [],
    ).toEqual([]);
    expect(fx.pids.pids('server').length).toBe(before);
  }, 60_000);

  it('options a call cannot honour are thrown at once, not sent to the model at every call', async () => {
    await using fx = await counterHost();
    for (const timeoutMs of [0, NaN, -1, 1.5, 31 * 24 * 3600 * 1000, Infinity])
      expect(() => adapter.aiTools(fx.host, { key: 'k', timeoutMs }), String(timeoutMs)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
      );
    expect(() => adapter.aiTools(fx.host, { key: 42 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    );
    // The longest deadline a timer honours is fine.
    expect(() => adapter.aiTools(fx.host, { key: 'k', timeoutMs: 2_147_483_647 })).not.toThrow();
  });

  it('a key function that throws or returns a non-string: the model reads an error, nothing opens', async () => {
    await using fx = await counterHost();
    const before = fx.pids.pids('server').length;
    const throws = await ai.generateText({
      model: scripted([{ call: 'counter__increment' }, { text: true }]),
      tools: adapter.aiTools(fx.host, {
        key: () => {
          throw new Error('no session cookie');
        },
      }),
      toolsContext: { counter__increment: {} } as never,
      prompt: 'count',
      stopWhen: ai.stepCountIs(4),
    });
    expect(throws.text).toMatch(/no session cookie/);
    const numeric = await ai.generateText({
      model: scripted([{ call: 'counter__increment' }, { text: true }]),
      tools: adapter.aiTools(fx.host, { key: () => 7 as unknown as string }),
      toolsContext: { counter__increment: {} } as never,
      prompt: 'count',
      stopWhen: ai.stepCountIs(4),
    });
    expect(numeric.text).toMatch(/invalid key/);
    expect(fx.pids.pids('server').length).toBe(before);
  }, 60_000);

  it('two conversations on the same key at once share one session, and count together', async () => {
    await using fx = await counterHost();
    const run = () =>
      ai.generateText({
        model: scripted([{ call: 'counter__increment' }, { call: 'counter__increment' }, { text: true }]),
        tools: adapter.aiTools(fx.host, { key: 'same' }),
        prompt: 'count',
        stopWhen: ai.stepCountIs(4),
      });
    const results = await Promise.all([run(), run(), run()]);
    const finals = results.map((r) => Number(r.text)).sort((a, b) => a - b);
    expect(finals.at(-1)).toBe(6);
    const counter = fx.host.status().find((row) => row.name === 'counter');
    expect((counter?.sessions ?? []).filter((s) => s.key === 'same')).toHaveLength(1);
  }, 60_000);

  it('an abort before the call starts opens nothing; one after it finished changes nothing', async () => {
    await using fx = await counterHost();
    const before = fx.pids.pids('server').length;
    const tools = adapter.aiTools(fx.host, { key: 'early' });
    const aborted = AbortSignal.abort(new Error('user left'));
    await expect(
      Promise.resolve(
        tools.counter__increment!.execute!(
          {},
          { toolCallId: 'x', messages: [], abortSignal: aborted, context: {} },
        ),
      ),
    ).rejects.toThrow();
    expect(fx.pids.pids('server').length).toBe(before);

    const controller = new AbortController();
    const result = await ai.generateText({
      model: scripted([{ call: 'counter__increment' }, { text: true }]),
      tools,
      prompt: 'count',
      abortSignal: controller.signal,
      stopWhen: ai.stepCountIs(4),
    });
    controller.abort();
    expect(result.text).toBe('1');
  }, 60_000);

  it('each schema mode end to end: what the model writes against the shaped schema reaches the server right', async () => {
    await using fx = await hostFixture({
      edge: { command: process.execPath, args: [FIXTURE, '--edge-schemas'] },
    });
    const run = async (schema: 'openai-strict' | 'gemini' | 'anthropic', call: string, input: unknown) => {
      const tools = adapter.aiTools(fx.host, { schema });
      const result = await ai.generateText({
        model: scripted([{ call, input }, { text: true }]),
        tools,
        prompt: 'go',
        stopWhen: ai.stepCountIs(3),
      });
      return {
        text: result.text,
        schema: (tools[call]!.inputSchema as unknown as { jsonSchema: Record<string, unknown> }).jsonSchema,
      };
    };
    // openai-strict: $ref inlined, the optional label nullable; null comes back absent.
    const strict = await run('openai-strict', 'edge__edge_ref', { point: { x: 1, y: 2 }, label: null });
    expect(JSON.stringify(strict.schema)).not.toMatch(/\$ref|\$defs/);
    expect(strict.text).toBe('{"point":{"x":1,"y":2}}');
    // gemini: names Gemini rejects are renamed for the model and mapped back for the server.
    const gemini = await run('gemini', 'edge__edge_dash', { file_path: '/tmp/x', _1st: 3 });
    expect(Object.keys(gemini.schema.properties as object).sort()).toEqual(['_1st', 'file_path']);
    expect(JSON.parse(gemini.text)).toEqual({ 'file-path': '/tmp/x', '1st': 3 });
    // gemini: a null the original allows (nullable for the model) reaches the server as null.
    const nullable = await run('gemini', 'edge__edge_nullable', { note: null });
    expect(nullable.text).toBe('{"note":null}');
    // anthropic: no top-level anyOf; an argument for one alternative passes the original's check.
    const anthropic = await run('anthropic', 'edge__edge_anyof', { b: 2 });
    expect(anthropic.schema.anyOf).toBeUndefined();
    expect(anthropic.text).toBe('{"b":2}');
  }, 60_000);

  it('an abort during progress in streamText cancels the call on the server and ends the stream', async () => {
    await using fx = await counterHost();
    const tools = adapter.aiTools(fx.host, { key: 'p', preliminaryProgress: true });
    const model = new aiTest.MockLanguageModelV4({
      doStream: async () => ({
        stream: aiTest.convertArrayToReadableStream<LanguageModelV4StreamPart>([
          { type: 'tool-call', toolCallId: 'c0', toolName: 'counter__sleep', input: '{"ms":8000}' },
          { type: 'finish', finishReason: { unified: 'tool-calls', raw: undefined }, usage },
        ]),
      }),
    });
    const controller = new AbortController();
    const result = ai.streamText({
      model,
      tools,
      prompt: 'sleep',
      abortSignal: controller.signal,
      stopWhen: ai.stepCountIs(3),
    });
    const types: string[] = [];
    for await (const part of result.fullStream) {
      types.push(part.type === 'tool-result' && part.preliminary ? 'preliminary' : part.type);
      if (part.type === 'tool-result' && part.preliminary) controller.abort(new Error('user left'));
    }
    expect(types).toContain('preliminary');
    expect(types).toContain('abort');
    expect(types.filter((t) => t === 'tool-result')).toEqual([]); // no final result after the abort
    const pid = fx.pids.pids('sleeping')[0];
    expect(await waitFor(() => fx.pids.pids('cancelled').includes(pid!), 6_000)).toBe(true);
  }, 60_000);

  it("an onProgress that throws does not fail the call or the server's session", async () => {
    await using fx = await counterHost();
    let calls = 0;
    const tools = adapter.aiTools(fx.host, {
      key: 'noisy',
      onProgress: () => {
        calls++;
        throw new Error('listener bug');
      },
    });
    const result = await ai.generateText({
      model: scripted([
        { call: 'counter__sleep', input: { ms: 200 } },
        { call: 'counter__increment' },
        { text: true },
      ]),
      tools,
      prompt: 'sleep',
      stopWhen: ai.stepCountIs(4),
    });
    expect(calls).toBeGreaterThan(0);
    expect(result.steps.flatMap((s) => s.content).filter((p) => p.type === 'tool-error')).toEqual([]);
    expect(result.text).toBe('1');
  }, 60_000);

  it("closeKey while the key's first session is still opening: the call settles, nothing is left open", async () => {
    await using fx = await counterHost();
    const tools = adapter.aiTools(fx.host, { key: 'racing' });
    const run = ai.generateText({
      model: scripted([{ call: 'counter__sleep', input: { ms: 50 } }, { text: true }]),
      tools,
      prompt: 'go',
      stopWhen: ai.stepCountIs(3),
    });
    // The session opens on the call: close the key as soon as the process exists.
    expect(await waitFor(() => fx.pids.pids('server').length >= 2, 10_000)).toBe(true);
    await fx.host.closeKey('racing');
    const result = await run;
    expect(result.text.length).toBeGreaterThan(0);
    await fx.host.closeKey('racing');
    const counter = fx.host.status().find((row) => row.name === 'counter');
    expect((counter?.sessions ?? []).filter((s) => s.key === 'racing')).toEqual([]);
  }, 60_000);

  it('servers and tools (wildcards) narrow the set; the model cannot call a tool outside it', async () => {
    await using fx = await counterHost();
    const tools = adapter.aiTools(fx.host, {
      key: 'f',
      servers: ['counter'],
      tools: ['*__incr*', 'counter__get'],
    });
    expect(Object.keys(tools).sort()).toEqual(['counter__get', 'counter__increment']);
    expect('tools__echo' in tools).toBe(false);
    const result = await ai.generateText({
      model: scripted([
        { call: 'counter__reset' },
        { call: 'counter__increment' },
        { call: 'counter__get' },
        { text: true },
      ]),
      tools,
      prompt: 'go',
      stopWhen: ai.stepCountIs(5),
    });
    const errors = result.steps.flatMap((s) => s.content).filter((p) => p.type === 'tool-error');
    expect(errors.map((e) => e.toolName)).toEqual(['counter__reset']);
    expect(result.text).toBe('1');
  }, 60_000);

  it('hostile results reach the model as something it can read, and the loop goes on', async () => {
    await using fx = await hostileHost();
    const kinds = HOSTILE_KINDS;
    const texts: string[] = [];
    for (const kind of kinds) {
      const result = await ai.generateText({
        model: scripted([{ call: 'bad__hostile', input: { kind } }, { text: true }]),
        tools: adapter.aiTools(fx.host),
        prompt: kind,
        stopWhen: ai.stepCountIs(4),
      });
      texts.push(result.text);
    }
    expect(texts[0]?.split('|')).toHaveLength(10_000);
    // A tool error with no content: the model reads that the tool failed, not "[]".
    expect(texts[5]).toMatch(/error|failed/);
    expect(texts.every((text) => text.length > 0)).toBe(true);
  }, 60_000);

  it('a server that crashes mid-call: the model reads which server and why; the next call gets a new one', async () => {
    await using fx = await counterHost();
    const result = await ai.generateText({
      model: scripted([{ call: 'counter__crash' }, { text: true }, { text: true }]),
      tools: adapter.aiTools(fx.host, { key: 'crashy' }),
      prompt: 'crash',
      stopWhen: ai.stepCountIs(4),
    });
    expect(result.text).toMatch(/counter/);
    const again = await ai.generateText({
      model: scripted([{ call: 'counter__get' }, { text: true }]),
      tools: adapter.aiTools(fx.host, { key: 'crashy' }),
      prompt: 'get',
      stopWhen: ai.stepCountIs(4),
    });
    expect(again.text).toBe('0');
  }, 60_000);
});
