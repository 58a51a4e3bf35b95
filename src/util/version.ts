/** berth's own version, read once from its `package.json` (two levels up from `dist/util` and `src/util`). */
import { readFileSync } from 'node:fs';

/** berth's version, as its package says. */
export const VERSION: string = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
