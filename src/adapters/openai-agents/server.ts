/**
 * `berthMcpServer`: a berth source as the OpenAI Agents SDK's `MCPServer`, for
 * `new Agent({ mcpServers: [server] })`. The SDK lists its tools every turn (or caches them when
 * `cacheToolsList` is on: then berth's catalog changes invalidate the SDK's cache) and calls them
 * through it.
 *
 * Ownership: `connect()` opens nothing (sessions open on a tool's first call). What `close()` ends
 * depends on what the server was given:
 * - a `Host` and a fixed string `key`: the server made its own toolset for that key and owns it;
 *   `close()` lets its calls finish and ends the key's sessions (`connect()` afterwards makes a new
 *   toolset);
 * - a `Host` and a `key` function (a key per run context): the keys are the conversations', not the
 *   server's; `close()` ends none of them (end each with `host.closeKey(key)`);
 * - a `Toolset`: it is the caller's; `close()` leaves it open (close it yourself).
 * In every case `close()` stops listening to the host's events and refuses further calls.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import {
  invalidateServerToolsCache,
  type CallToolResultContent,
  type CallToolResult as SdkCallToolResult,
  type MCPCallToolOptions,
  type MCPServer,
  type MCPToolErrorFunction,
  type MCPToolFilterCallable,
  type MCPToolFilterStatic,
  type MCPToolMetaContext,
  type RunContext,
} from '@openai/agents';
import type { HostEvent, Toolset } from '../../index.js';
import { ToolBinding, isHost, shapeSchema, type ToolSource } from '../core/index.js';
import { distinctForSdk } from './names.js';
import { describeToolFailure, keepAbort, toToolOutputItem, ToolResultError } from './results.js';
import type { OpenAIAgentsOptions } from './tools.js';

/** Options of `berthMcpServer`. */
export interface BerthMcpServerOptions<Context = unknown> extends Omit<
  OpenAIAgentsOptions<Context>,
  'errorFunction' | 'useStructuredContent'
> {
  /**
   * The server's name in the SDK (traces, `includeServerInToolNames`, and the key of the SDK's
   * process-wide tool cache: give each cached server its own). Default `'berth'`.
   */
  name?: string;
  /**
   * Let the SDK cache the tool list (default `false`: listing is a read of berth's in-memory catalog,
   * so there is little to save). With a `Host` source, berth's catalog changes invalidate the cache;
   * with a `Toolset` source nothing tells the server, so call `invalidateToolsCache()` yourself.
   */
  cacheToolsList?: boolean;
  /** The SDK's tool filter (applied by the SDK after berth's `servers`/`tools` filters). */
  toolFilter?: MCPToolFilterCallable | MCPToolFilterStatic;
  /** Your own `errorFunction` (with `toolErrors: 'model'`); berth's default names the failure. */
  errorFunction?: MCPToolErrorFunction;
  /** Give the model a result's `structuredContent` (as JSON) instead of its content (the SDK does it). */
  useStructuredContent?: boolean;
  /** Guardrails the SDK runs before every tool of this server. */
  toolInputGuardrails?: MCPServer['toolInputGuardrails'];
  /** Guardrails the SDK runs after every tool of this server. */
  toolOutputGuardrails?: MCPServer['toolOutputGuardrails'];
}

/** A tool as `MCPServer.listTools` gives it. */
type MCPTool = Awaited<ReturnType<MCPServer['listTools']>>[number];

/** Host events after which the tool list may differ. */
const TOOL_EVENTS = new Set<HostEvent['type']>([
  'tools:changed',
  'server:added',
  'server:removed',
  'server:replaced',
  'config:reloaded',
]);

/**
 * A result's content for the SDK's MCP tool wrapper, which hands it to the model as it is: each block
 * as the function-tool output item the SDK reads natively (MCP text and image blocks already are;
 * audio and binary resources become `file` items, embedded text resources and links `text` items,
 * where the SDK would otherwise turn the whole result into a JSON string). The result's other fields
 * are attached (not enumerable), as the SDK's own servers do.
 */
