/**
 * berth's catalog tools as LangChain structured tools (`DynamicStructuredTool` from
 * `@langchain/core/tools`): one per catalog tool, with the tool's JSON input schema, and
 * `responseFormat: 'content_and_artifact'` so the model reads standard content blocks while the
 * artifact keeps the full MCP result. A call runs on the key of LangChain's `thread_id`
 * (`config.configurable.thread_id`), else the `key` option; the run's abort signal cancels it on the
 * wire; progress goes out as a LangChain custom event and to LangGraph's custom stream.
 */
import { dispatchCustomEvent } from '@langchain/core/callbacks/dispatch';
import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import { ToolMessage } from '@langchain/core/messages';
import { patchConfig, type RunnableConfig } from '@langchain/core/runnables';
import { DynamicStructuredTool, type ToolRunnableConfig } from '@langchain/core/tools';
import type { CallToolResult, Progress } from '@modelcontextprotocol/client';
import { BerthError, KeyRequiredError, type CatalogTool } from '../../index.js';
import { shapeSchema, ToolBinding, type AdapterOptions, type ToolSource } from '../core/index.js';
import { toContentBlocks } from './content.js';

/** The name of the custom event (and LangGraph custom-stream chunk type) that carries progress. */
export const PROGRESS_EVENT = 'berth_progress';

/** What a `berth_progress` event carries. */
export interface LangChainProgressEvent {
  type: typeof PROGRESS_EVENT;
  /** The catalog name of the tool reporting progress. */
  tool: string;
  /** The model's tool call id, when the tool was called from a tool call. */
  toolCallId?: string;
  progress: number;
  total?: number;
  message?: string;
}

/** Options of `langchainTools`. */
export interface LangChainToolsOptions extends AdapterOptions<RunnableConfig> {
  /**
   * How a failed call reaches the loop. `'model'` (default): a tool error (`isError`) and berth's
   * own failures (server unavailable, timeout…) become a `ToolMessage` with `status: 'error'` that
   * the model reads. `'throw'`: they are thrown (`McpToolError` for `isError`, the `BerthError`
   * otherwise), for LangChain's own error handling (e.g. `ToolNode`'s `handleToolErrors`). An abort
   * is always thrown.
   */
  toolErrors?: 'model' | 'throw';
}

/** A tool answered with `isError` (thrown when `toolErrors: 'throw'`, or when there is no tool call id). */
export class McpToolError extends Error {
  /** The tool's result, as the server sent it. */
  readonly result: CallToolResult;
  /** The catalog name of the tool. */
  readonly tool: string;

  constructor(tool: string, result: CallToolResult) {
    const text = result.content
      ?.filter((item) => item.type === 'text')
      .map((item) => item.text)
      .join('\n');
    super(`tool "${tool}" failed${text ? `: ${text}` : ''}`);
    this.name = 'McpToolError';
    this.tool = tool;
    this.result = result;
  }
}

/**
 * No key for a keyed server: berth's `KeyRequiredError`, with the LangChain way to give one in its
 * message (LangChain's tool node shows the message to the model; the developer must fix the run).
 */
export class LangChainKeyRequiredError extends KeyRequiredError {
  constructor(cause: KeyRequiredError) {
    super(cause.server);
    this.message =
      `${cause.message}. berth/langchain: run the agent with a thread, ` +
      `e.g. agent.invoke(input, { configurable: { thread_id } }), or pass langchainTools(host, { key })`;
  }
}

/** The argument type of a berth tool (an MCP tool's arguments object). */
export type LangChainToolInput = Record<string, unknown>;

/** The conversation id LangChain gives a run, if any. */
function threadOf(config: RunnableConfig | undefined): string | undefined {
  const thread: unknown = config?.configurable?.thread_id;
  // An empty id names no conversation: it would put every such run in one session.
  if (thread === '' || (typeof thread === 'number' && !Number.isFinite(thread))) return undefined;
  return typeof thread === 'string' || typeof thread === 'number' ? String(thread) : undefined;
}

/** A progress sink that sends, one after another, to the run's callbacks and LangGraph's writer. */
class ProgressOut {
  #chain: Promise<void> = Promise.resolve();
  #done = false;

  constructor(
    private readonly config: RunnableConfig,
    private readonly tool: string,
    private readonly toolCallId: string | undefined,
  ) {}

  readonly send = (progress: Progress): void => {
    if (this.#done) return; // a notification that trails the answer has no call to report on
    const event: LangChainProgressEvent = {
      type: PROGRESS_EVENT,
      tool: this.tool,
      ...(this.toolCallId !== undefined && { toolCallId: this.toolCallId }),
      progress: progress.progress,
      ...(progress.total !== undefined && { total: progress.total }),
      ...(progress.message !== undefined && { message: progress.message }),
    };
    const writer = (this.config as { writer?: (chunk: unknown) => void }).writer;
    this.#chain = this.#chain.then(async () => {
      try {
        if (typeof writer === 'function') writer(event);
        if (this.config.callbacks) await dispatchCustomEvent(PROGRESS_EVENT, event, this.config);
      } catch {
        // A listener that fails must not fail the tool call; LangChain reports its own handler errors.
      }
    });
  };

  /**
   * Takes no more events and waits for those sent so far to be delivered (a failed delivery does not
   * fail the call).
   */
  async flush(): Promise<void> {
    this.#done = true;
    await this.#chain;
  }
}

