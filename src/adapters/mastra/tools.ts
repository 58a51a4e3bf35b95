/**
 * berth's tools as Mastra tools (`createTool`), for an `Agent`'s `tools` (re-read on
 * every `generate`/`stream`) or as a toolset for `agent.generate(…, { toolsets })`. Owns only the
 * translation: the key of a call (Mastra's memory thread, else the `key` option), the result the
 * model sees, errors, abort and progress. Sessions stay the host's: opened on a tool's first call,
 * ended by `toolset.close()` or `host.closeKey(threadId)`.
 */
import { createTool, type Tool } from '@mastra/core/tools';
import type { CallToolResult, Progress } from '@modelcontextprotocol/client';
import { BerthError, type CatalogTool } from '../../index.js';
import {
  ToolBinding,
  shapeSchema,
  type AdapterOptions,
  type JsonSchemaObject,
  type ToolSource,
} from '../core/index.js';
import { toModelOutput, type ModelOutput } from './result.js';

/**
 * The parts of Mastra's tool execution context the adapter reads (the second argument of a tool's
 * `execute`); a `key` function receives the whole context.
 */
export interface MastraToolContext {
  /** Present when an agent runs the tool: its memory thread and resource. */
  agent?: { threadId?: string; resourceId?: string; toolCallId?: string };
  /** The run's request context (`agent.generate(…, { requestContext })`). */
  requestContext?: { get(key: string): unknown };
  /** Aborts the call on the wire (`agent.generate(…, { abortSignal })`). */
  abortSignal?: AbortSignal;
  /** The tool's output stream: progress goes there. */
  writer?: { write(data: unknown): Promise<void> };
  [other: string]: unknown;
}

/** Options of `mastraTools`. */
export interface MastraToolsOptions extends AdapterOptions<MastraToolContext> {
  /**
   * Which Mastra id keys the sessions of keyed servers, for a `Host` source: the memory thread
   * (`'thread'`, the default: a session per conversation), the memory resource (`'resource'`: a
   * session per user, across their threads), or neither (`'none'`: only the `key` option).
   */
  conversation?: 'thread' | 'resource' | 'none';
  /**
   * What a tool error (`isError`) and a berth failure (server unavailable, timeout) do: `'model'`
   * (default) gives them to the model as an error output, so the loop goes on; `'throw'` throws
   * (Mastra then reports a tool error). An abort always stays an abort.
   */
  toolErrors?: 'model' | 'throw';
  /** The name of the toolset `toolsets()` returns (default `'berth'`). */
  toolsetName?: string;
}

/** A berth tool as Mastra sees it: MCP arguments in, the MCP `CallToolResult` out. */
export type BerthMastraTool = Tool<Record<string, unknown>, CallToolResult>;

/** What `mastraTools` returns. */
export interface MastraTools {
  /**
   * The tools now, keyed by catalog name. Pass the function itself as an agent's tools
   * (`new Agent({ tools: berth.tools })`): Mastra calls it on every `generate`/`stream`, so servers
   * added and list changes reach the next run; call it for a snapshot.
   */
  tools: () => Record<string, BerthMastraTool>;
  /** The tools as one toolset, for `agent.generate(messages, { toolsets: berth.toolsets() })`. */
  toolsets: () => Record<string, Record<string, BerthMastraTool>>;
  /**
   * Re-reads the catalog before every step of a run, not only at its start:
   * `agent.generate(messages, { prepareStep: berth.prepareStep })`. It keeps the step's other tools
   * and replaces berth's with the catalog as it is now (a server added mid-run is callable at the
   * next step; a removed one's tools are gone). To combine with your own `prepareStep`, call it
   * there and return its `tools`.
   */
  prepareStep: (step: { tools?: Record<string, unknown> }) => { tools: Record<string, unknown> };
}

/** A tool error (`isError`) thrown under `toolErrors: 'throw'`; the result is on it. */
export class ToolResultError extends Error {
  /** The tool's result, as the server sent it. */
  readonly result: CallToolResult;

  constructor(tool: string, result: CallToolResult) {
    const text = result.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
    super(`tool "${tool}" reported an error${text ? `: ${text}` : ''}`);
    this.name = 'ToolResultError';
    this.result = result;
  }
}

/** Codes of berth failures no model can fix: the developer must, so they are thrown. */
const THROWN: ReadonlySet<string> = new Set([
  'KEY_REQUIRED',
  'INVALID_OPTION',
  'HOST_CLOSED',
  'TOOLSET_CLOSED',
]);