function forModel(result: CallToolResult): CallToolResultContent {
  const content = (result.content ?? []).map(toToolOutputItem) as unknown as CallToolResultContent;
  for (const [field, value] of Object.entries({
    isError: result.isError,
    structuredContent: result.structuredContent,
    _meta: result._meta,
  })) {
    if (value !== undefined)
      Object.defineProperty(content, field, { value, enumerable: false, configurable: true });
  }
  return content;
}

/** An `MCPServer` backed by a berth host or toolset. Make one with `berthMcpServer`. */
export class BerthMcpServer<Context = unknown> implements MCPServer {
  /** The server's name in the SDK. */
  readonly name: string;
  /** Whether the SDK may cache the tool list (invalidated on berth's catalog changes for a host). */
  cacheToolsList: boolean;
  /** The SDK's tool filter. */
  toolFilter?: MCPToolFilterCallable | MCPToolFilterStatic;
  /** Carries the run context of a call to `callTool` (how a `key` function gets it); sends no `_meta`. */
  readonly toolMetaResolver: (context: MCPToolMetaContext) => Record<string, unknown>;
  /** What the model reads when a call fails; `null` ends the run (`toolErrors: 'throw'`). */
  errorFunction: MCPToolErrorFunction | null;
  /** Whether the SDK gives the model `structuredContent` instead of content. */
  useStructuredContent?: boolean;
  /** Guardrails the SDK runs before every tool of this server. */
  toolInputGuardrails?: MCPServer['toolInputGuardrails'];
  /** Guardrails the SDK runs after every tool of this server. */
  toolOutputGuardrails?: MCPServer['toolOutputGuardrails'];

  readonly #source: ToolSource;
  readonly #options: BerthMcpServerOptions<Context>;
  /** The run of each call, by the (fresh) `meta` object the SDK hands from the resolver to `callTool`. */
  readonly #runs = new WeakMap<object, RunContext<Context>>();
  #binding: ToolBinding<Context>;
  /** The toolset this server made for a fixed key, and owns; none otherwise. */
  #owned: Toolset | undefined;
  #unsubscribe: (() => void) | undefined;
  /** Set by `close()` (its completion), cleared by `connect()`. */
  #closing: Promise<void> | undefined;

  /** Use `berthMcpServer`. */
  constructor(source: ToolSource, options: BerthMcpServerOptions<Context> = {}) {
    this.#source = source;
    this.#options = options;
    this.name = options.name ?? 'berth';
    this.cacheToolsList = options.cacheToolsList ?? false;
    if (options.toolFilter) this.toolFilter = options.toolFilter;
    if (options.useStructuredContent !== undefined) this.useStructuredContent = options.useStructuredContent;
    if (options.toolInputGuardrails) this.toolInputGuardrails = options.toolInputGuardrails;
    if (options.toolOutputGuardrails) this.toolOutputGuardrails = options.toolOutputGuardrails;
    this.errorFunction =
      options.toolErrors === 'throw'
        ? null
        : (options.errorFunction ?? (({ error }) => describeToolFailure(error)));
    this.toolMetaResolver = (context) => {
      // A fresh object per call: the SDK passes it unchanged to `callTool`, which finds the run by it.
      const marker: Record<string, unknown> = {};
      this.#runs.set(marker, context.runContext as RunContext<Context>);
      return marker;
    };
    this.#binding = this.#bind();
    this.#listen();
  }

  /** The binding calls go through: the server's own toolset for a fixed key on a host, else the source. */
  #bind(): ToolBinding<Context> {
    const source = this.#source;
    const key = this.#options.key;
    if (isHost(source) && typeof key === 'string') {
      this.#owned = source.toolset({
        key,
        ...(this.#options.servers && { servers: this.#options.servers }),
        ...(this.#options.tools && { tools: this.#options.tools }),
      });
      return new ToolBinding<Context>(this.#owned, this.#options);
    }
    return new ToolBinding<Context>(source, this.#options);
  }

  /** With a host, drops the SDK's cached tool list whenever the catalog's tools may have changed. */
  #listen(): void {
    if (!isHost(this.#source)) return;
    this.#unsubscribe = this.#source.on((event) => {
      if (TOOL_EVENTS.has(event.type)) return this.invalidateToolsCache();
    });
  }

