/**
 * The start cache: what each server listed the last time it started (tools, prompts, resources,
 * templates, and the name and version it reported), persisted so that a `lazy` server's part of the
 * catalog is served before any process runs. One JSON file per server entry, named by a hash of the
 * entry's identity: transport, command, args, cwd, url, the NAMES of its env variables and headers
 * (never their values: nothing secret is hashed or stored) and berth's version. A file is written
 * whole to a temporary name and renamed over the old one, so a reader (this host or another one
 * sharing the directory) sees the old file or the new one, never a torn one. Files are 0600 and the
 * directory 0700. A file that is missing, unreadable, corrupt, too large, of another berth version
 * or for another entry is a miss: never an error, and rewritten at the server's next listing.
 *
 * The listing was checked against the MCP schemas when the server sent it; at rest it is sealed with
 * a SHA-256 of its JSON, so a file changed since berth wrote it (by hand, a disk, another program) is
 * a miss. Reading a file needs no MCP schema, and so does not load the MCP SDK: a host serving its
 * whole catalog from this cache starts without it.
 */
import { randomBytes, createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Implementation } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../config/types.js';
import type { Listing } from '../session/connection.js';
import { VERSION } from '../util/version.js';

/** The layout of a cache file; a file of another format is a miss (1 had no digest). */
const FORMAT = 2;
/** A cache file larger than this is not read (a miss). */
export const MAX_CACHE_FILE_BYTES = 32 * 1024 * 1024;

/** A server's cached listing, as read back. */
export interface CachedListing {
  listing: Listing;
  /** The name and version the server reported when it listed. */
  serverInfo?: Implementation;
  /** When the listing was written (ISO 8601). */
  savedAt: string;
}

/**
 * The default cache directory: `$BERTH_CACHE_DIR`, else `berth` under `$XDG_CACHE_HOME`, else
 * `~/.cache/berth`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_CACHE_DIR) return env.BERTH_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'berth');
  return join(homedir(), '.cache', 'berth');
}

/** What identifies a server entry for the cache: never a value of its env or headers. */
export function cacheIdentity(spec: ServerSpec): Record<string, unknown> {
  const names = (record: Record<string, string>) => Object.keys(record).sort();
  return spec.transport === 'stdio'
    ? {
        berth: VERSION,
        transport: spec.transport,
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd ?? null,
        env: names(spec.env),
      }
    : { berth: VERSION, transport: spec.transport, url: spec.url, headers: names(spec.headers) };
}

/** The cache key of an entry: a SHA-256 of its identity. */
export function cacheKey(spec: ServerSpec): string {
  return createHash('sha256')
    .update(JSON.stringify(cacheIdentity(spec)))
    .digest('hex');
}

/** The persisted listings of server entries, in one directory. */
export class ListingCache {
  /** The directory the files live in. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The file of an entry. */
  fileFor(spec: ServerSpec): string {
    return join(this.dir, `${cacheKey(spec)}.json`);
  }

  /** The entry's cached listing, or undefined on any miss (never throws). */
  async read(spec: ServerSpec): Promise<CachedListing | undefined> {
    const file = this.fileFor(spec);
    try {
      const info = await stat(file);
      if (!info.isFile() || info.size > MAX_CACHE_FILE_BYTES) return undefined;
      return parseCacheFile(await readFile(file, 'utf8'), cacheKey(spec));
    } catch {
      return undefined; // missing, unreadable, or not JSON: a miss
    }
  }

  /**
   * Writes the entry's listing: to a temporary file, then renamed over the old one. Rejects if the
   * directory or file cannot be written (the caller decides what a failed write means).
   */
  async write(spec: ServerSpec, listing: Listing, serverInfo: Implementation | undefined): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const key = cacheKey(spec);
    const file = join(this.dir, `${key}.json`);
    const body = JSON.stringify({
      digest: digestOf(listing),
      format: FORMAT,
      berth: VERSION,
      key,
      server: spec.name,
      ...(serverInfo && { serverInfo: { name: serverInfo.name, version: serverInfo.version } }),
      savedAt: new Date().toISOString(),
      listing,
    });
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, body, { mode: 0o600, flag: 'wx' });
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
  }
}

const LISTS = ['tools', 'prompts', 'resources', 'resourceTemplates'] as const;

const INVALID_LISTS = [
  'invalidTools',
  'invalidPrompts',
  'invalidResources',
  'invalidResourceTemplates',
] as const;

/**
 * The seal of a listing: a SHA-256 of its JSON. `JSON.stringify` of what `JSON.parse` read back from
 * `JSON.stringify`'s text is that same text, so an untouched file always matches its digest.
 */
function digestOf(listing: unknown): string {
  return createHash('sha256').update(JSON.stringify(listing)).digest('hex');
}

/** A cache file's text as a listing, if it is one of this berth version for `key`; else undefined. */
function parseCacheFile(text: string, key: string): CachedListing | undefined {
  const file = JSON.parse(text) as unknown;
  if (!isObject(file) || file.format !== FORMAT || file.berth !== VERSION || file.key !== key)
    return undefined;
  if (typeof file.savedAt !== 'string' || !isObject(file.listing)) return undefined;
  const raw = file.listing;
  if (file.digest !== digestOf(raw)) return undefined; // changed since berth wrote it
  // The items as written (the server's own key order): a copy in another order would make the
  // catalog take the same listing for a changed one when the server lists it again.
  const listing: Partial<Listing> = {};
  for (const kind of LISTS) {
    const items = raw[kind];
    if (!Array.isArray(items) || !items.every(isObject)) return undefined;
    (listing as Record<string, unknown[]>)[kind] = items;
  }
  for (const kind of INVALID_LISTS) {
    const items = raw[kind];
    if (items === undefined) continue;
    if (!Array.isArray(items) || !items.every(isInvalidItem)) return undefined;
    listing[kind] = items;
  }
  const info = file.serverInfo;
  const serverInfo =
    isObject(info) && typeof info.name === 'string' && typeof info.version === 'string'
      ? { name: info.name, version: info.version }
      : undefined;
  return { listing: listing as Listing, ...(serverInfo && { serverInfo }), savedAt: file.savedAt };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInvalidItem(value: unknown): value is NonNullable<Listing['invalidTools']>[number] {
  return (
    isObject(value) &&
    typeof value.position === 'number' &&
    typeof value.problem === 'string' &&
    (value.name === undefined || typeof value.name === 'string')
  );
}
