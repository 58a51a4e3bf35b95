/**
 * `aiTools`: a berth `Host` or `Toolset` as an AI SDK `ToolSet` of dynamic tools. The set is live: it
 * is a view of the catalog, so the AI SDK's loop (`generateText`, `streamText`, `ToolLoopAgent`),
 * which reads the set's entries again at every step, sees a server added or a tool list changed at its
 * next step. It owns no session: calls go through a `ToolBinding` to the host's scopes, which open a
 * keyed server's session on its key's first call and end it on `toolset.close()`/`host.closeKey(key)`.
 */
import type { CallToolResult, Progress } from '@modelcontextprotocol/client';
import { dynamicTool, jsonSchema, type Tool, type ToolSet } from 'ai';
import type { CatalogTool } from '../../index.js';
import { ToolBinding, shapeSchema, type AdapterOptions, type ToolSource } from '../core/index.js';
import { resultText, toModelOutput } from './output.js';

/** The AI SDK's per-tool context (what `generateText({ toolsContext })` gives a tool's `execute`). */
export type AiToolContext = Record<string, unknown>;

/**
 * The set `aiTools` returns: an AI SDK `ToolSet` whose tools output the MCP `CallToolResult` and take
 * `Context` (give it a type, e.g. `aiTools<{ conversation: string }>(…)`, and `toolsContext` is typed).
 */
export type AiToolSet<Context extends AiToolContext = AiToolContext> = Record<
  string,
  Tool<unknown, CallToolResult, Context>
>;

/** Options of `aiTools`. */
export interface AiToolsOptions<
  Context extends AiToolContext = AiToolContext,
> extends AdapterOptions<Context> {
  /**
   * What a tool result with `isError` does: `'model'` (default) returns it as the tool's output,
   * which the model sees as an error output; `'throw'` throws an `AiToolError` from `execute`, which
   * the AI SDK records as a `tool-error` part (the model still sees the error: the AI SDK never ends
   * its loop on a tool's error).
   */
  toolErrors?: 'model' | 'throw';
  /**
   * Progress as the AI SDK's streaming tool output: each notification becomes a preliminary output
   * (`tool-result` parts with `preliminary: true` in `streamText`'s stream and the UI), a
   * `CallToolResult` whose text says the progress and whose `_meta['berth/progress']` holds it. The
   * model only ever sees the final result. Default false.
   */
  preliminaryProgress?: boolean;
  /** Progress notifications of a call, with the tool call they belong to. */
  onProgress?: (progress: Progress, call: { toolName: string; toolCallId: string }) => void;
}

/** A tool result with `isError`, thrown when `toolErrors` is `'throw'`; `result` is the MCP result. */
export class AiToolError extends Error {
  /** The catalog name of the tool. */
  readonly toolName: string;
  /** The full MCP tool result. */
  readonly result: CallToolResult;

  constructor(toolName: string, result: CallToolResult) {
    super(`tool "${toolName}" returned an error: ${resultText(result)}`);
    this.name = 'AiToolError';
    this.toolName = toolName;
    this.result = result;
  }
}

/** The catalog entry a cached AI SDK tool was made from, and the tool. */
interface Made<Context extends AiToolContext> {
  from: CatalogTool;
  tool: Tool<unknown, CallToolResult, Context>;
}

/**
 * The tools of `source` as an AI SDK `ToolSet`: one dynamic tool per catalog tool (name, description,
 * input schema shaped by `options.schema`), whose output is the full MCP `CallToolResult` and whose
 * `toModelOutput` gives the model text, file (image, audio) and error parts.
 *
 * The key of keyed servers: a `Toolset` source's own key; for a `Host` source, `options.key` (a
 * string, or a function of the tool's AI SDK context, see `aiToolsContext`). The AI SDK has no
 * conversation id of its own. The `abortSignal` of `generateText`/`streamText`/an agent call cancels
 * a call on the wire.
 *
 * The set is live: its entries are the catalog as it is when the AI SDK reads them (at each step), so
 * catalog changes reach the next step. Spreading it (`{ ...tools, mine }`) takes a snapshot; keep the
 * set itself to stay live. It is read-only.
 */
export function aiTools<Context extends AiToolContext = AiToolContext>(
  source: ToolSource,
  options: AiToolsOptions<Context> = {},
): AiToolSet<Context> {
  const binding = new ToolBinding<Context>(source, options);
  const made = new Map<string, Made<Context>>();
  let catalog = new Map<string, CatalogTool>();

  const refresh = (): Map<string, CatalogTool> => {
    catalog = new Map(binding.tools().map((tool) => [tool.name, tool]));
    for (const name of made.keys()) if (!catalog.has(name)) made.delete(name);
    return catalog;
  };
  // The entry for a name: from the last read of the catalog, or a fresh one for a name it lacks.
  const entry = (name: string): CatalogTool | undefined => catalog.get(name) ?? refresh().get(name);

  const toolFor = (from: CatalogTool): Tool<unknown, CallToolResult, Context> => {
    const cached = made.get(from.name);
    if (
      cached &&
      cached.from.inputSchema === from.inputSchema &&
      cached.from.description === from.description
    )
      return cached.tool;
    const tool = makeTool(binding, from, options);
    made.set(from.name, { from, tool });
    return tool;
  };

  const lookup = (name: string | symbol) => {
    const from = typeof name === 'string' ? entry(name) : undefined;
    return from && toolFor(from);
  };

  return liveView(() => [...refresh().keys()], lookup);
}

