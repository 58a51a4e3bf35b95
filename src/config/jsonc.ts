/**
 * JSON with comments (JSONC), as VS Code's `mcp.json` allows: `//` and `/* *\/` comments and trailing
 * commas. A small recursive-descent parser, so every syntax error carries an exact line and column
 * (Node's `JSON.parse` messages do not always give a position).
 */

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

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS: ReadonlyArray<[string, unknown]> = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/**
 * Parses JSON text that may contain comments and trailing commas. Plain JSON parses to the same value
 * as `JSON.parse`. Throws {@link JsonSyntaxError} naming the line and column of the first problem.
 */
export function parseJsonc(text: string): unknown {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string, at = pos): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    throw new JsonSyntaxError(message, line, at - before.lastIndexOf('\n'));
  };
  const unexpected = (): never =>
    fail(pos >= text.length ? 'unexpected end of file' : `unexpected character ${JSON.stringify(text[pos])}`);

  const skip = (): void => {
    for (;;) {
      const c = text[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') pos++;
      else if (c === '/' && text[pos + 1] === '/') {
        const end = text.indexOf('\n', pos);
        pos = end < 0 ? text.length : end;
      } else if (c === '/' && text[pos + 1] === '*') {
        const end = text.indexOf('*/', pos + 2);
        if (end < 0) fail('unterminated /* comment');
        pos = end + 2;
      } else return;
    }
  };

  const string = (): string => {
    const start = pos++;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) fail('unterminated string', start);
      if (c === 0x22) break;
      if (c < 0x20) fail('unescaped control character in string');
      if (c === 0x5c) {
        const e = text[pos + 1];
        const valid =
          e === 'u'
            ? /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))
            : e !== undefined && '"\\/bfnrt'.includes(e);
        if (!valid) fail('invalid escape sequence in string');
        pos += e === 'u' ? 6 : 2;
      } else pos++;
    }
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };

  const value = (): unknown => {
    skip();
    const c = text[pos];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = pos;
      const match = NUMBER.exec(text);
      if (!match) return fail('invalid number');
      pos += match[0].length;
      return Number(match[0]);
    }
    for (const [word, result] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return result;
      }
    }
    return unexpected();
  };

  /** After an element: a comma (maybe trailing) or the closing bracket. Returns true when the container ends. */
  const next = (close: string, what: string): boolean => {
    skip();
    if (text[pos] === ',') {
      pos++;
      skip();
    } else if (text[pos] !== close) fail(`expected ',' or '${close}' after ${what}`);
    if (text[pos] !== close) return false;
    pos++;
    return true;
  };

  const object = (): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    pos++;
    skip();
    if (text[pos] === '}') {
      pos++;
      return result;
    }
    do {
      if (text[pos] !== '"') fail('expected a property name in double quotes');
      const key = string();
      skip();
      if (text[pos] !== ':') fail(`expected ':' after property name ${JSON.stringify(key)}`);
      pos++;
      // defineProperty, so a "__proto__" key is an ordinary property as with JSON.parse.
      Object.defineProperty(result, key, {
        value: value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } while (!next('}', 'a property value'));
    return result;
  };

  const array = (): unknown[] => {
    const result: unknown[] = [];
    pos++;
    skip();
    if (text[pos] === ']') {
      pos++;
      return result;
    }
    do result.push(value());
    while (!next(']', 'an array element'));
    return result;
  };

  const result = value();
  skip();
  if (pos < text.length) fail('unexpected content after the JSON value');
  return result;
}
