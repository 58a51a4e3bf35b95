/**
 * Which servers `berth call <tool>` must start: the ones whose catalog names could include the tool.
 * A catalog name is `<sanitized server>__<sanitized tool>` (see `catalog/naming.ts`), or, when it is
 * too long or would clash, a shortened readable part plus `_` and a hex digest. Starting only those
 * servers keeps a slow or broken server the call does not need off its path.
 */
import { CATALOG_NAME_SEPARATOR, serverNamePart } from '../catalog/naming.js';

/** A name that ends in a digest: shortened, or moved aside by a clash. */
const DIGEST_SUFFIX = /_[0-9a-f]{8,64}$/;
/** A name that is `_` and 63 digits of a digest, with no readable part. */
const DIGEST_ONLY = /^_[0-9a-f]{63}$/;

/**
 * The configured servers whose tools could have the catalog name `tool`, or `undefined` when that
 * cannot be narrowed (no server matches, or the name is a bare digest): then every server is needed.
 *
 * A server matches when its sanitized name is the part of `tool` before one of its `__` separators.
 * For a name ending in a digest, a server also matches when that part is a prefix of its sanitized
 * name (the readable part was cut). Every server that could clash with the tool's name matches too,
 * since names are a function of the set of servers' tools: a clash partner shares the prefix.
 */
export function serversForTool(tool: string, servers: Iterable<string>): string[] | undefined {
  if (DIGEST_ONLY.test(tool)) return undefined;
  const shortened = DIGEST_SUFFIX.test(tool);
  const prefixes: string[] = [];
  for (let at = tool.indexOf(CATALOG_NAME_SEPARATOR); at > 0;) {
    prefixes.push(tool.slice(0, at));
    at = tool.indexOf(CATALOG_NAME_SEPARATOR, at + 1);
  }
  const matches = [...new Set(servers)].filter((server) => {
    const sanitized = serverNamePart(server);
    return prefixes.some((prefix) => sanitized === prefix || (shortened && sanitized.startsWith(prefix)));
  });
  return matches.length > 0 ? matches : undefined;
}
