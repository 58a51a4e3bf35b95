/**
 * Catalog names: the stable, LLM-safe name each item (tool, prompt) of each server gets in the
 * aggregated catalog, and the exact reverse mapping back to (server, item).
 *
 * A name is `<server>__<item>` with every character outside `[a-zA-Z0-9_-]` replaced by `_`, and a
 * server part that would start with a digit or `-` prefixed with `_`, so it always matches
 * `^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$` (the OpenAI/Anthropic/Gemini tool-name rule). A name longer than
 * 64 characters, or one that two different origins would share, instead ends with `_` and a hex
 * digest of the exact original (server, item), after as much of both readable parts as fits.
 * Every name is a function of the set of origins only, never of their order.
 */
import { createHash } from 'node:crypto';

/** The original identity behind a catalog name: a server's configured name and the item's own name. */
export interface NameOrigin {
  /** The server's configured name, exactly as given. */
  readonly server: string;
  /** The tool's (or prompt's) name, exactly as the server reported it. */
  readonly item: string;
}

/** Longest catalog name LLM APIs accept. */
export const CATALOG_NAME_MAX_LENGTH = 64;

/**
 * Every catalog name matches this: 1 to 64 characters from `[a-zA-Z0-9_-]`, the first a letter or `_`
 * (Gemini, for one, rejects a function name that starts with a digit or `-`).
 */
export const CATALOG_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/;

/** Joins the server part and the item part of a catalog name. */
export const CATALOG_NAME_SEPARATOR = '__';

/** Digest lengths (hex characters) used as a name needs more disambiguation; index 0 means plain. */
const DIGEST_LENGTHS = [0, 8, 16, 32, 64] as const;

/** The server part keeps at least this many characters when a long name is shortened. */
const SERVER_KEEP_MIN = 16;

/**
 * Replaces every character outside `[a-zA-Z0-9_-]` with `_` (one `_` per code point, so an emoji
 * becomes a single `_`).
 */
export function sanitizeNamePart(part: string): string {
  return part.replace(/[^a-zA-Z0-9_-]/gu, '_');
}

/**
 * The server part of a catalog name: {@link sanitizeNamePart}, then a leading `_` when that would
 * start with a digit or `-`, so every name starts with a letter or `_` (`1st` → `_1st`, `-x` → `_-x`).
 * Every other server part is left as it was, so existing names stay stable.
 */
export function serverNamePart(server: string): string {
  const part = sanitizeNamePart(server);
  return /^[0-9-]/.test(part) ? `_${part}` : part;
}

/** Removes trailing `_`/`-` left by a cut, so a shortened part does not run into the separator. */
function trimCut(part: string, original: string): string {
  return part.length < original.length ? part.replace(/[_-]+$/, '') : part;
}

/**
 * The readable part of a shortened name, at most `budget` characters: both parts whole when they
 * fit; otherwise the item keeps as much as it can while the server keeps at least its first
 * {@link SERVER_KEEP_MIN} characters (or half the room, if less), so the tool stays recognisable.
 */
function readablePart(server: string, item: string, budget: number): string {
  const whole = server + CATALOG_NAME_SEPARATOR + item;
  if (whole.length <= budget) return whole;
  const room = budget - CATALOG_NAME_SEPARATOR.length;
  if (room < 2) return trimCut(whole.slice(0, Math.max(budget, 0)), whole);
  const serverFloor = Math.min(server.length, SERVER_KEEP_MIN, Math.floor(room / 2));
  const itemKeep = Math.min(item.length, room - serverFloor);
  const serverKeep = Math.min(server.length, room - itemKeep);
  return (
    trimCut(server.slice(0, serverKeep), server) +
    CATALOG_NAME_SEPARATOR +
    trimCut(item.slice(0, itemKeep), item)
  );
}

/** One distinct origin while the table is being built. */
interface Entry {
  readonly origin: NameOrigin;
  /** Sanitized server part ({@link serverNamePart}). */
  readonly server: string;
  /** Sanitized item part. */
  readonly item: string;
  /** Index into {@link DIGEST_LENGTHS}. */
  level: number;
  name: string;
  /** Full sha256 hex digest of the origin, computed on first need. */
  digest?: string;
}

/**
 * The digest of an origin: sha256 over `JSON.stringify([server, item])`, an encoding that is
 * injective for all strings (a NUL inside a name, or a lone surrogate, cannot make two origins hash alike).
 */
function digestOf(entry: Entry): string {
  entry.digest ??= createHash('sha256')
    .update(JSON.stringify([entry.origin.server, entry.origin.item]), 'utf8')
    .digest('hex');
  return entry.digest;
}

