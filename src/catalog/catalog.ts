/**
 * The aggregated catalog: every server's tools and prompts under stable `server__item` names, and
 * their resources and resource templates tagged with the server. It owns no connection; the host
 * feeds it each server's latest listing and it rebuilds the names (collisions are resolved across all
 * servers at once, so the result does not depend on the order servers became ready).
 */
import type { Prompt, Resource, Tool, ToolAnnotations } from '@modelcontextprotocol/client';
import type { ToolFilter } from '../config/types.js';
import type { InvalidItem, Listing, ResourceTemplate } from '../session/connection.js';
import { NameTable } from './naming.js';
import { wildcardMatcher } from './wildcard.js';

/** A tool in the catalog. */
export interface CatalogTool {
  /** The catalog name (`server__tool`, LLM-safe, unique across servers). */
  name: string;
  /** The server that provides it. */
  server: string;
  /** The tool's own name on its server. */
  tool: string;
  title?: string;
  description?: string;
  inputSchema: Tool['inputSchema'];
  outputSchema?: Tool['outputSchema'];
  annotations?: ToolAnnotations;
}

/** A prompt in the catalog. */
export interface CatalogPrompt {
  /** The catalog name (`server__prompt`). */
  name: string;
  server: string;
  /** The prompt's own name on its server. */
  prompt: string;
  title?: string;
  description?: string;
  arguments?: Prompt['arguments'];
}

/** A tool a server listed that was left out of the catalog as malformed, tagged with its server. */
export type CatalogInvalidTool = InvalidItem & { server: string };

/** A resource in the catalog: addressed by its URI, tagged with its server. */
export type CatalogResource = Resource & { server: string };

/** A resource template in the catalog, tagged with its server. */
export type CatalogResourceTemplate = ResourceTemplate & { server: string };

interface ServerEntry {
  listing: Listing;
  filter: ToolFilter;
}

/** Whether a tool passes a server's allow/deny filter. */
function compileFilter(filter: ToolFilter): (tool: string) => boolean {
  const allowed = wildcardMatcher(filter.allow);
  const denied = wildcardMatcher(filter.deny);
  return (tool) => (filter.allow.length === 0 || allowed(tool)) && !denied(tool);
}

/** The catalog across all servers. Rebuilt whenever a server's listing changes. */
export class Catalog {
  readonly #servers = new Map<string, ServerEntry>();
  #tools: CatalogTool[] = [];
  #toolsByName = new Map<string, CatalogTool>();
  #definitionsByName = new Map<string, Tool>();
  #prompts: CatalogPrompt[] = [];
  #promptsByName = new Map<string, CatalogPrompt>();
  #resources: CatalogResource[] = [];
  #templates: CatalogResourceTemplate[] = [];

  /** Sets (or replaces) one server's listing. Returns true if its visible tools changed. */
  setServer(server: string, listing: Listing, filter: ToolFilter): boolean {
    const before = this.#toolSignature(server);
    this.#servers.set(server, { listing, filter });
    this.#rebuild();
    return before !== this.#toolSignature(server);
  }

  /** Removes a server's items. Returns true if it had any tools. */
  removeServer(server: string): boolean {
    const had = this.#tools.some((tool) => tool.server === server);
    if (!this.#servers.delete(server)) return false;
    this.#rebuild();
    return had;
  }

  /** Every tool, in server order then the server's own order. */
  tools(): readonly CatalogTool[] {
    return this.#tools;
  }

  /** The tool with this catalog name. */
  tool(name: string): CatalogTool | undefined {
    return this.#toolsByName.get(name);
  }

  /**
   * The tool with this catalog name as its server listed it (its own name, its schemas): handed to
   * the SDK's `callTool` as `toolDefinition`, so every session, listed or not, validates results
   * against the schema in the catalog without looking it up in a response cache per call.
   */
  definition(name: string): Tool | undefined {
    return this.#definitionsByName.get(name);
  }

  /**
   * Tools servers listed that were left out as malformed (an invalid schema, no name, a name listed
   * twice), with why: for `status()` and events. Only those the server's allow/deny filter would show
   * (a nameless one always). Every server's, or one server's.
   */
  invalidTools(server?: string): CatalogInvalidTool[] {
    const entries =
      server === undefined ? [...this.#servers] : [[server, this.#servers.get(server)] as const];
    return entries.flatMap(([name, entry]) => {
      if (!entry?.listing.invalidTools) return [];
      const allowed = compileFilter(entry.filter);
      return entry.listing.invalidTools
        .filter((tool) => tool.name === undefined || allowed(tool.name))
        .map((tool) => ({ ...tool, server: name }));
    });
  }

  prompts(): readonly CatalogPrompt[] {
    return this.#prompts;
  }

  prompt(name: string): CatalogPrompt | undefined {
    return this.#promptsByName.get(name);
  }

  resources(): readonly CatalogResource[] {
    return this.#resources;
  }

  resourceTemplates(): readonly CatalogResourceTemplate[] {
    return this.#templates;
  }

  #toolSignature(server: string): string {
    return JSON.stringify(this.#tools.filter((t) => t.server === server));
  }

  #rebuild(): void {
    const visible = new Map<string, Tool[]>();
    for (const [server, { listing, filter }] of this.#servers) {
      const allowed = compileFilter(filter);
      visible.set(
        server,
        listing.tools.filter((tool) => allowed(tool.name)),
      );
    }
    const listed = [...visible].flatMap(([server, tools]) => tools.map((tool) => ({ server, tool })));
    const toolNames = NameTable.build(listed.map(({ server, tool }) => ({ server, item: tool.name })));
    this.#tools = listed.map(({ server, tool }) => ({
      name: toolNames.nameOf(server, tool.name)!,
      server,
      tool: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
      annotations: tool.annotations,
    }));
    this.#toolsByName = new Map(this.#tools.map((tool) => [tool.name, tool]));
    this.#definitionsByName = new Map(listed.map(({ tool }, i) => [this.#tools[i]!.name, tool]));

    const servers = [...this.#servers];
    const promptNames = NameTable.build(
      servers.flatMap(([server, { listing }]) => listing.prompts.map((p) => ({ server, item: p.name }))),
    );
    this.#prompts = servers.flatMap(([server, { listing }]) =>
      listing.prompts.map((p) => ({
        name: promptNames.nameOf(server, p.name)!,
        server,
        prompt: p.name,
        title: p.title,
        description: p.description,
        arguments: p.arguments,
      })),
    );
    this.#promptsByName = new Map(this.#prompts.map((p) => [p.name, p]));
    this.#resources = servers.flatMap(([server, { listing }]) =>
      listing.resources.map((r) => ({ ...r, server })),
    );
    this.#templates = servers.flatMap(([server, { listing }]) =>
      listing.resourceTemplates.map((t) => ({ ...t, server })),
    );
  }
}
