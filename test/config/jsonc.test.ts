// Tests for the JSONC parser: comments, trailing commas, parity with JSON.parse, and error positions.
import { describe, it, expect } from 'vitest';
import { JsonSyntaxError, MAX_JSONC_DEPTH, parseJsonc } from '../../src/config/jsonc.js';

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJsonc(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a syntax error');
}

describe('parseJsonc', () => {
  it('parses plain JSON like JSON.parse', () => {
    const text = '{"a": [1, -2.5e3, true, false, null], "b": {"c": "x\\"y\\u00e9\\n"}, "d": []}';
    expect(parseJsonc(text)).toEqual(JSON.parse(text));
    expect(parseJsonc(' 42 ')).toBe(42);
  });

  it('ignores line and block comments and trailing commas', () => {
    const text = `\uFEFF{
      // a line comment
      "servers": { /* block
        comment */ "a": { "args": ["x", "y",], }, },
      "url": "http://example.com/*not a comment*/ // nor this",
    }`;
    expect(parseJsonc(text)).toEqual({
      servers: { a: { args: ['x', 'y'] } },
      url: 'http://example.com/*not a comment*/ // nor this',
    });
  });

  it('keeps a "__proto__" key as an ordinary property', () => {
    const value = parseJsonc('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
  });

  it('reports the line and column of the problem', () => {
    const error = syntaxError('{\n  "a": 1,\n  "b" 2\n}');
    expect([error.line, error.column]).toEqual([3, 7]);
    expect(error.message).toBe(`expected ':' after property name "b" at line 3, column 7`);
  });

  it.each([
    ['{"a": 1 "b": 2}', "expected ',' or '}' after a property value", 1, 9],
    ['[1, 2', "expected ',' or ']' after an array element", 1, 6],
    ['{"a": }', 'unexpected character "}"', 1, 7],
    ['{"a": "x', 'unterminated string', 1, 7],
    ['{"a": "\\x"}', 'invalid escape sequence in string', 1, 8],
    ['{"a": 1} x', 'unexpected content after the JSON value', 1, 10],
    ['/* open', 'unterminated /* comment', 1, 1],
    ['{a: 1}', 'expected a property name in double quotes', 1, 2],
    ['[1,,2]', 'unexpected character ","', 1, 4],
    ['', 'unexpected end of file', 1, 1],
    ['{"a": "x\ty"}', 'unescaped control character in string', 1, 9],
    ['{\n  "a": [1, 2]\n  "b": "\\u12"}', "expected ',' or '}' after a property value", 3, 3],
  ])('rejects %j', (text, message, line, column) => {
    const error = syntaxError(text);
    expect(error.message).toBe(`${message} at line ${line}, column ${column}`);
  });

  it('parses nesting up to MAX_JSONC_DEPTH levels', () => {
    const depth = MAX_JSONC_DEPTH;
    expect(parseJsonc('['.repeat(depth) + ']'.repeat(depth))).toBeInstanceOf(Array);
    const objects = '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
    expect(parseJsonc(objects)).toBeInstanceOf(Object);
  });

  it.each([
    ['arrays', 5_000, (n: number) => '['.repeat(n) + ']'.repeat(n)],
    ['objects', 5_000, (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)],
    ['unclosed arrays', 1_000_000, (n: number) => '['.repeat(n)],
  ])(
    'reports deep nesting (%s, %i levels) as a syntax error, not a stack overflow',
    (_kind, levels, text) => {
      const error = syntaxError(text(levels));
      expect(error.message).toBe(
        `arrays and objects nested deeper than ${MAX_JSONC_DEPTH} levels at line 1, column ${error.column}`,
      );
      expect(error.line).toBe(1);
    },
  );

  it('ignores brackets inside strings and comments when counting depth', () => {
    const brackets = '['.repeat(5_000);
    expect(parseJsonc(`{"a": "${brackets}" /* ${brackets} */}`)).toEqual({ a: brackets });
  });
});