/** The name for an entry at its current level. */
function nameAt(entry: Entry): string {
  const digestLength = DIGEST_LENGTHS[entry.level] ?? 64;
  if (digestLength === 0) return entry.server + CATALOG_NAME_SEPARATOR + entry.item;
  const hex = digestOf(entry).slice(0, digestLength);
  // At full length the digest alone is the name (after a `_`, as a name may not start with a digit):
  // no readable part fits beside it anyway.
  if (hex.length >= CATALOG_NAME_MAX_LENGTH) return `_${hex.slice(0, CATALOG_NAME_MAX_LENGTH - 1)}`;
  const suffix = `_${hex}`;
  return readablePart(entry.server, entry.item, CATALOG_NAME_MAX_LENGTH - suffix.length) + suffix;
}

/**
 * The catalog names of a set of origins, both ways. Built once from the origins of every server's
 * items; names are unique, match {@link CATALOG_NAME_PATTERN}, and do not depend on input order.
 */
export class NameTable {
  readonly #byName: Map<string, NameOrigin>;
  readonly #byOrigin: Map<string, Map<string, string>>;

  private constructor(byName: Map<string, NameOrigin>, byOrigin: Map<string, Map<string, string>>) {
    this.#byName = byName;
    this.#byOrigin = byOrigin;
  }

  /**
   * Names every distinct (server, item) pair of `origins` (duplicates count once).
   *
   * A pair keeps its plain name `<server>__<item>` (sanitized) unless that is longer than 64
   * characters or another pair would get the same name; then it gets `_` + 8 hex digits of its own
   * digest after a readable prefix. Should names still clash (a digest prefix collision, or a
   * plain name that looks like a shortened one), every pair in the clash moves to a longer digest
   * (16, 32, then `_` and the first 63 digits of the digest alone). Each round is a function of the set alone, so the
   * result is the same for every input order. O(n) in the number of origins.
   */
  static build(origins: Iterable<NameOrigin>): NameTable {
    const entries: Entry[] = [];
    const seen = new Map<string, Set<string>>();
    for (const { server, item } of origins) {
      let items = seen.get(server);
      if (!items) seen.set(server, (items = new Set<string>()));
      if (items.has(item)) continue;
      items.add(item);
      const entry: Entry = {
        origin: Object.freeze({ server, item }),
        server: serverNamePart(server),
        item: sanitizeNamePart(item),
        level: 0,
        name: '',
      };
      entry.name = nameAt(entry);
      if (entry.name.length > CATALOG_NAME_MAX_LENGTH) {
        entry.level = 1;
        entry.name = nameAt(entry);
      }
      entries.push(entry);
    }

    // Bump every entry of every clash together until no name is shared. Each round only raises
    // levels, and full digests of distinct origins differ, so this ends within DIGEST_LENGTHS rounds.
    for (let round = 0; ; round++) {
      const groups = new Map<string, Entry[]>();
      for (const entry of entries) {
        const group = groups.get(entry.name);
        if (group) group.push(entry);
        else groups.set(entry.name, [entry]);
      }
      const clashing: Entry[] = [];
      for (const group of groups.values()) if (group.length > 1) clashing.push(...group);
      if (clashing.length === 0) break;
      if (round >= DIGEST_LENGTHS.length) {
        throw new Error(`catalog names still clash after full-length digests: ${clashing[0]?.name ?? ''}`);
      }
      for (const entry of clashing) {
        entry.level = Math.min(entry.level + 1, DIGEST_LENGTHS.length - 1);
        entry.name = nameAt(entry);
      }
    }

    const byName = new Map<string, NameOrigin>();
    const byOrigin = new Map<string, Map<string, string>>();
    for (const entry of entries) {
      byName.set(entry.name, entry.origin);
      let items = byOrigin.get(entry.origin.server);
      if (!items) byOrigin.set(entry.origin.server, (items = new Map<string, string>()));
      items.set(entry.origin.item, entry.name);
    }
    return new NameTable(byName, byOrigin);
  }

  /** The catalog name of `item` on `server`, or `undefined` when the table has no such pair. */
  nameOf(server: string, item: string): string | undefined {
    return this.#byOrigin.get(server)?.get(item);
  }

  /** The exact (server, item) a catalog name stands for, or `undefined` for a name not in the table. */
  resolve(name: string): NameOrigin | undefined {
    return this.#byName.get(name);
  }

  /** Whether `name` is a catalog name in this table. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Every catalog name, in the order their origins were first given. */
  names(): IterableIterator<string> {
    return this.#byName.keys();
  }

  /** Every `[name, origin]` pair, in the order the origins were first given. */
  entries(): IterableIterator<[string, NameOrigin]> {
    return this.#byName.entries();
  }

  /** How many distinct (server, item) pairs the table names. */
  get size(): number {
    return this.#byName.size;
  }
}