/** What LangChain checks a berth tool's input against: any JSON object (berth checks the rest). */
const ANY_OBJECT = { type: 'object' };

/**
 * A `DynamicStructuredTool` whose input LangChain checks only for being an object. LangChain checks a
 * tool's input against the schema the model saw, with a plain JSON Schema validator: a shaped schema
 * (Gemini's `nullable`, say) would refuse what the model rightly wrote, before berth turns it back and
 * checks it against the server's original schema. The schema is swapped only while LangChain's `call`
 * runs its synchronous check, so the model (`bindTools`) always sees the shaped one.
 */
class BerthStructuredTool extends DynamicStructuredTool {
  override call(
    ...args: Parameters<DynamicStructuredTool['call']>
  ): ReturnType<DynamicStructuredTool['call']> {
    const shaped = this.schema;
    this.schema = ANY_OBJECT as typeof shaped;
    try {
      return super.call(...args);
    } finally {
      this.schema = shaped;
    }
  }
}

/** Turns one catalog tool into a LangChain tool calling through `binding`. */
export function toLangChainTool(
  tool: CatalogTool,
  binding: ToolBinding<RunnableConfig>,
  options: LangChainToolsOptions = {},
): DynamicStructuredTool {
  const name = tool.name;
  const throwErrors = options.toolErrors === 'throw';
  const func = async (
    input: LangChainToolInput,
    runManager?: CallbackManagerForToolRun,
    parentConfig?: ToolRunnableConfig,
  ): Promise<[unknown, CallToolResult | undefined]> => {
    const config: RunnableConfig = patchConfig(parentConfig ?? {}, { callbacks: runManager?.getChild() });
    const toolCallId = parentConfig?.toolCall?.id;
    const progress = new ProgressOut(config, name, toolCallId);
    const errorMessage = (content: unknown, artifact: CallToolResult | undefined) =>
      new ToolMessage({
        status: 'error',
        content: content as string,
        artifact,
        tool_call_id: toolCallId ?? '',
        name,
      });
    let result: CallToolResult;
    try {
      const conversation = threadOf(parentConfig);
      result = await binding.call(name, input, {
        context: parentConfig ?? {},
        ...(conversation !== undefined && { conversation }),
        ...(parentConfig?.signal && { signal: parentConfig.signal }),
        onProgress: progress.send,
      });
    } catch (error) {
      await progress.flush();
      if (BerthError.is(error) && error.code === 'KEY_REQUIRED')
        throw new LangChainKeyRequiredError(error as KeyRequiredError);
      // The developer's mistake (a bad option, a key function's non-string), not the model's to fix.
      if (BerthError.is(error) && error.code === 'INVALID_OPTION') throw error;
      const aborted =
        parentConfig?.signal?.aborted === true || (BerthError.is(error) && error.code === 'CALL_ABORTED');
      if (throwErrors || aborted || !BerthError.is(error) || toolCallId === undefined) throw error;
      // berth's own failure (unavailable, timeout…): the model reads it, the loop goes on.
      return [errorMessage(`berth: ${error.message}`, undefined), undefined];
    }
    await progress.flush();
    if (result.isError) {
      if (throwErrors || toolCallId === undefined) throw new McpToolError(name, result);
      return [errorMessage(toContentBlocks(result), result), result];
    }
    return [toContentBlocks(result), result];
  };
  return new BerthStructuredTool({
    name,
    description: tool.description ?? tool.title ?? name,
    schema: shapeSchema(tool.inputSchema, options.schema),
    responseFormat: 'content_and_artifact',
    metadata: { server: tool.server, tool: tool.tool },
    func,
  });
}

/**
 * berth's tools (a `Host`'s or a `Toolset`'s catalog, filtered by `servers`/`tools`) as LangChain
 * structured tools, for `createAgent({ tools })`, LangGraph's `ToolNode` and `model.bindTools()`.
 *
 * The list is the catalog at this moment: for tools that change between steps (a server added, a
 * `list_changed`), give `createAgent` the `langchainMiddleware` instead, or call this again.
 *
 * For a `Host`, a keyed server's session is the run's `thread_id` (`config.configurable.thread_id`),
 * else the `key` option (a string, or a function of the run's `RunnableConfig`); it lives until
 * `host.closeKey(threadId)` (or the server's idle timeout). A `Toolset` source uses its own key.
 */
export function langchainTools(
  source: ToolSource,
  options: LangChainToolsOptions = {},
): DynamicStructuredTool[] {
  const binding = new ToolBinding<RunnableConfig>(source, options);
  return binding.tools().map((tool) => toLangChainTool(tool, binding, options));
}
