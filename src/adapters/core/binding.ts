/**
 * What every framework adapter shares: a `ToolBinding` turns a berth `Host` or `Toolset` into the
 * tools an agent framework sees, and a call from the framework's loop into a berth call on the right
 * key. It owns no session and opens nothing: sessions belong to the host's scopes, opened on a tool's
 * first call; a conversation's sessions end with `toolset.close()` or `host.closeKey(key)`.
 *
 * The key of a call, for a `Host` source: the framework's own conversation id when it has one
 * (LangChain's `thread_id`, Mastra's thread), else the adapter's `key` option (a string, or a function
 * of the framework's per-call context). A `Toolset` source is already bound to its key.
 */
import type { CallToolResult, Progress } from '@modelcontextprotocol/client';
import type { CatalogTool, Host, Toolset } from '../../index.js';
import { wildcardMatcher } from '../../catalog/wildcard.js';
import { InvalidOptionError } from '../../errors.js';
import { checkDuration, showValue } from '../../util/duration.js';
import { shapeSchema, unshapeArguments, type JsonSchemaObject, type SchemaMode } from './schema.js';

/** What an adapter serves tools from: a host (keys per call) or a toolset (one key). */
export type ToolSource = Host | Toolset;

/** The key for keyed servers: fixed, or derived from the framework's per-call context. */
export type KeyOption<Context> = string | ((context: Context) => string | undefined);

/** The options every adapter takes. */
export interface AdapterOptions<Context = unknown> {
  /**
   * The key (conversation, thread or user id) of keyed servers' sessions when the framework gives
   * none of its own. Ignored for a `Toolset` source, which has its key.
   */
  key?: KeyOption<Context>;
  /** Only the tools of these servers. */
  servers?: readonly string[];
  /** Only these tools: catalog names, with `*` wildcards. */
  tools?: readonly string[];
  /** Shape input schemas for a provider's limits (default `'original'`: as the server gave them). */
  schema?: SchemaMode;
  /** Deadline for each call (default: the server's `callTimeoutMs`). */
  timeoutMs?: number;
}

/** One call as the framework's loop makes it. */
export interface BoundCall<Context> {
  /** The framework's per-call context (passed to a `key` function). */
  context?: Context;
  /** The framework's own conversation id, when it has one: wins over the `key` option. */
  conversation?: string;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** Tells a `Toolset` from a `Host`: only a host makes toolsets. */
export function isHost(source: ToolSource): source is Host {
  return typeof (source as Partial<Host>).toolset === 'function';
}

/** A source's tools, filtered, and calls on the right key. */
export class ToolBinding<Context = unknown> {
  readonly #source: ToolSource;
  readonly #options: AdapterOptions<Context>;
  readonly #servers: ReadonlySet<string> | undefined;
  readonly #names: (name: string) => boolean;

  /**
   * Throws `INVALID_OPTION` for a `timeoutMs` a timer cannot honour (0, NaN, fractions, over 24.8
   * days) or a `key` that is neither a string nor a function: the developer's mistake, said at once
   * rather than failing every call where only the model would read it.
   */
  constructor(source: ToolSource, options: AdapterOptions<Context> = {}) {
    if (options.timeoutMs !== undefined) checkDuration(options.timeoutMs, 'timeoutMs');
    const key: unknown = options.key;
    if (key !== undefined && typeof key !== 'string' && typeof key !== 'function')
      throw new InvalidOptionError(
        'key',
        `expected a string or a function of the framework's call context, got ${showValue(key)}`,
      );
    this.#source = source;
    this.#options = options;
    this.#servers = options.servers && new Set(options.servers);
    this.#names = options.tools ? wildcardMatcher(options.tools) : () => true;
  }

  /** The tools the framework should see now (the catalog as it is at this moment, filtered). */
  tools(): CatalogTool[] {
    return this.#source.tools().filter(this.includes);
  }

  /** Whether a catalog tool passes this binding's filters. */
  readonly includes = (tool: CatalogTool): boolean =>
    (!this.#servers || this.#servers.has(tool.server)) && this.#names(tool.name);

  /** The input schema the model sees for a tool: shaped by the `schema` option. */
  schemaOf(tool: CatalogTool): JsonSchemaObject {
    return shapeSchema(tool.inputSchema, this.#options.schema);
  }

  /**
   * The key a call runs on, or undefined (shared and per-call servers need none). An empty
   * conversation id or key counts as none: a keyed server then refuses the call (`KEY_REQUIRED`).
   */
  keyOf(call: BoundCall<Context>): string | undefined {
    if (!isHost(this.#source)) return this.#source.key;
    if (call.conversation !== undefined && call.conversation !== '') return call.conversation;
    const key = this.#options.key;
    const found =
      typeof key === 'function' ? (call.context === undefined ? undefined : key(call.context)) : key;
    // An empty id names no conversation: taken as a key, it would put every such call in one session.
    return found === '' ? undefined : found;
  }

  /**
   * Calls a catalog tool. Arguments the model wrote against a shaped schema are first turned back into
   * arguments for the server's original schema (`unshapeArguments`), which the host validates them against;
   * a result with `isError` is returned, not thrown; berth's failures (unavailable, timeout, abort)
   * reject with their `BerthError`. Every failure is a rejection, never a synchronous throw (a closed
   * host, a `key` function that throws).
   */
  async call(
    name: string,
    input: Record<string, unknown>,
    call: BoundCall<Context> = {},
  ): Promise<CallToolResult> {
    const mode = this.#options.schema ?? 'original';
    const tool = mode === 'original' ? undefined : this.#source.tools().find((t) => t.name === name);
    const args = tool ? (unshapeArguments(input, tool.inputSchema, mode) as Record<string, unknown>) : input;
    const options = {
      ...(call.signal && { signal: call.signal }),
      ...(call.onProgress && { onProgress: call.onProgress }),
      ...(this.#options.timeoutMs !== undefined && { timeoutMs: this.#options.timeoutMs }),
    };
    const source = this.#source;
    if (!isHost(source)) return source.callTool(name, args, options);
    const key = this.keyOf(call);
    // A toolset per call is a light view: it applies this binding's filter to the tool the name
    // resolves to, and binds the key; it holds nothing once the call is done.
    if (key !== undefined)
      return source
        .toolset({
          key,
          ...(this.#options.servers && { servers: this.#options.servers }),
          ...(this.#options.tools && { tools: this.#options.tools }),
        })
        .callTool(name, args, options);
    return source.callTool(name, args, options);
  }
}
