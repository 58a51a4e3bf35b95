/**
 * "Did you mean …?" for unknown catalog names: the nearest known names by case-insensitive
 * Levenshtein distance, where a bare item name (`increment`) also matches the item part of a
 * catalog name (`counter__increment`). Pure and deterministic; used to build `UnknownNameError`s.
 */
import { distance } from 'fastest-levenshtein';

/** A name may differ in up to 1/this of the longer name's length before it counts as unrelated. */
const MAX_DISTANCE_DIVISOR = 3;

/** A shortening digest at the end of a catalog name's item part (see `naming.ts`). */
const DIGEST_SUFFIX = /_[0-9a-f]{8,64}$/;

/** The part after the last `__`, or `undefined` when there is no non-empty one. */
function itemPart(name: string): string | undefined {
  const at = name.lastIndexOf('__');
  if (at < 0) return undefined;
  const tail = name.slice(at + 2);
  return tail.length > 0 ? tail : undefined;
}

/** The distance between two lower-cased names, or `Infinity` when it is past the cutoff for their length. */
function closeness(a: string, b: string): number {
  const cutoff = Math.max(1, Math.floor(Math.max(a.length, b.length) / MAX_DISTANCE_DIVISOR));
  // The length difference is a lower bound of the distance: skip the full computation when it is too far.
  if (Math.abs(a.length - b.length) > cutoff) return Infinity;
  const d = distance(a, b);
  return d <= cutoff ? d : Infinity;
}

/** The forms of a candidate's item part to compare against: as is, and without a digest suffix. */
function itemForms(candidate: string): string[] {
  const tail = itemPart(candidate);
  if (tail === undefined) return [];
  const bare = tail.replace(DIGEST_SUFFIX, '');
  return bare.length > 0 && bare !== tail ? [tail, bare] : [tail];
}

/**
 * The nearest names to `requested` among `candidates`, best first, at most `max` of them.
 *
 * Matching is case-insensitive. A candidate is scored by the smallest of: its Levenshtein distance
 * to `requested`; the distance between `requested` (or, when `requested` has a `__`, its part after
 * the last `__`) and the candidate's part after its last `__` (with any shortening digest removed),
 * so a bare tool name like `increment` finds `counter__increment` at distance 0. Each comparison
 * only counts within a third of the longer string's length (at least 1), so wildly different names are
 * never suggested. Ties are ordered by code-unit order of the candidate, so the result is deterministic.
 */
export function suggestNames(requested: string, candidates: Iterable<string>, max = 3): string[] {
  if (max <= 0) return [];
  const wanted = requested.toLowerCase();
  if (wanted.length === 0) return [];
  const wantedForms = [wanted];
  const wantedItem = itemPart(wanted);
  if (wantedItem !== undefined) wantedForms.push(wantedItem);

  const seen = new Set<string>();
  const scored: [string, number][] = [];
  for (const candidate of candidates) {
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    const lower = candidate.toLowerCase();
    let score = closeness(wanted, lower);
    for (const form of itemForms(lower)) {
      for (const asked of wantedForms) score = Math.min(score, closeness(asked, form));
    }
    if (score !== Infinity) scored.push([candidate, score]);
  }

  return scored
    .sort(([a, da], [b, db]) => da - db || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, max)
    .map(([name]) => name);
}
