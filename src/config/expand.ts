/**
 * Variable expansion in config strings: `${VAR}`, `${VAR:-default}`, `${env:VAR}` (VS Code style) and
 * `${workspaceFolder}`. Reports what it could not expand instead of throwing; the loader turns that
 * into config issues. A `$` not followed by `{` is left as is.
 */
import { basename, dirname } from 'node:path';

/** What expansion needs besides the environment. */
export interface ExpandContext {
  /** The value of `${workspaceFolder}`; see {@link workspaceFolderOf}. */
  workspaceFolder: string;
}

/** The result of expanding one string. */
export interface ExpandResult {
  /** The expanded string. References that could not be expanded are left in place. */
  value: string;
  /** Names of variables that are unset (or empty) and have no default. */
  missing: string[];
  /** References berth does not support, as written, e.g. `${input:token}` or `${command:pick}`. */
  unsupported: string[];
}

const REFERENCE = /\$\{([^{}]*)\}/g;
const VARIABLE = /^(?:env:)?([^\s:{}]+)(?::-([\s\S]*))?$/;

/**
 * Expands every `${...}` reference in `input`. `${VAR:-default}` uses the default when VAR is unset or
 * empty (the default is literal); `${VAR}` and `${env:VAR}` with VAR unset are reported in `missing`.
 */
export function expandString(
  input: string,
  env: Record<string, string | undefined>,
  context: ExpandContext,
): ExpandResult {
  const missing: string[] = [];
  const unsupported: string[] = [];
  const value = input.replace(REFERENCE, (reference, body: string) => {
    if (body === 'workspaceFolder') return context.workspaceFolder;
    const match = VARIABLE.exec(body);
    if (!match) {
      unsupported.push(reference);
      return reference;
    }
    const [, name = '', fallback] = match;
    const current = env[name];
    if (fallback !== undefined) return current ? current : fallback;
    if (current !== undefined) return current;
    missing.push(name);
    return reference;
  });
  return { value, missing, unsupported };
}

/**
 * The `${workspaceFolder}` for a config file: the directory that holds it, or for a file inside a
 * `.vscode` folder (VS Code's `.vscode/mcp.json`), the parent of `.vscode`.
 */
export function workspaceFolderOf(configFile: string): string {
  const dir = dirname(configFile);
  return basename(dir) === '.vscode' ? dirname(dir) : dir;
}
