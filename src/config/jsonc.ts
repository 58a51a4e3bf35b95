/**
 * JSON with comments (JSONC), as VS Code's `mcp.json` allows: `//` and `/* *\/` comments and trailing
 * commas. Parsing is Microsoft's `jsonc-parser` (VS Code's own); this module owns what berth adds on
 * top: a bound on nesting depth (the parser recurses, so a deeply nested file would otherwise end in
 * a stack overflow), `__proto__` kept as an ordinary key, and the first syntax error as a
 * {@link JsonSyntaxError} with a 1-based line and column and a message in plain words.
 */
import { createScanner, visit, type ParseErrorCode, type SyntaxKind } from 'jsonc-parser';

/** A syntax error in JSON/JSONC text, with the 1-based line and column where it was found. */
export class JsonSyntaxError extends Error {
  /** 1-based line of the offending character. */
  readonly line: number;
  /** 1-based column of the offending character. */
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
    this.line = line;
    this.column = column;
  }
}

/**
 * How deeply arrays and objects may nest. A config needs a handful of levels; the bound keeps a
 * hostile or broken file (thousands of `[`) from overflowing the stack of the recursive parser.
 */
export const MAX_JSONC_DEPTH = 100;

// jsonc-parser's codes are `const enum`s, which `isolatedModules` cannot read from a declaration file.
const TOKEN = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, eof: 17 } as const;
const ERROR = {
  invalidSymbol: 1,
  invalidNumberFormat: 2,
  propertyNameExpected: 3,
  valueExpected: 4,
  colonExpected: 5,
  commaExpected: 6,
  closeBraceExpected: 7,
  closeBracketExpected: 8,
  endOfFileExpected: 9,
  invalidCommentToken: 10,
  unexpectedEndOfComment: 11,
  unexpectedEndOfString: 12,
  unexpectedEndOfNumber: 13,
  invalidUnicode: 14,
  invalidEscapeCharacter: 15,
  invalidCharacter: 16,
} as const;

/**
 * Parses JSON text that may contain comments and trailing commas. Plain JSON parses to the same value
 * as `JSON.parse`. Throws {@link JsonSyntaxError} naming the line and column of the first problem,
 * including nesting deeper than {@link MAX_JSONC_DEPTH}.
 */
export function parseJsonc(text: string): unknown {
  // A byte-order mark becomes a space, so offsets (and columns) stay those of the file.
  const source = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text;
  checkDepth(source);
  return build(source);
}

/** Throws at the first `{` or `[` that opens a level deeper than {@link MAX_JSONC_DEPTH}. Iterative. */
function checkDepth(text: string): void {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== (TOKEN.eof as SyntaxKind); token = scanner.scan()) {
    if (token === (TOKEN.openBrace as SyntaxKind) || token === (TOKEN.openBracket as SyntaxKind)) {
      if (++depth > MAX_JSONC_DEPTH) {
        throw new JsonSyntaxError(
          `arrays and objects nested deeper than ${MAX_JSONC_DEPTH} levels`,
          scanner.getTokenStartLine() + 1,
          scanner.getTokenStartCharacter() + 1,
        );
      }
    } else if (token === (TOKEN.closeBrace as SyntaxKind) || token === (TOKEN.closeBracket as SyntaxKind)) {
      depth = Math.max(0, depth - 1);
    }
  }
}

type Container =
  { kind: 'object'; value: Record<string, unknown>; key?: string } | { kind: 'array'; value: unknown[] };

