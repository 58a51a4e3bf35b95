/**
 * Every package the code, the tests and the scripts import is declared in package.json (a
 * dependency, a devDependency or a peer dependency), so `npm ci` guarantees it. A package that is
 * only there because another one depends on it may vanish with that package's next version.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = /\.(?:[cm]?[jt]s)$/;
/**
 * The specifier of a static import or re-export (at a line's start, over several lines), or of a
 * dynamic import or a require of a string literal.
 */
const IMPORT =
  /^\s*(?:import|export)\b(?:[^'";]*?\bfrom)?\s*(['"])([^'"\n]+)\1|\b(?:import|require)\(\s*(['"])([^'"\n]+)\3\s*\)/gm;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

describe('declared dependencies', () => {
  it('every package imported by src, test and scripts is in package.json (bench has its own)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    const declared = new Set([
      pkg.name as unknown as string,
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.devDependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const undeclared = new Map<string, string>();
    for (const dir of ['src', 'test', 'scripts']) {
      for (const file of files(join(ROOT, dir))) {
        for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
          const name = packageOf(match[2] ?? match[4]!);
          if (name && !declared.has(name) && !undeclared.has(name))
            undeclared.set(name, relative(ROOT, file));
        }
      }
    }
    expect(Object.fromEntries(undeclared)).toEqual({});
  });
});
