/**
 * Variable expansion in config strings: `${VAR}`, `${VAR:-default}` (the default may hold references
 * of its own: `${A:-${B}}`), `${env:VAR}` (VS Code style) and `${workspaceFolder}`. Reports what it
 * could not expand (unset, unsupported or malformed references) instead of throwing; the loader turns
 * that into config issues. A `$` not followed by `{` is left as is.
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
  /** Malformed references (an unclosed `${`, an empty `${}`, a bad name), each as a sentence. */
  malformed: string[];
}

/** How deeply defaults may nest: `${A:-${B:-${C}}}` is 3 levels. */
export const MAX_DEFAULT_NESTING = 8;

const VARIABLE = /^(?:env:)?([^\s:{}$]+)(?::-([\s\S]*))?$/;
/** A well-formed reference of a kind berth does not expand: `${input:…}`, `${command:…}`, `${config:…}`. */
const OTHER_KIND = /^[A-Za-z][\w-]*:/;

/**
 * Expands every `${...}` reference in `input`. `${VAR:-default}` uses the default when VAR is unset or
 * empty; the default is expanded in turn, so `${A:-${B:-x}}` works. `${VAR}` and `${env:VAR}` with VAR
 * unset are reported in `missing`. Values taken from the environment are never expanded again.
 */
export function expandString(
  input: string,
  env: Record<string, string | undefined>,
  context: ExpandContext,
): ExpandResult {
  const out = { missing: [] as string[], unsupported: [] as string[], malformed: [] as string[] };
  const value = expandText(input, { env, context, out }, 0);
  return { value, ...out };
}

interface Expansion {
  env: Record<string, string | undefined>;
  context: ExpandContext;
  out: Omit<ExpandResult, 'value'>;
}

function expandText(text: string, expansion: Expansion, depth: number): string {
  let result = '';
  let at = 0;
  for (;;) {
    const start = text.indexOf('${', at);
    if (start < 0) return result + text.slice(at);
    result += text.slice(at, start);
    const end = closingBrace(text, start + 2);
    if (end < 0) {
      expansion.out.malformed.push(
        `${JSON.stringify(shorten(text.slice(start)))} is not closed: expected "}" after the variable name`,
      );
      return result + text.slice(start);
    }
    result += expandReference(text.slice(start, end + 1), expansion, depth);
    at = end + 1;
  }
}

/** The index of the `}` that closes a reference whose body starts at `from`; nested `${` count. -1: none. */
function closingBrace(text: string, from: number): number {
  let open = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      open++;
      i++;
    } else if (text[i] === '}') {
      if (open === 0) return i;
      open--;
    }
  }
  return -1;
}

function expandReference(reference: string, expansion: Expansion, depth: number): string {
  const body = reference.slice(2, -1);
  if (body === 'workspaceFolder') return expansion.context.workspaceFolder;
  const match = VARIABLE.exec(body);
  if (!match) {
    if (OTHER_KIND.test(body) && !body.startsWith('env:')) expansion.out.unsupported.push(reference);
    else
      expansion.out.malformed.push(
        `${JSON.stringify(shorten(reference))} is not a valid reference: expected \${NAME}, \${NAME:-default}, \${env:NAME} or \${workspaceFolder}`,
      );
    return reference;
  }
  const [, name = '', fallback] = match;
  const current = expansion.env[name];
  if (fallback !== undefined) {
    if (current) return current;
    if (depth + 1 >= MAX_DEFAULT_NESTING && fallback.includes('${')) {
      expansion.out.malformed.push(
        `${JSON.stringify(shorten(reference))} nests defaults more than ${MAX_DEFAULT_NESTING} levels deep`,
      );
      return reference;
    }
    return expandText(fallback, expansion, depth + 1);
  }
  if (current !== undefined) return current;
  expansion.out.missing.push(name);
  return reference;
}

/** A reference cut for a message. */
function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/**
 * The `${workspaceFolder}` for a config file: the directory that holds it, or for a file inside a
 * `.vscode` folder (VS Code's `.vscode/mcp.json`), the parent of `.vscode`.
 */
export function workspaceFolderOf(configFile: string): string {
  const dir = dirname(configFile);
  return basename(dir) === '.vscode' ? dirname(dir) : dir;
}