/**
 * A JSON Schema as a Standard Schema for Mastra: the model sees `schema` (shaped); every object
 * passes Mastra's own check, because berth validates arguments against the server's original schema.
 */
function modelSchema(schema: JsonSchemaObject) {
  return {
    '~standard': {
      version: 1 as const,
      vendor: 'berth',
      validate: (value: unknown) =>
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? { value: value as Record<string, unknown> }
          : { issues: [{ message: 'arguments must be an object' }] },
      jsonSchema: { input: () => structuredClone(schema), output: () => structuredClone(schema) },
    },
  };
}

/**
 * berth's tools (from a `Host` or a `Toolset`) as Mastra tools.
 *
 * ```ts
 * const agent = new Agent({ name: 'a', instructions: '…', model, tools: mastraTools(host).tools });
 * await agent.generate('…', { memory: { thread: threadId, resource: userId } });
 * await host.closeKey(threadId); // the conversation is over: its sessions end
 * ```
 */
export function mastraTools(source: ToolSource, options: MastraToolsOptions = {}): MastraTools {
  const binding = new ToolBinding<MastraToolContext>(source, options);
  const made = new WeakMap<CatalogTool, BerthMastraTool>();
  const conversationOf = (context: MastraToolContext | undefined): string | undefined => {
    if (options.conversation === 'none') return undefined;
    return options.conversation === 'resource' ? context?.agent?.resourceId : context?.agent?.threadId;
  };

  const execute = async (
    name: string,
    args: Record<string, unknown>,
    context: MastraToolContext | undefined,
  ): Promise<CallToolResult> => {
    const signal = context?.abortSignal;
    const writer = context?.writer;
    // Progress writes are owned here: awaited before the call returns, failures ignored (a closed
    // stream must not fail the call).
    const writes: Promise<void>[] = [];
    const onProgress =
      writer &&
      ((progress: Progress) => {
        writes.push(writer.write({ type: 'progress', tool: name, ...progress }).catch(() => undefined));
      });
    const conversation = conversationOf(context);
    let result: CallToolResult;
    try {
      result = await binding.call(name, args, {
        ...(context && { context }),
        ...(conversation !== undefined && { conversation }),
        ...(signal && { signal }),
        ...(onProgress && { onProgress }),
      });
    } catch (error) {
      await Promise.all(writes);
      if (signal?.aborted || !BerthError.is(error) || error.code === 'CALL_ABORTED') throw error;
      if (error.code === 'KEY_REQUIRED')
        // Said where the developer will look (Mastra's tool error, the model's answer), with the fix.
        error.message += `; with Mastra, give agent.generate/stream a memory thread (memory: { thread, resource }), or mastraTools a key option`;
      if (THROWN.has(error.code) || options.toolErrors === 'throw') throw error;
      return {
        content: [{ type: 'text', text: error.message }],
        isError: true,
        _meta: { 'berth/error': { code: error.code, name: error.name } },
      };
    }
    await Promise.all(writes);
    if (result.isError && options.toolErrors === 'throw') throw new ToolResultError(name, result);
    return result;
  };

  const toMastra = (tool: CatalogTool): BerthMastraTool => {
    let mastraTool = made.get(tool);
    if (!mastraTool) {
      mastraTool = createTool({
        id: tool.name,
        description: tool.description ?? tool.title ?? tool.name,
        inputSchema: modelSchema(shapeSchema(tool.inputSchema as JsonSchemaObject, options.schema)),
        ...(tool.title !== undefined && { title: tool.title }),
        execute: (args: Record<string, unknown> | undefined, context: unknown) =>
          execute(tool.name, args ?? {}, context as MastraToolContext | undefined),
        toModelOutput: (output: unknown): ModelOutput => toModelOutput(output),
      }) as unknown as BerthMastraTool;
      made.set(tool, mastraTool);
    }
    return mastraTool;
  };

  // Every name this adapter has handed out: prepareStep replaces exactly these in a step's tools.
  const handedOut = new Set<string>();
  const tools = (): Record<string, BerthMastraTool> =>
    Object.fromEntries(
      binding.tools().map((tool) => {
        handedOut.add(tool.name);
        return [tool.name, toMastra(tool)];
      }),
    );
  return {
    tools,
    toolsets: () => ({ [options.toolsetName ?? 'berth']: tools() }),
    prepareStep: (step) => {
      const current = tools();
      const others = Object.entries(step.tools ?? {}).filter(([name]) => !handedOut.has(name));
      return { tools: { ...Object.fromEntries(others), ...current } };
    },
  };
}
