/**
 * The version of an installed package, found from a URL that `import.meta.resolve` returned for it:
 * walk up from the resolved file to the nearest package.json carrying the package's name. This
 * works for packages whose `exports` do not expose `package.json`. Contenders use it to record
 * exactly what was measured.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `packageVersion('@modelcontextprotocol/client', import.meta.resolve('@modelcontextprotocol/client'))`. */
export function packageVersion(name, resolvedUrl) {
  let dir = dirname(fileURLToPath(resolvedUrl));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json here; keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** The version in bench/node_modules/<name>/package.json (for packages that import.meta.resolve cannot find). */
export function installedVersion(name) {
  const file = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
  try {
    return JSON.parse(readFileSync(file, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
