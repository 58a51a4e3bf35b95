/**
 * The names the gateway serves tools and prompts under, by prefix mode: `always` the catalog name
 * (`server__tool`), `never` the server's own name, `collision` the own name unless two servers share
 * it. A name two items would share after the mode is applied is never served to either (no tool
 * silently shadows another); it is reported as a collision instead, and `berth serve` refuses to start
 * with one.
 */
import type { PrefixMode } from '../config/gateway.js';

/** One catalog item (tool or prompt) as the gateway sees it. */
export interface NamedItem {
  /** The catalog name (`server__item`). */
  readonly name: string;
  readonly server: string;
  /** The item's own name on its server. */
  readonly own: string;
}

/** A served name that two or more items would share. */
export interface NameCollision {
  readonly served: string;
  /** The catalog names of the items that collide. */
  readonly items: readonly string[];
}

/** The served names of a list of items, and back. */
export interface ServedNames<T extends NamedItem> {
  /** served name → item, for the items that have one. */
  readonly byServed: ReadonlyMap<string, T>;
  /** Items left out because their served name collides. */
  readonly collisions: readonly NameCollision[];
}

/** Applies a prefix mode to a list of catalog items. */
export function serveNames<T extends NamedItem>(items: readonly T[], mode: PrefixMode): ServedNames<T> {
  const ownCount = new Map<string, number>();
  for (const item of items) ownCount.set(item.own, (ownCount.get(item.own) ?? 0) + 1);
  const wanted = new Map<string, T[]>();
  for (const item of items) {
    const bare = mode === 'never' || (mode === 'collision' && ownCount.get(item.own) === 1);
    const served = bare ? item.own : item.name;
    const list = wanted.get(served);
    if (list) list.push(item);
    else wanted.set(served, [item]);
  }
  const byServed = new Map<string, T>();
  const collisions: NameCollision[] = [];
  for (const [served, list] of wanted) {
    if (list.length === 1) byServed.set(served, list[0]!);
    else collisions.push({ served, items: list.map((item) => item.name).sort() });
  }
  return { byServed, collisions };
}

/** A collision as a sentence: what collides and what to do about it. */
export function describeCollision(
  kind: 'tool' | 'prompt',
  collision: NameCollision,
  mode: PrefixMode,
): string {
  const fix =
    mode === 'never'
      ? 'set gateway.prefix to "collision" or "always", or hide one with the server\'s tools.deny'
      : "hide one with the server's tools.deny, or rename a server";
  return `${kind} name "${collision.served}" would be served for ${collision.items.map((n) => `"${n}"`).join(' and ')} (gateway.prefix "${mode}"); ${fix}`;
}
