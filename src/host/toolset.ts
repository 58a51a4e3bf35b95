/**
 * `Toolset`: a light view of the host for one agent run or conversation. Its tools are the host's
 * (optionally narrowed to some servers or names) with calls bound to its key, and closing it ends that
 * key's sessions. Creating one opens nothing; sessions open when a tool is first called. It is a
 * boundary: its filter is applied to the tool a call resolves to (even one of a server still being
 * added), and once closed it takes no call, so nothing reopens a session for its key.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { CatalogTool } from '../catalog/catalog.js';
import { wildcardMatcher } from '../catalog/wildcard.js';
import { ToolsetClosedError } from '../errors.js';
import type { CallOptions } from './options.js';

/** What a toolset covers. */
export interface ToolsetOptions {
  /** The conversation, thread or user id its keyed sessions belong to. */
  key: string;
  /** Only the tools of these servers. */
  servers?: readonly string[];
  /** Only these tools: catalog names, with `*` wildcards. */
  tools?: readonly string[];
}

/** What a toolset needs of its host. */
export interface ToolsetHost {
  tools(): readonly CatalogTool[];
  /** Calls a tool, refusing (as unknown) one that `allow` rejects once the name is resolved. */
  callTool(
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    allow: (tool: CatalogTool) => boolean,
  ): Promise<CallToolResult>;
  closeKey(key: string): Promise<void>;
}

/** A key-bound view of a host's tools. */
export class Toolset implements AsyncDisposable {
  readonly key: string;
  readonly #host: ToolsetHost;
  readonly #servers: ReadonlySet<string> | undefined;
  readonly #tools: (name: string) => boolean;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  /** Use `host.toolset()`. */
  constructor(host: ToolsetHost, options: ToolsetOptions) {
    this.#host = host;
    this.key = options.key;
    this.#servers = options.servers && new Set(options.servers);
    this.#tools = options.tools ? wildcardMatcher(options.tools) : () => true;
  }

  /** The tools this toolset exposes (the host's current catalog, filtered). */
  tools(): CatalogTool[] {
    return this.#host.tools().filter(this.#includes);
  }

  /** Calls one of this toolset's tools, on this toolset's key. */
  callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: Omit<CallOptions, 'key'> = {},
  ): Promise<CallToolResult> {
    if (this.#closing) return Promise.reject(new ToolsetClosedError(this.key));
    let call: Promise<CallToolResult>;
    try {
      call = this.#host.callTool(name, args, { ...options, key: this.key }, this.#includes);
    } catch (error) {
      // The host refused it at once (invalid options, closed): a rejection like any other failure.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.#inFlight.add(call);
    const forget = () => void this.#inFlight.delete(call);
    call.then(forget, forget);
    return call;
  }

  /**
   * Takes no more calls, lets the calls already made finish (each within its own deadline), then ends
   * this key's sessions. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      await this.#host.closeKey(this.key);
    })();
    return this.#closing;
  }

  /** `await using` closes the toolset at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  readonly #includes = (tool: CatalogTool): boolean =>
    (!this.#servers || this.#servers.has(tool.server)) && this.#tools(tool.name);
}