  /**
   * Opens nothing (sessions open on a tool's first call). After `close()`, makes the server usable
   * again (once the close has finished): for a fixed key, with a new toolset.
   */
  async connect(): Promise<void> {
    const closing = this.#closing;
    if (!closing) return;
    await closing;
    if (this.#closing !== closing) return; // another connect() got there first
    this.#closing = undefined;
    this.#binding = this.#bind();
    this.#listen();
    await this.invalidateToolsCache();
  }

  /**
   * Stops listening to the host and refuses further calls; ends the key's sessions only when this
   * server owns them (a host with a fixed string `key`), after their in-flight calls. Idempotent: every
   * caller waits for the same close.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const owned = this.#owned;
    this.#owned = undefined;
    this.#closing = owned ? owned.close() : Promise.resolve();
    return this.#closing;
  }

  /**
   * The tools as MCP tools (catalog names; input schemas shaped by the `schema` option), without those
   * the SDK would name like another (see `distinctForSdk`).
   */
  async listTools(): Promise<MCPTool[]> {
    this.#assertOpen('list its tools');
    return distinctForSdk(this.#binding.tools()).map((tool) => ({
      name: tool.name,
      ...((tool.description ?? tool.title) !== undefined && { description: tool.description ?? tool.title }),
      inputSchema: shapeSchema(tool.inputSchema, this.#options.schema) as MCPTool['inputSchema'],
    }));
  }

  /**
   * Calls a tool, for the SDK's MCP tool wrapper: its content as items the SDK gives the model natively
   * (see `forModel`), with `isError`, `structuredContent` and `_meta` attached. `callToolResult` gives
   * the result as the server sent it.
   */
  async callTool(
    toolName: string,
    args: Record<string, unknown> | null,
    meta?: Record<string, unknown> | null,
    options?: MCPCallToolOptions,
  ): Promise<CallToolResultContent> {
    return forModel(await this.#call(toolName, args, meta, options));
  }

  /** Calls a tool; its whole result. */
  async callToolResult(
    toolName: string,
    args: Record<string, unknown> | null,
    meta?: Record<string, unknown> | null,
    options?: MCPCallToolOptions,
  ): Promise<SdkCallToolResult> {
    return (await this.#call(toolName, args, meta, options)) as SdkCallToolResult;
  }

  /**
   * A call on the run's key. A tool error (`isError`) is thrown as `ToolResultError`, so that
   * `errorFunction` decides what the model reads (or, with `toolErrors: 'throw'`, the run fails).
   */
  async #call(
    toolName: string,
    args: Record<string, unknown> | null,
    meta: Record<string, unknown> | null | undefined,
    options: MCPCallToolOptions | undefined,
  ): Promise<CallToolResult> {
    this.#assertOpen(`call "${toolName}"`);
    const signal = options?.signal;
    // No run context when called from outside a run (`server.callTool` by hand): the string key, if any.
    const runContext = meta ? this.#runs.get(meta) : undefined;
    const onProgress = this.#options.onProgress;
    const result = await keepAbort(signal, () =>
      this.#binding.call(toolName, args ?? {}, {
        ...(runContext !== undefined && { context: runContext.context }),
        ...(signal && { signal }),
        ...(onProgress && { onProgress: (progress) => onProgress(progress, { tool: toolName, runContext }) }),
      }),
    );
    if (result.isError) throw new ToolResultError(toolName, result);
    return result;
  }

  /** Refuses work once closed, as the SDK's own servers do, saying how to go on. */
  #assertOpen(what: string): void {
    if (this.#closing)
      throw new Error(`berth MCP server "${this.name}" is closed: call connect() before you ${what}`);
  }

  /** Drops the SDK's cached tool list for this server's name. */
  async invalidateToolsCache(): Promise<void> {
    await invalidateServerToolsCache(this.name);
  }
}

/**
 * berth as an MCP server of the OpenAI Agents SDK: `new Agent({ mcpServers: [berthMcpServer(host, {
 * key: (ctx) => ctx.threadId })] })`. See `BerthMcpServer` for what `close()` ends.
 */
export function berthMcpServer<Context = unknown>(
  source: ToolSource,
  options: BerthMcpServerOptions<Context> = {},
): BerthMcpServer<Context> {
  return new BerthMcpServer<Context>(source, options);
}