/** Builds the value with the parser's visitor, and throws the first error it reports. */
function build(text: string): unknown {
  const stack: Container[] = [];
  let root: unknown;
  let done = false;
  /** True where an object expects a property name: after `{` or a `,` inside it. */
  let expectingName = false;
  let lastName = '';
  let failure: JsonSyntaxError | undefined;

  const add = (value: unknown): void => {
    const top = stack.at(-1);
    if (!top) {
      root = value;
      done = true;
    } else if (top.kind === 'array') {
      top.value.push(value);
    } else if (top.key !== undefined) {
      // defineProperty, so a "__proto__" key is an ordinary property as with JSON.parse.
      Object.defineProperty(top.value, top.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      top.key = undefined;
    }
  };

  visit(
    text,
    {
      onObjectBegin: () => {
        stack.push({ kind: 'object', value: {} });
        expectingName = true;
      },
      onObjectProperty: (name) => {
        const top = stack.at(-1);
        if (top?.kind === 'object') top.key = name;
        lastName = name;
        expectingName = false;
      },
      onObjectEnd: () => {
        expectingName = false;
        add(stack.pop()?.value);
      },
      onArrayBegin: () => {
        stack.push({ kind: 'array', value: [] });
        expectingName = false;
      },
      onArrayEnd: () => add(stack.pop()?.value),
      onLiteralValue: (value: unknown) => add(value),
      onSeparator: (separator) => {
        expectingName = separator === ',' && stack.at(-1)?.kind === 'object';
      },
      onError: (code, offset, length, line, character) => {
        if (failure) return;
        const context = { inside: stack.at(-1)?.kind, expectingName, afterValue: done, lastName };
        const [message, at] = describe(code, text, offset, length, context);
        const shift = at - offset; // string errors point inside the token, which is on one line
        failure = new JsonSyntaxError(message, line + 1, character + 1 + shift);
      },
    },
    { allowTrailingComma: true, disallowComments: false },
  );
  if (failure) throw failure;
  return root;
}

interface ErrorContext {
  inside: 'object' | 'array' | undefined;
  expectingName: boolean;
  afterValue: boolean;
  lastName: string;
}

/** The message for a parser error, and the offset it is best reported at. */
function describe(
  code: ParseErrorCode,
  text: string,
  offset: number,
  length: number,
  context: ErrorContext,
): [string, number] {
  const found = (): string =>
    offset >= text.length ? 'unexpected end of file' : `unexpected character ${JSON.stringify(text[offset])}`;
  switch (code as number) {
    case ERROR.invalidSymbol:
      if (context.inside === 'object' && context.expectingName)
        return ['expected a property name in double quotes', offset];
      if (context.inside === undefined && context.afterValue)
        return ['unexpected content after the JSON value', offset];
      return [found(), offset];
    case ERROR.propertyNameExpected:
      return ['expected a property name in double quotes', offset];
    case ERROR.valueExpected:
      return [found(), offset];
    case ERROR.colonExpected:
      return [`expected ':' after property name ${JSON.stringify(context.lastName)}`, offset];
    case ERROR.commaExpected:
      return context.inside === 'array'
        ? ["expected ',' or ']' after an array element", offset]
        : ["expected ',' or '}' after a property value", offset];
    case ERROR.closeBraceExpected:
      return ["expected ',' or '}' after a property value", offset];
    case ERROR.closeBracketExpected:
      return ["expected ',' or ']' after an array element", offset];
    case ERROR.endOfFileExpected:
      return ['unexpected content after the JSON value', offset];
    case ERROR.unexpectedEndOfComment:
      return ['unterminated /* comment', offset];
    case ERROR.unexpectedEndOfString:
      return ['unterminated string', offset];
    case ERROR.invalidEscapeCharacter:
    case ERROR.invalidUnicode:
      return ['invalid escape sequence in string', badEscape(text, offset, length)];
    case ERROR.invalidCharacter:
      return ['unescaped control character in string', controlCharacter(text, offset, length)];
    case ERROR.invalidNumberFormat:
    case ERROR.unexpectedEndOfNumber:
      return ['invalid number', offset];
    default:
      return [`invalid JSON (${String(code)})`, offset];
  }
}

/** The offset of the first invalid escape in the string token at `offset`, else `offset`. */
function badEscape(text: string, offset: number, length: number): number {
  const token = text.slice(offset, offset + length);
  const match = /\\(?:u(?![0-9a-fA-F]{4})|[^"\\/bfnrtu])/.exec(token);
  return match ? offset + match.index : offset;
}

/** The offset of the first control character in the string token at `offset`, else `offset`. */
function controlCharacter(text: string, offset: number, length: number): number {
  for (let i = offset; i < offset + length; i++) if (text.charCodeAt(i) < 0x20) return i;
  return offset;
}