/** One AI SDK dynamic tool calling a catalog tool through the binding. */
function makeTool<Context extends AiToolContext>(
  binding: ToolBinding<Context>,
  from: CatalogTool,
  options: AiToolsOptions<Context>,
): Tool<unknown, CallToolResult, Context> {
  const name = from.name;
  const finish = (result: CallToolResult): CallToolResult => {
    if (result.isError === true && options.toolErrors === 'throw') throw new AiToolError(name, result);
    return result;
  };
  const call = (
    input: unknown,
    context: unknown,
    signal: AbortSignal | undefined,
    toolCallId: string,
    progressTo?: (progress: Progress) => void,
  ): Promise<CallToolResult> => {
    const onProgress = options.onProgress;
    const report =
      onProgress || progressTo
        ? (progress: Progress) => {
            progressTo?.(progress);
            onProgress?.(progress, { toolName: name, toolCallId });
          }
        : undefined;
    return binding.call(name, argumentsOf(name, input), {
      ...(context !== undefined && { context: context as Context }),
      ...(signal && { signal }),
      ...(report && { onProgress: report }),
    });
  };
  // `dynamicTool` types its tools with the AI SDK's untyped context and output; these take `Context`
  // and output the MCP result.
  return dynamicTool({
    ...(from.description !== undefined && { description: from.description }),
    inputSchema: jsonSchema(shapeSchema(from.inputSchema, options.schema)),
    // Not sent to the model: the AI SDK puts it on the call's parts (`toolMetadata`) and UI parts.
    metadata: { berth: { server: from.server, tool: from.tool } },
    execute: options.preliminaryProgress
      ? (input, { abortSignal, context, toolCallId }) =>
          withProgress(
            (signal, progressTo) => call(input, context, signal, toolCallId, progressTo),
            abortSignal,
            finish,
          )
      : async (input, { abortSignal, context, toolCallId }) =>
          finish(await call(input, context, abortSignal, toolCallId)),
    toModelOutput: ({ output }) => toModelOutput(output as CallToolResult),
  }) as Tool<unknown, CallToolResult, Context>;
}

/** A progress notification as a preliminary tool output: its text, and the notification in `_meta`. */
export function progressResult(progress: Progress): CallToolResult {
  const total = progress.total !== undefined ? `/${progress.total}` : '';
  const message = progress.message !== undefined ? `: ${progress.message}` : '';
  return {
    content: [{ type: 'text', text: `progress ${progress.progress}${total}${message}` }],
    _meta: { 'berth/progress': { ...progress } },
  };
}

/**
 * Runs a call as the AI SDK's streaming tool output: progress is yielded as preliminary outputs
 * while the call runs, then the result. Progress only grows, so a notification not yet read is
 * replaced by the next one: a flood of notifications yields one output per read, not one each. The
 * call is owned here: if the consumer stops reading before the end, the call is aborted and awaited
 * before the generator returns.
 */
async function* withProgress(
  run: (signal: AbortSignal, progressTo: (progress: Progress) => void) => Promise<CallToolResult>,
  abortSignal: AbortSignal | undefined,
  finish: (result: CallToolResult) => CallToolResult,
): AsyncGenerator<CallToolResult, void> {
  const stop = new AbortController();
  const signal = abortSignal ? AbortSignal.any([abortSignal, stop.signal]) : stop.signal;
  let latest: Progress | undefined; // the newest notification not yet yielded
  let wake: (() => void) | undefined;
  let settled = false;
  const done = run(signal, (progress) => {
    latest = progress;
    wake?.();
  });
  const ended = done.then(
    () => {
      settled = true;
      wake?.();
    },
    () => {
      settled = true;
      wake?.();
    },
  );
  try {
    for (;;) {
      if (latest !== undefined) {
        const progress = latest;
        latest = undefined;
        yield progressResult(progress);
        continue; // more may have come while the consumer held the output
      }
      if (settled) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      // Let the rest of what arrived with it land first (notifications come in bursts, one chunk
      // of the server's output at a time), so a burst is one output.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    yield finish(await done);
  } finally {
    if (!settled) stop.abort(new Error('the tool output stream was closed before the call ended'));
    await ended;
  }
}

/** A read-only own property holding `value`, or none. */
function readOnly(value: unknown): PropertyDescriptor | undefined {
  return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
}

/**
 * A read-only object whose entries are computed on each access: its keys are `keys()`, the value of
 * each `lookup(name)`. Writes are refused.
 */
function liveView<V>(
  keys: () => string[],
  lookup: (name: string | symbol) => V | undefined,
): Record<string, V> {
  return new Proxy<Record<string, V>>(
    {},
    {
      ownKeys: keys,
      getOwnPropertyDescriptor: (_target, name) => readOnly(lookup(name)),
      has: (_target, name) => lookup(name) !== undefined,
      get: (_target, name) => lookup(name),
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    },
  );
}

/** A tool call's input as MCP arguments: a JSON object (none given: `{}`). */
function argumentsOf(name: string, input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input === 'object' && !Array.isArray(input)) return input as Record<string, unknown>;
  throw new TypeError(`tool "${name}": arguments must be a JSON object, got ${JSON.stringify(input)}`);
}

/**
 * The `toolsContext` for `generateText`/`streamText`/an agent call that gives every berth tool of
 * `tools` the same context (the AI SDK routes context per tool name); a `key` function of
 * `aiTools` reads it. Live like the set: a tool that appears at a later step gets it too.
 *
 * ```ts
 * const tools = aiTools(host, { key: (context) => context.conversation as string });
 * await generateText({ model, tools, toolsContext: aiToolsContext(tools, { conversation: id }) });
 * ```
 */
export function aiToolsContext<Context extends AiToolContext>(
  tools: ToolSet,
  context: Context,
): Record<string, Context> {
  const lookup = (name: string | symbol): Context | undefined =>
    typeof name === 'string' && Object.hasOwn(tools, name) ? context : undefined;
  return liveView(() => Object.keys(tools), lookup);
}
