/**
 * What a server lists (tools, prompts, resources, resource templates), fetched so that one malformed
 * item cannot sink the rest. The SDK validates a whole `tools/list` result at once: a single tool with
 * an `inputSchema` of type "string", or without a name, rejects the list, and the server would fail to
 * start. Each list is first fetched the SDK's way; only if the SDK rejects the result as invalid is it
 * fetched again with a permissive page schema, and each item checked on its own against the SDK's
 * schema for it (`specTypeSchemas`). Valid items are kept; the others are reported in the listing's
 * `invalid*` fields with the reason, as are tools and prompts whose name is empty or listed twice.
 */
import {
  SdkError,
  SdkErrorCode,
  specTypeSchemas,
  type Client,
  type StandardSchemaV1,
} from '@modelcontextprotocol/client';
import * as z from 'zod';
import { emptyListing, type InvalidItem, type Listing } from './listed.js';

export { emptyListing, type InvalidItem, type Listing, type ResourceTemplate } from './listed.js';

/** Options for the list requests. */
export interface ListOptions {
  signal?: AbortSignal;
  timeout?: number;
}

/** The four lists, and how each is fetched, checked and reported. */
const LISTS = {
  tools: {
    method: 'tools/list',
    schema: specTypeSchemas.Tool,
    invalid: 'invalidTools',
    fetch: (client: Client, options: ListOptions) =>
      client.listTools(undefined, options).then((r) => r.tools),
    uniqueNames: true,
  },
  prompts: {
    method: 'prompts/list',
    schema: specTypeSchemas.Prompt,
    invalid: 'invalidPrompts',
    fetch: (client: Client, options: ListOptions) =>
      client.listPrompts(undefined, options).then((r) => r.prompts),
    uniqueNames: true,
  },
  resources: {
    method: 'resources/list',
    schema: specTypeSchemas.Resource,
    invalid: 'invalidResources',
    fetch: (client: Client, options: ListOptions) =>
      client.listResources(undefined, options).then((r) => r.resources),
    uniqueNames: false,
  },
  resourceTemplates: {
    method: 'resources/templates/list',
    schema: specTypeSchemas.ResourceTemplate,
    invalid: 'invalidResourceTemplates',
    fetch: (client: Client, options: ListOptions) =>
      client.listResourceTemplates(undefined, options).then((r) => r.resourceTemplates),
    uniqueNames: false,
  },
} as const;

/** Which list. */
export type ListKind = keyof typeof LISTS;

/** The same cap the SDK puts on pagination (`listMaxPages`). */
const MAX_PAGES = 64;
/** How many schema issues one problem names. */
const ISSUES_SHOWN = 3;

/** A list request failed; `method` says which. */
export class ListFailure extends Error {
  readonly method: string;

