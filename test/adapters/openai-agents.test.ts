/**
 * The OpenAI Agents SDK adapter through the SDK's real `run()` loop, driven by the SDK's own
 * `ScriptedModel` (`@openai/agents/testing`), against the real counter fixture (keyed: a session and a
 * process per conversation): function tools (`openaiAgentsTools`) and the `MCPServer`
 * (`berthMcpServer`).
 */
import { describe, expect, it } from 'vitest';
import { counterHost, frameworkRuns } from './frameworks.js';
import { FIXTURE, alive, hostFixture, waitFor } from '../helpers.js';
import type { Host } from '../../src/index.js';

const runs = frameworkRuns('OpenAI Agents SDK', '22.0.0');

// Loaded only where the SDK can run (Node >= 22).
const sdk = runs ? await import('@openai/agents') : undefined;
const testing = runs ? await import('@openai/agents/testing') : undefined;
const adapter = runs ? await import('../../src/adapters/openai-agents/index.js') : undefined;
// Traces would be exported to OpenAI (and warn that there is no key to do it with).
sdk?.setTracingDisabled(true);

type Ctx = { thread: string };
type Sdk = NonNullable<typeof sdk>;
type Testing = NonNullable<typeof testing>;
type ModelCall = Parameters<Parameters<Testing['modelResponder']>[0]>[0];

/** The outputs of the function calls the model has seen so far in this request, in order. */
function toolOutputs(call: ModelCall): unknown[] {
  const input = call.request.input;
  if (typeof input === 'string') return [];
  return input
    .filter((item) => (item as { type?: string }).type === 'function_call_result')
    .map((item) => (item as { output: unknown }).output);
}

/** The text of a function_call_result output (a string, a text item, or a list of input_text items). */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map(outputText).join('\n');
  const item = output as { type?: string; text?: string };
  if (item?.type === 'text' || item?.type === 'input_text') return item.text ?? '';
  return JSON.stringify(output);
}

/** A model that calls each tool in turn (one call per turn), then answers with the last tool's output. */
function scripted(calls: Array<[string, Record<string, unknown>]>): InstanceType<Testing['ScriptedModel']> {
  const { ScriptedModel, functionCall, modelResponder, assistantMessage } = testing!;
  return new ScriptedModel([
    ...calls.map(([name, args], i) => [functionCall(name, args, { callId: `call_${name}_${i}` })]),
    modelResponder((call) => {
      const outputs = toolOutputs(call);
      return [assistantMessage(outputText(outputs.at(-1)))];
    }),
  ]);
}

/** One run of an agent with these tools (or MCP servers) on a scripted model. */
async function runWith(
  agentOptions: { tools?: unknown[]; mcpServers?: unknown[] },
  calls: Array<[string, Record<string, unknown>]>,
  context?: Ctx,
  signal?: AbortSignal,
): Promise<{ output: string; model: InstanceType<Testing['ScriptedModel']> }> {
  const { Agent, run } = sdk as Sdk;
  const model = scripted(calls);
  const agent = new Agent<Ctx>({
    name: 'counter agent',
    instructions: 'Use the tools.',
    model,
    ...(agentOptions as object),
  });
  const result = await run(agent, 'go', { ...(context && { context }), ...(signal && { signal }) });
  return { output: String(result.finalOutput), model };
}

/** The pid of each keyed session of `counter`, by key. */
function counterSessions(host: Host): Map<string | undefined, number | undefined> {
  const row = host.status().find((status) => status.name === 'counter');
  return new Map((row?.sessions ?? []).map((session) => [session.key, session.pid]));
}

