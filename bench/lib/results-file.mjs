/**
 * Where a results file goes: `<dir>/<base>.json`, or `<base>-2.json`, `-3`… when that name is taken,
 * so that a second run of one commit never replaces the first (the docs cite results by file name).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A path in `dir` for the results named `base` (without `.json`) that no earlier run holds. */
export function freeResultsPath(dir, base) {
  let file = join(dir, `${base}.json`);
  for (let n = 2; existsSync(file); n++) file = join(dir, `${base}-${n}.json`);
  return file;
}