  constructor(method: string, cause: unknown) {
    super(`${method} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.method = method;
  }
}

/** A valid item and its place in the list as the server sent it (from 1). */
interface Placed {
  item: unknown;
  position: number;
}

/**
 * Fetches one list: the valid items and, in a patch for the listing, the invalid ones. Rejects with a
 * `ListFailure` when the request itself fails (an error answer, a timeout, a closed session).
 */
export async function fetchList(
  client: Client,
  kind: ListKind,
  options: ListOptions,
): Promise<Partial<Listing>> {
  const list = LISTS[kind];
  try {
    return patchFor(kind, placed(await list.fetch(client, options)), []);
  } catch (error) {
    if (!isInvalidResult(error)) throw new ListFailure(list.method, error);
  }
  try {
    const { valid, invalid } = await fetchChecked(client, kind, options);
    return patchFor(kind, valid, invalid);
  } catch (error) {
    throw new ListFailure(list.method, error);
  }
}

/** Every list the server's capabilities advertise, fetched in parallel. */
export async function fetchListing(client: Client, options: ListOptions): Promise<Listing> {
  const caps = client.getServerCapabilities() ?? {};
  const [tools, prompts, resources, resourceTemplates] = await Promise.all([
    caps.tools ? fetchList(client, 'tools', options) : {},
    caps.prompts ? fetchList(client, 'prompts', options) : {},
    caps.resources ? fetchList(client, 'resources', options) : {},
    // Many servers with resources have no templates (and answer "method not found"): not a failure.
    caps.resources ? fetchList(client, 'resourceTemplates', options).catch(() => ({})) : {},
  ]);
  return { ...emptyListing(), ...tools, ...prompts, ...resources, ...resourceTemplates };
}

/**
 * Refreshes one list after the SDK's own refresh (on a `list_changed` notification) failed: only a
 * result the SDK found invalid is worth fetching again, checked item by item. Resolves undefined when
 * there is nothing to update (any other failure: the previous list stands).
 */
export async function refetchInvalidList(
  client: Client,
  kind: ListKind,
  error: unknown,
): Promise<Partial<Listing> | undefined> {
  if (!isInvalidResult(error)) return undefined;
  try {
    const { valid, invalid } = await fetchChecked(client, kind, {});
    return patchFor(kind, valid, invalid);
  } catch {
    return undefined; // the session is closing, or the server cannot list right now
  }
}

/** A list the SDK's own refresh produced, as a patch (empty and repeated names taken out and reported). */
export function checkedList(kind: ListKind, items: unknown[]): Partial<Listing> {
  return patchFor(kind, placed(items), []);
}

function isInvalidResult(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.InvalidResult;
}

function placed(items: unknown[]): Placed[] {
  return items.map((item, index) => ({ item, position: index + 1 }));
}

/**
 * The listing patch for one list: its valid items and its invalid ones, where a tool or prompt whose
 * name is empty or repeats an earlier one's counts as invalid too (the first of a name is kept).
 */
function patchFor(kind: ListKind, valid: Placed[], invalid: InvalidItem[]): Partial<Listing> {
  const list = LISTS[kind];
  const items: unknown[] = [];
  const seen = new Set<string>();
  for (const { item, position } of valid) {
    const name = list.uniqueNames ? (item as { name: string }).name : undefined;
    if (name === '') invalid.push({ position, problem: 'name is empty' });
    else if (name !== undefined && seen.has(name)) {
      invalid.push({ name, position, problem: 'name listed more than once (the first is kept)' });
    } else {
      if (name !== undefined) seen.add(name);
      items.push(item);
    }
  }
  invalid.sort((a, b) => a.position - b.position);
  return { [kind]: items, [list.invalid]: invalid };
}

/** Walks the list's pages with a permissive schema and checks each item against the SDK's schema. */
async function fetchChecked(
  client: Client,
  kind: ListKind,
  options: ListOptions,
): Promise<{ valid: Placed[]; invalid: InvalidItem[] }> {
  const { method, schema } = LISTS[kind];
  const page = z.looseObject({ [kind]: z.array(z.unknown()), nextCursor: z.string().optional() });
  const valid: Placed[] = [];
  const invalid: InvalidItem[] = [];
  let position = 0;
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_PAGES) throw new Error(`${method}: still paginating after ${MAX_PAGES} pages`);
    const result = await client.request(
      { method, ...(cursor !== undefined && { params: { cursor } }) },
      page,
      options,
    );
    for (const item of result[kind] as unknown[]) {
      position += 1;
      const checked = await (schema as StandardSchemaV1)['~standard'].validate(item);
      if (!checked.issues) {
        valid.push({ item: checked.value, position });
        continue;
      }
      const name = nameOf(kind, item);
      invalid.push({
        ...(name !== undefined && { name }),
        position,
        problem: describeIssues(checked.issues),
      });
    }
    const next = result.nextCursor as string | undefined;
    if (next === undefined || next === cursor) break;
    cursor = next;
  }
  return { valid, invalid };
}

/** An invalid item's name (its URI for resources), if it has a usable one. */
function nameOf(kind: ListKind, item: unknown): string | undefined {
  const key = kind === 'resources' ? 'uri' : kind === 'resourceTemplates' ? 'uriTemplate' : 'name';
  const value =
    typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `inputSchema.type: Invalid input: expected "object"; name: …` (the first few issues). */
function describeIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  const shown = issues.slice(0, ISSUES_SHOWN).map((issue) => {
    const path = (issue.path ?? [])
      .map((segment) => (typeof segment === 'object' ? segment.key : segment))
      .map(String)
      .join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length > ISSUES_SHOWN ? ` (and ${issues.length - ISSUES_SHOWN} more)` : '';
  return shown.join('; ') + more;
}
