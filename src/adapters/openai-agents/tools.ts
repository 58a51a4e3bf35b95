/**
 * `openaiAgentsTools`: berth's catalog as OpenAI Agents SDK function tools (`tool()` with a JSON
 * schema), for `new Agent({ tools })`. It owns nothing: each call goes to the host on the run's key
 * (or to the toolset given), and sessions open on a tool's first call; they end with the toolset's
 * `close()` or `host.closeKey(key)`, which stay the caller's to make.
 */
import type { Progress } from '@modelcontextprotocol/client';
import { tool, type FunctionTool, type RunContext } from '@openai/agents';
import type { CatalogTool } from '../../index.js';
import { ToolBinding, shapeSchema, type AdapterOptions, type ToolSource } from '../core/index.js';
import { distinctForSdk } from './names.js';
import { describeToolFailure, keepAbort, toToolOutput, ToolResultError, type ToolOutput } from './results.js';

/** What the model reads when a call fails, in the SDK's `errorFunction` form. */
export type ToolErrorFormatter<Context> = (
  context: RunContext<Context>,
  error: unknown,
) => string | Promise<string>;

/** Options of `openaiAgentsTools` and `berthMcpServer`. */
export interface OpenAIAgentsOptions<Context = unknown> extends AdapterOptions<Context> {
  /**
   * The key of keyed servers' sessions for a `Host` source: a string, or a function of the run's
   * context object (`RunContext.context`: what you pass as `run(agent, input, { context })`).
   */
  key?: AdapterOptions<Context>['key'];
  /**
   * What a failed call does: `'model'` (default) gives the model a message it can read (a tool's
   * `isError` text, or berth's error with its code); `'throw'` ends the run with the error (the
   * SDK's `errorFunction: null`). An abort is always an abort.
   */
  toolErrors?: 'model' | 'throw';
  /** Your own `errorFunction` (used with `toolErrors: 'model'`); berth's default names the failure. */
  errorFunction?: ToolErrorFormatter<Context>;
  /** Give the model a result's `structuredContent` (as JSON) instead of its content, when it has one. */
  useStructuredContent?: boolean;
  /**
   * Progress notifications of a call (the SDK has no progress channel for function tools): called
   * with the progress, the tool's catalog name and the run context.
   */
  onProgress?: (
    progress: Progress,
    call: { tool: string; runContext: RunContext<Context> | undefined },
  ) => void;
}

/** The SDK's function tool as `openaiAgentsTools` makes it. */
// The SDK types a JSON-schema tool's parameters as `JsonObjectSchema<any>`, which it does not export.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BerthFunctionTool<Context = unknown> = FunctionTool<Context, any, ToolOutput>;

/**
 * The `errorFunction` a tool gets from the options: berth's readable default, the user's own, or
 * `null` (the run fails) for `toolErrors: 'throw'`.
 */
export function errorFunctionOf<Context>(
  options: OpenAIAgentsOptions<Context>,
): ToolErrorFormatter<Context> | null {
  if (options.toolErrors === 'throw') return null;
  return options.errorFunction ?? ((_context, error) => describeToolFailure(error));
}

/**
 * berth's tools as OpenAI Agents SDK function tools: one per catalog tool (filtered by `servers` and
 * `tools`), named as in the catalog, with its description and its input schema shaped by `schema`
 * (`'openai-strict'` makes them strict tools; otherwise strict is off). berth still checks arguments
 * against the server's original schema.
 *
 * The list is the catalog as it is now; a tool that leaves the catalog is disabled from the next turn
 * on (`isEnabled`), but a tool added later is not in it: call `openaiAgentsTools` again per run, or use
 * `berthMcpServer`, which the SDK re-lists every turn.
 *
 * ```ts
 * const agent = new Agent({ name: 'a', tools: openaiAgentsTools(host, { key: (ctx) => ctx.threadId }) });
 * await run(agent, 'hi', { context: { threadId } });
 * ```
 */
export function openaiAgentsTools<Context = unknown>(
  source: ToolSource,
  options: OpenAIAgentsOptions<Context> = {},
): BerthFunctionTool<Context>[] {
  const binding = new ToolBinding<Context>(source, options);
  return distinctForSdk(binding.tools()).map((catalogTool) => functionTool(binding, catalogTool, options));
}

function functionTool<Context>(
  binding: ToolBinding<Context>,
  catalogTool: CatalogTool,
  options: OpenAIAgentsOptions<Context>,
): BerthFunctionTool<Context> {
  const name = catalogTool.name;
  const strict = options.schema === 'openai-strict';
  const onProgress = options.onProgress;
  // `tool()` is typed strict-or-not by its options; both shapes are the same at run time.
  const toolOf = tool as unknown as (config: Record<string, unknown>) => BerthFunctionTool<Context>;
  const make = (parameters: Record<string, unknown>) =>
    toolOf({
      name,
      description: catalogTool.description ?? catalogTool.title ?? '',
      parameters,
      strict,
      ...common,
    });
  const common = {
    errorFunction: errorFunctionOf(options),
    // The catalog can lose the tool (its server removed): the SDK asks this every turn.
    isEnabled: () => binding.tools().some((current) => current.name === name),
    execute: async (input: unknown, runContext?: RunContext<Context>, details?: { signal?: AbortSignal }) => {
      const signal = details?.signal;
      const result = await keepAbort(signal, () =>
        binding.call(name, (input ?? {}) as Record<string, unknown>, {
          ...(runContext !== undefined && { context: runContext.context }),
          ...(signal && { signal }),
          ...(onProgress && {
            onProgress: (progress: Progress) => onProgress(progress, { tool: name, runContext }),
          }),
        }),
      );
      if (result.isError) throw new ToolResultError(name, result);
      return toToolOutput(result, options);
    },
  };
  if (!strict) return make(shapeSchema(catalogTool.inputSchema, options.schema));
  // A strict tool: the SDK makes the server's schema strict itself and undoes it on the model's input
  // (an optional field it made required-but-nullable loses its null), so berth's check against the
  // original schema holds. Only a schema the SDK cannot make strict gets berth's strict shape.
  try {
    return make(catalogTool.inputSchema);
  } catch {
    return make(shapeSchema(catalogTool.inputSchema, 'openai-strict'));
  }
}
