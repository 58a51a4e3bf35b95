/**
 * `Toolset`: a light view of the host for one agent run or conversation. Its tools are the host's
 * (optionally narrowed to some servers or names) with calls bound to its key, and closing it ends that
 * key's sessions. Creating one opens nothing; sessions open when a tool is first called.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { CatalogTool } from '../catalog/catalog.js';
import { suggestNames } from '../catalog/suggest.js';
import { wildcardMatcher } from '../catalog/wildcard.js';
import { UnknownNameError } from '../errors.js';
import type { CallOptions, Host } from './host.js';

/** What a toolset covers. */
export interface ToolsetOptions {
  /** The conversation, thread or user id its keyed sessions belong to. */
  key: string;
  /** Only the tools of these servers. */
  servers?: readonly string[];
  /** Only these tools: catalog names, with `*` wildcards. */
  tools?: readonly string[];
}

/** A key-bound view of a host's tools. */
export class Toolset implements AsyncDisposable {
  readonly key: string;
  readonly #host: Host;
  readonly #servers: ReadonlySet<string> | undefined;
  readonly #tools: (name: string) => boolean;

  /** Use `host.toolset()`. */
  constructor(host: Host, options: ToolsetOptions) {
    this.#host = host;
    this.key = options.key;
    this.#servers = options.servers && new Set(options.servers);
    this.#tools = options.tools ? wildcardMatcher(options.tools) : () => true;
  }

  /** The tools this toolset exposes (the host's current catalog, filtered). */
  tools(): CatalogTool[] {
    return this.#host.tools().filter((tool) => this.#includes(tool));
  }

  /** Calls one of this toolset's tools, on this toolset's key. */
  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: Omit<CallOptions, 'key'> = {},
  ): Promise<CallToolResult> {
    const tool = this.#host.tool(name);
    if (tool && !this.#includes(tool)) {
      throw new UnknownNameError(
        'tool',
        name,
        suggestNames(
          name,
          this.tools().map((t) => t.name),
        ),
      );
    }
    return this.#host.callTool(name, args, { ...options, key: this.key });
  }

  /** Ends this key's sessions (after their in-flight calls). */
  close(): Promise<void> {
    return this.#host.closeKey(this.key);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #includes(tool: CatalogTool): boolean {
    return (!this.#servers || this.#servers.has(tool.server)) && this.#tools(tool.name);
  }
}