describe.skipIf(!runs)('openai-agents adapter: function tools', () => {
  it('keeps each conversation on its own keyed session across runs and steps, interleaved', async () => {
    await using fixture = await counterHost();
    const { host, pids } = fixture;
    const before = pids.pids('server').length;
    const tools = adapter!.openaiAgentsTools<Ctx>(host, { key: (ctx) => ctx.thread, servers: ['counter'] });
    expect(tools.map((t) => t.name)).toContain('counter__increment');
    expect(tools.every((t) => t.type === 'function' && t.strict === false)).toBe(true);
    // Making the tools opened nothing: no process beyond those the host started.
    expect(pids.pids('server')).toHaveLength(before);

    const a = { thread: 'conversation-a' };
    const b = { thread: 'conversation-b' };
    expect((await runWith({ tools }, [['counter__increment', { by: 1 }]], a)).output).toBe('1');
    expect((await runWith({ tools }, [['counter__increment', { by: 1 }]], b)).output).toBe('1');
    expect(
      (
        await runWith(
          { tools },
          [
            ['counter__increment', { by: 1 }],
            ['counter__get', {}],
          ],
          a,
        )
      ).output,
    ).toBe('2');
    // Both at once: neither sees the other's counter.
    const [againA, againB] = await Promise.all([
      runWith({ tools }, [['counter__get', {}]], a),
      runWith(
        { tools },
        [
          ['counter__increment', { by: 1 }],
          ['counter__get', {}],
        ],
        b,
      ),
    ]);
    expect(againA.output).toBe('2');
    expect(againB.output).toBe('2');
    const sessions = counterSessions(host);
    expect(sessions.get('conversation-a')).toBeTypeOf('number');
    expect(sessions.get('conversation-b')).toBeTypeOf('number');
    expect(sessions.get('conversation-a')).not.toBe(sessions.get('conversation-b'));

    // Ending one conversation ends its process, not the other's.
    const pidA = sessions.get('conversation-a')!;
    await host.closeKey('conversation-a');
    expect(alive([pidA])).toEqual([]);
    expect(counterSessions(host).has('conversation-b')).toBe(true);
  });

  it('an abort of the run cancels the call on the server', async () => {
    await using fixture = await counterHost();
    const { host, pids } = fixture;
    // An abort is not a tool failure: the error function (what the model would read) is not asked.
    const failures: unknown[] = [];
    const tools = adapter!.openaiAgentsTools<Ctx>(host, {
      key: (ctx) => ctx.thread,
      errorFunction: (_context, error) => (failures.push(error), 'failed'),
    });
    const controller = new AbortController();
    const running = runWith(
      { tools },
      [['counter__sleep', { ms: 5_000 }]],
      { thread: 'aborted' },
      controller.signal,
    );
    const settled = running.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true);
    controller.abort();
    const outcome = await settled;
    expect((outcome as Error).name).toBe('AbortError');
    expect(await waitFor(() => pids.count('cancelled') === 1)).toBe(true);
    expect(failures).toEqual([]);
  });

  it('reports progress through the onProgress option', async () => {
    await using fixture = await counterHost();
    const seen: Array<[string, number, string | undefined]> = [];
    const tools = adapter!.openaiAgentsTools<Ctx>(fixture.host, {
      key: (ctx) => ctx.thread,
      onProgress: (progress, call) =>
        seen.push([call.tool, progress.progress, call.runContext?.context.thread]),
    });
    await runWith({ tools }, [['counter__sleep', { ms: 40 }]], { thread: 'progress' });
    expect(seen).toEqual([1, 2, 3, 4].map((n) => ['counter__sleep', n, 'progress']));
    const server = adapter!.berthMcpServer<Ctx>(fixture.host, {
      key: (ctx) => ctx.thread,
      name: 'progress-berth',
      onProgress: (progress, call) =>
        seen.push([call.tool, progress.progress, call.runContext?.context.thread]),
    });
    seen.length = 0;
    await runWith({ mcpServers: [server] }, [['counter__sleep', { ms: 40 }]], { thread: 'progress' });
    expect(seen).toEqual([1, 2, 3, 4].map((n) => ['counter__sleep', n, 'progress']));
    await server.close();
  });

  it("makes strict tools with schema 'openai-strict', and berth still gets arguments its schema takes", async () => {
    await using fixture = await counterHost();
    const tools = adapter!.openaiAgentsTools(fixture.host, {
      schema: 'openai-strict',
      tools: ['tools__increment'],
    });
    const [increment] = tools;
    expect(increment!.strict).toBe(true);
    expect(increment!.parameters).toMatchObject({ additionalProperties: false, required: ['by'] });
    // Strict mode makes the optional `by` required and nullable; the model's null must not reach
    // berth, which checks against the server's schema (an integer, optional, default 1).
    const { output } = await runWith({ tools }, [['tools__increment', { by: null }]]);
    expect(output).toBe('1');
    const plain = adapter!.openaiAgentsTools(fixture.host, { tools: ['tools__increment'] });
    expect(plain[0]!.strict).toBe(false);
  });

  it('gives results in the SDK native forms: text, image and file items', async () => {
    await using fixture = await counterHost();
    const tools = adapter!.openaiAgentsTools(fixture.host, { tools: ['tools__media', 'tools__echo'] });
    expect(tools.map((t) => t.name).sort()).toEqual(['tools__echo', 'tools__media']);
    const { model } = await runWith({ tools }, [
      ['tools__media', {}],
      ['tools__echo', { value: 'plain' }],
    ]);
    const outputs = toolOutputs(model.lastCall!);
    // Text alone is one string (the SDK hands it to the model as one text item).
    expect(outputs[1]).toEqual({ type: 'text', text: 'plain' });
    const media = outputs[0] as Array<Record<string, unknown>>;
    expect(media.map((item) => item.type)).toEqual([
      'input_text',
      'input_image',
      'input_file',
      'input_text',
      'input_text',
    ]);
    expect(media[0]).toMatchObject({ text: 'a picture and a sound' });
    expect(String(media[1]!.image)).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(media[3]).toMatchObject({ text: 'an embedded note' });
    expect(String(media[4]!.text)).toContain('fixture://elsewhere');
  });

  it('returns a tool error and berth failures to the model, and throws them when asked', async () => {
    await using fixture = await counterHost();
    const { host } = fixture;
    const tools = adapter!.openaiAgentsTools<Ctx>(host, { key: (ctx) => ctx.thread });
    const { model } = await runWith({ tools }, [
      ['tools__fail', {}],
      ['counter__increment', { by: 1 }], // keyed, but this run has no context: no key
      ['counter__increment', { by: 'one' }],
    ]);
    const [failed, keyless, invalid] = toolOutputs(model.lastCall!).map(outputText);
    expect(failed).toBe('Error: it failed');
    expect(keyless).toMatch(/^Error \(KEY_REQUIRED\): server "counter" has session scope "keyed"/);
    expect(invalid).toMatch(/^Error \(INVALID_ARGUMENTS\)/);

    const throwing = adapter!.openaiAgentsTools(host, { toolErrors: 'throw', tools: ['tools__fail'] });
    const error = await runWith({ tools: throwing }, [['tools__fail', {}]]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain('it failed');
  });

  it('a tool whose server left the catalog is not offered on the next turn', async () => {
    await using fixture = await counterHost();
    const { host } = fixture;
    const tools = adapter!.openaiAgentsTools(host);
    const { ScriptedModel, functionCall, modelResponder, assistantMessage } = testing!;
    const seen: string[][] = [];
    const model = new ScriptedModel([
      modelResponder((call) => {
        seen.push(call.request.tools.map((t) => (t as { name: string }).name));
        return [functionCall('tools__echo', { value: 'x' }, { callId: 'c1' })];
      }),
      modelResponder((call) => {
        seen.push(call.request.tools.map((t) => (t as { name: string }).name));
        return [assistantMessage('done')];
      }),
    ]);
    const { Agent, run } = sdk!;
    const agent = new Agent({
      name: 'a',
      model,
      tools,
      toolUseBehavior: 'run_llm_again',
    });
    // Remove `tools` once the first call is answered: its tools must be gone from the second request.
    const echo = tools.find((t) => t.name === 'tools__echo')!;
    const original = echo.invoke;
    echo.invoke = async (...args) => {
      const result = await original(...args);
      await host.remove('tools');
      return result;
    };
    await run(agent, 'go');
    expect(seen[0]).toContain('tools__echo');
    expect(seen[1]).not.toContain('tools__echo');
    expect(seen[1]).toContain('counter__increment');
  });
});

