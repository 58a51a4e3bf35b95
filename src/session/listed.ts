/**
 * What a listing is: the shape of everything a server lists, and the empty one. Kept apart from
 * `./listing.ts` (which fetches listings through the MCP SDK) so that the catalog, the scopes and the
 * start cache can name a listing without loading the SDK.
 */
import type { Client, Prompt, Resource, Tool } from '@modelcontextprotocol/client';

/** A resource template as listed by a server. */
export type ResourceTemplate = Awaited<
  ReturnType<Client['listResourceTemplates']>
>['resourceTemplates'][number];

/** A listed item berth left out, and why. */
export interface InvalidItem {
  /** The item's name (its URI for resources), if it has a usable one. */
  name?: string;
  /** Its place in the list as the server sent it, from 1. */
  position: number;
  /** What is wrong with it, e.g. `inputSchema.type: Invalid input: expected "object"`. */
  problem: string;
}

/** Everything a server lists. Empty arrays for capabilities it does not advertise. */
export interface Listing {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  /** Tools the server listed that were left out: malformed, nameless, or a name listed twice. */
  invalidTools?: InvalidItem[];
  /** Prompts left out, likewise. */
  invalidPrompts?: InvalidItem[];
  /** Resources left out (malformed). */
  invalidResources?: InvalidItem[];
  /** Resource templates left out (malformed). */
  invalidResourceTemplates?: InvalidItem[];
}

/** A listing with nothing in it (a server not yet listed, or one that lists nothing). */
export function emptyListing(): Listing {
  return { tools: [], prompts: [], resources: [], resourceTemplates: [] };
}