describe.skipIf(!runs)('openai-agents adapter: MCPServer', () => {
  it('keys each run by its context, re-lists tools each turn, and owns nothing it was not given', async () => {
    await using fixture = await counterHost();
    const { host, pids } = fixture;
    const before = pids.pids('server').length;
    const server = adapter!.berthMcpServer<Ctx>(host, { key: (ctx) => ctx.thread });
    await server.connect();
    expect((await server.listTools()).map((t) => t.name)).toContain('counter__increment');
    expect(pids.pids('server')).toHaveLength(before);

    const a = { thread: 'mcp-a' };
    const b = { thread: 'mcp-b' };
    const mcpServers = [server];
    expect((await runWith({ mcpServers }, [['counter__increment', { by: 1 }]], a)).output).toBe('1');
    expect((await runWith({ mcpServers }, [['counter__increment', { by: 1 }]], b)).output).toBe('1');
    expect(
      (
        await runWith(
          { mcpServers },
          [
            ['counter__increment', { by: 1 }],
            ['counter__get', {}],
          ],
          a,
        )
      ).output,
    ).toBe('2');
    expect(
      (
        await runWith(
          { mcpServers },
          [
            ['counter__increment', { by: 1 }],
            ['counter__get', {}],
          ],
          b,
        )
      ).output,
    ).toBe('2');
    const { model } = await runWith({ mcpServers }, [['tools__fail', {}]]);
    expect(outputText(toolOutputs(model.lastCall!)[0])).toBe('Error: it failed');

    // A key function: the keys are the conversations'; closing the server ends none of them.
    await server.close();
    expect(counterSessions(host).has('mcp-a')).toBe(true);
    expect(counterSessions(host).has('mcp-b')).toBe(true);
    await expect(server.callTool('counter__get', {})).rejects.toThrow(
      /"berth" is closed: call connect\(\) before you call "counter__get"/,
    );
    await expect(server.listTools()).rejects.toThrow(/closed: call connect\(\) before you list its tools/);
    await server.connect();
    expect((await server.listTools()).length).toBeGreaterThan(0);
    await server.close();
  });

  it('gives media results to the model in the SDK native forms, as function tools do', async () => {
    await using fixture = await counterHost();
    const server = adapter!.berthMcpServer(fixture.host, { tools: ['tools__media'], name: 'media-berth' });
    const { model } = await runWith({ mcpServers: [server] }, [['tools__media', {}]]);
    const media = toolOutputs(model.lastCall!)[0] as Array<Record<string, unknown>>;
    expect(media.map((item) => item.type)).toEqual([
      'input_text',
      'input_image',
      'input_file',
      'input_text',
      'input_text',
    ]);
    expect(String(media[1]!.image)).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(media[3]).toMatchObject({ text: 'an embedded note' });
    // callToolResult is the result as the server sent it.
    const result = await server.callToolResult('tools__media', {});
    expect(result.content.map((block) => block.type)).toEqual([
      'text',
      'image',
      'audio',
      'resource',
      'resource_link',
    ]);
    await server.close();
  });

  it('a fixed key is the server own: close() ends its sessions', async () => {
    await using fixture = await counterHost();
    const { host, pids } = fixture;
    const server = adapter!.berthMcpServer(host, { key: 'fixed', name: 'fixed-berth' });
    await server.connect();
    expect((await runWith({ mcpServers: [server] }, [['counter__increment', { by: 3 }]])).output).toBe('3');
    const pid = counterSessions(host).get('fixed')!;
    expect(alive([pid])).toEqual([pid]);
    await server.close();
    expect(counterSessions(host).has('fixed')).toBe(false);
    expect(alive([pid])).toEqual([]);
    // connect() again: a new toolset, a new session.
    await server.connect();
    expect((await runWith({ mcpServers: [server] }, [['counter__get', {}]])).output).toBe('0');

    // A close while a call is in flight lets it finish; a second close() waits for the same close.
    const secondPid = counterSessions(host).get('fixed')!;
    const sleeping = server.callTool('counter__sleep', { ms: 400 });
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true);
    const first = server.close();
    await server.close();
    expect(alive([secondPid])).toEqual([]);
    expect((await sleeping)[0]).toEqual({ type: 'text', text: 'slept 400' });
    await first;
  });

  it('a toolset it was given stays open after close()', async () => {
    await using fixture = await counterHost();
    const { host } = fixture;
    await using toolset = host.toolset({ key: 'given' });
    const server = adapter!.berthMcpServer(toolset, { name: 'given-berth' });
    expect((await runWith({ mcpServers: [server] }, [['counter__increment', { by: 2 }]])).output).toBe('2');
    await server.close();
    expect(counterSessions(host).has('given')).toBe(true);
    expect((await toolset.callTool('counter__get')).content).toEqual([{ type: 'text', text: '2' }]);
  });

  it('an abort of the run cancels the call on the server', async () => {
    await using fixture = await counterHost();
    const { host, pids } = fixture;
    const failures: unknown[] = [];
    const server = adapter!.berthMcpServer<Ctx>(host, {
      key: (ctx) => ctx.thread,
      name: 'abort-berth',
      errorFunction: ({ error }) => (failures.push(error), 'failed'),
    });
    const controller = new AbortController();
    const settled = runWith(
      { mcpServers: [server] },
      [['counter__sleep', { ms: 5_000 }]],
      { thread: 'mcp-aborted' },
      controller.signal,
    ).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true);
    controller.abort();
    expect(((await settled) as Error).name).toBe('AbortError');
    expect(await waitFor(() => pids.count('cancelled') === 1)).toBe(true);
    expect(failures).toEqual([]);
    await server.close();
  });

  it('with cacheToolsList, a server added to the host reaches the next turn', async () => {
    await using fixture = await counterHost();
    const { host } = fixture;
    const server = adapter!.berthMcpServer(host, { cacheToolsList: true, name: 'cached-berth' });
    const { ScriptedModel, functionCall, modelResponder, assistantMessage } = testing!;
    const seen: string[][] = [];
    const names = (call: ModelCall) => call.request.tools.map((t) => (t as { name: string }).name);
    const model = new ScriptedModel([
      modelResponder((call) => {
        seen.push(names(call));
        return [functionCall('tools__echo', { value: 'x' }, { callId: 'c1' })];
      }),
      modelResponder((call) => {
        seen.push(names(call));
        return [assistantMessage('done')];
      }),
    ]);
    const { Agent, run } = sdk!;
    const agent = new Agent({ name: 'a', model, mcpServers: [server] });
    const addDuringCall = async () => {
      await host.add('more', { command: process.execPath, args: [FIXTURE] });
    };
    // Add the server between the two turns: the tool call's result is handled before the second turn.
    const originalCall = server.callTool.bind(server);
    server.callTool = async (...args) => {
      const result = await originalCall(...args);
      await addDuringCall();
      return result;
    };
    await run(agent, 'go');
    expect(seen[0]).not.toContain('more__echo');
    expect(seen[1]).toContain('more__echo');
    await server.close();
  });

  it('with cacheToolsList, a tool a server adds (list_changed) reaches the next turn', async () => {
    await using fixture = await counterHost();
    const { host } = fixture;
    const server = adapter!.berthMcpServer(host, { cacheToolsList: true, name: 'listed-berth' });
    const { ScriptedModel, functionCall, modelResponder, assistantMessage } = testing!;
    const seen: string[][] = [];
    const names = (call: ModelCall) => call.request.tools.map((t) => (t as { name: string }).name);
    const model = new ScriptedModel([
      modelResponder((call) => {
        seen.push(names(call));
        // The SDK gives the model `tools__add-tool` as `tools__add_tool` (and calls berth by the catalog name).
        return [functionCall('tools__add_tool', {}, { callId: 'c1' })];
      }),
      modelResponder((call) => {
        seen.push(names(call));
        return [assistantMessage('done')];
      }),
    ]);
    // The tool's answer comes before its list_changed: let the call wait for the catalog to have it.
    const originalCall = server.callTool.bind(server);
    server.callTool = async (...args) => {
      const result = await originalCall(...args);
      expect(await waitFor(() => host.tools().some((t) => t.name === 'tools__added'))).toBe(true);
      return result;
    };
    const { Agent, run } = sdk!;
    await run(new Agent({ name: 'a', model, mcpServers: [server] }), 'go');
    expect(seen[0]).not.toContain('tools__added');
    expect(seen[1]).toContain('tools__added');
    await server.close();
  });

  it('leaves out a tool the SDK would name like another, instead of failing the run', async () => {
    // `x__add-tool` and `x__add_tool` are distinct in berth's catalog; the SDK names both `x__add_tool`.
    await using fixture = await hostFixture({
      x: { command: process.execPath, args: [FIXTURE, '--tool-name=add_tool'] },
      y: { command: process.execPath, args: [FIXTURE, '--tool-name=add_tool'] },
    });
    const { host } = fixture;
    expect(
      host
        .tools()
        .filter((t) => t.name.startsWith('x__add'))
        .map((t) => t.name),
    ).toEqual(expect.arrayContaining(['x__add-tool', 'x__add_tool']));
    const tools = adapter!.openaiAgentsTools(host, { tools: ['y__add*'] });
    expect(tools.map((t) => t.name)).toEqual(['y__add_prompt_and_resource', 'y__add_tool']);
    const server = adapter!.berthMcpServer(host, { tools: ['x__add*'], name: 'collide-berth' });
    expect((await server.listTools()).map((t) => t.name)).toEqual([
      'x__add-prompt-and-resource',
      'x__add-tool',
    ]);
    // The SDK's name reaches the first of the two (the catalog's `x__add-tool`, which answers `ok`).
    expect((await runWith({ mcpServers: [server] }, [['x__add_tool', {}]])).output).toBe('ok');
    expect((await runWith({ tools }, [['y__add_tool', {}]])).output).toBe('ok');
    await server.close();
  });
});
