// Argument validation against tool input schemas: pointers, messages, dialects, caching, broken schemas.
import { createRequire } from 'node:module';
import { fromJsonSchema } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';

import {
  argumentsValidator,
  inputSchemaError,
  jsonSchemaValidator,
  MAX_ARGUMENT_DEPTH,
} from '../../src/util/json-schema.js';

const counter = {
  type: 'object',
  properties: { by: { type: 'integer', minimum: 1 } },
  required: ['by'],
  additionalProperties: false,
};

const order = {
  type: 'object',
  properties: {
    customer: { type: 'string' },
    mode: { enum: ['fast', 'cheap'] },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          qty: { type: 'integer' },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['name'],
      },
    },
  },
  required: ['customer', 'items'],
};

describe('argumentsValidator', () => {
  it('accepts valid arguments', () => {
    expect(argumentsValidator(counter)({ by: 2 })).toEqual([]);
    expect(argumentsValidator(order)({ customer: 'c', items: [{ name: 'n', qty: 1, tags: ['t'] }] })).toEqual(
      [],
    );
  });

  it('points at a value of the wrong type and says what it got', () => {
    expect(argumentsValidator(counter)({ by: 'two' })).toEqual([
      { path: '/by', message: 'must be integer (got string)' },
    ]);
    expect(argumentsValidator(counter)({ by: 1.5 })).toEqual([
      { path: '/by', message: 'must be integer (got number 1.5)' },
    ]);
    expect(argumentsValidator(counter)(null)).toEqual([{ path: '', message: 'must be object (got null)' }]);
  });

  it('points at a missing required property', () => {
    expect(argumentsValidator(counter)({})).toEqual([{ path: '/by', message: 'is required' }]);
  });

  it('validates undefined arguments as {}', () => {
    expect(argumentsValidator(counter)(undefined)).toEqual([{ path: '/by', message: 'is required' }]);
    expect(argumentsValidator({ type: 'object', properties: { a: { type: 'string' } } })(undefined)).toEqual(
      [],
    );
  });

  it('reports every problem in nested arrays with full pointers', () => {
    const problems = argumentsValidator(order)({
      customer: 7,
      items: [{ qty: 'one' }, { name: 3, tags: ['ok', 5] }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '/customer', message: 'must be string (got number 7)' },
        { path: '/items/0/name', message: 'is required' },
        { path: '/items/0/qty', message: 'must be integer (got string)' },
        { path: '/items/1/name', message: 'must be string (got number 3)' },
        { path: '/items/1/tags/1', message: 'must be string (got number 5)' },
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('names an unexpected property and points at it', () => {
    expect(argumentsValidator(counter)({ by: 1, extra: true, 'a/b~c': 1 })).toEqual([
      { path: '/extra', message: 'is not allowed (unexpected property "extra")' },
      { path: '/a~1b~0c', message: 'is not allowed (unexpected property "a/b~c")' },
    ]);
  });

  it('lists the allowed values of an enum', () => {
    expect(argumentsValidator(order)({ customer: 'c', items: [], mode: 'slow' })).toEqual([
      { path: '/mode', message: 'must be one of "fast", "cheap" (got "slow")' },
    ]);
  });

  it('keeps other keyword messages readable', () => {
    expect(argumentsValidator(counter)({ by: 0 })).toEqual([{ path: '/by', message: 'must be >= 1' }]);
    const schema = {
      type: 'object',
      properties: { v: { const: 3 }, email: { type: 'string', format: 'email' } },
    };
    expect(argumentsValidator(schema)({ v: 4, email: 'nope' })).toEqual([
      { path: '/v', message: 'must be 3 (got 4)' },
      { path: '/email', message: 'must match format "email"' },
    ]);
  });

  it('summarizes an anyOf of types', () => {
    const schema = {
      type: 'object',
      properties: { id: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
    };
    expect(argumentsValidator(schema)({ id: true })).toEqual([
      { path: '/id', message: 'must be string or number (got boolean)' },
    ]);
  });

  it('points dependentRequired at the missing property', () => {
    const schema = { type: 'object', dependentRequired: { start: ['end'] } };
    expect(argumentsValidator(schema)({ start: 1 })).toEqual([
      { path: '/end', message: 'is required when "start" is present' },
    ]);
  });

  it('uses JSON Schema 2020-12 when no $schema is declared', () => {
    const schema = {
      type: 'object',
      properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] } },
    };
    expect(argumentsValidator(schema)({ pair: [1, 'x'] })).toEqual([
      { path: '/pair/0', message: 'must be string (got number 1)' },
      { path: '/pair/1', message: 'must be number (got string)' },
    ]);
  });

  it('honours a declared draft-07 dialect', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] } },
    };
    expect(argumentsValidator(schema).compileError).toBeUndefined();
    expect(argumentsValidator(schema)({ pair: ['x', 'y'] })).toEqual([
      { path: '/pair/1', message: 'must be number (got string)' },
    ]);
  });

  it('follows local and recursive $refs', () => {
    const schema = {
      type: 'object',
      $defs: {
        node: {
          type: 'object',
          properties: { n: { type: 'number' }, kids: { type: 'array', items: { $ref: '#/$defs/node' } } },
        },
      },
      properties: { root: { $ref: '#/$defs/node' } },
    };
    expect(argumentsValidator(schema)({ root: { kids: [{ kids: [{ n: 'x' }] }] } })).toEqual([
      { path: '/root/kids/0/kids/0/n', message: 'must be number (got string)' },
    ]);
  });

  it('keeps schemas with the same $id apart', () => {
    const a = argumentsValidator({ $id: 'https://example.com/args', type: 'object', required: ['a'] });
    const b = argumentsValidator({ $id: 'https://example.com/args', type: 'object', required: ['b'] });
    expect(a.compileError).toBeUndefined();
    expect(b.compileError).toBeUndefined();
    expect(a({})).toEqual([{ path: '/a', message: 'is required' }]);
    expect(b({})).toEqual([{ path: '/b', message: 'is required' }]);
  });

  it('caches the validator per schema object', () => {
    const schema = { type: 'object' };
    expect(argumentsValidator(schema)).toBe(argumentsValidator(schema));
    expect(argumentsValidator({ type: 'object' })).not.toBe(argumentsValidator(schema));
  });

  it('does not change the arguments', () => {
    const args = { customer: 'c', items: [{ name: 'n' }] };
    const copy = structuredClone(args);
    argumentsValidator(order)(args);
    expect(args).toEqual(copy);
  });

  describe('arguments JSON cannot carry (checked before the schema, whatever it allows)', () => {
    const open = { type: 'object' };
    const deep = (levels: number): unknown => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };

    it(`reports nesting deeper than ${MAX_ARGUMENT_DEPTH} levels (a stack overflow when serialized)`, () => {
      expect(argumentsValidator(open)({ a: deep(MAX_ARGUMENT_DEPTH - 2) })).toEqual([]);
      const problems = argumentsValidator(open)({ a: deep(100_000) });
      expect(problems).toHaveLength(1);
      expect(problems[0]?.message).toBe(`is nested deeper than ${MAX_ARGUMENT_DEPTH} levels`);
      expect(problems[0]?.path).toBe('/a' + '/0'.repeat(MAX_ARGUMENT_DEPTH - 1));
    });

    it('reports a cycle, and accepts a value shared by two properties', () => {
      const cyclic: Record<string, unknown> = { name: 'x' };
      cyclic.self = { again: cyclic };
      expect(argumentsValidator(open)(cyclic)).toEqual([
        { path: '/self/again', message: 'contains itself (a cycle), which JSON cannot carry' },
      ]);
      const shared = { v: 1 };
      expect(argumentsValidator(open)({ a: shared, b: [shared, shared] })).toEqual([]);
    });

    it('reports a BigInt', () => {
      expect(argumentsValidator(open)({ n: [1, 2n] })).toEqual([
        { path: '/n/1', message: 'is a BigInt, which JSON cannot carry (pass a number or a string)' },
      ]);
    });

    it('applies to a schema that cannot be compiled too', () => {
      const broken = argumentsValidator({ type: 'object', required: 'name' });
      expect(broken.compileError).toBeDefined();
      expect(broken({ a: deep(10_000) })).toHaveLength(1);
      expect(broken({ a: 1 })).toEqual([]);
    });

    it('serializes whatever it accepts', () => {
      const accepted = { a: deep(MAX_ARGUMENT_DEPTH - 2), b: 'x' };
      expect(argumentsValidator(open)(accepted)).toEqual([]);
      expect(() => JSON.stringify(accepted)).not.toThrow();
    });
  });

  describe('a schema that cannot be compiled', () => {
    const broken: [string, object][] = [
      ['an unknown type', { type: 'object', properties: { a: { type: 'strnig' } } }],
      ['an unresolvable $ref', { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }],
      ['a malformed required', { type: 'object', required: 'name' }],
      ['an unsupported dialect', { $schema: 'https://example.com/my-dialect', type: 'object' }],
      ['an invalid pattern', { type: 'object', properties: { a: { type: 'string', pattern: '([' } } }],
    ];

    it.each(broken)('accepts everything and says why (%s)', (_label, schema) => {
      const validate = argumentsValidator(schema);
      expect(validate.compileError).toMatch(/^inputSchema cannot be compiled: /);
      expect(inputSchemaError(schema)).toBe(validate.compileError);
      expect(validate({ a: 1, anything: ['goes'] })).toEqual([]);
      expect(validate(undefined)).toEqual([]);
    });

    it('treats a non-object schema the same way', () => {
      const validate = argumentsValidator(null as unknown as object);
      expect(validate.compileError).toMatch(/not an object/);
      expect(validate({ a: 1 })).toEqual([]);
    });

    it('reports no compile error for a working schema', () => {
      expect(argumentsValidator(counter).compileError).toBeUndefined();
      expect(inputSchemaError(counter)).toBeUndefined();
    });
  });
});

describe('jsonSchemaValidator (berth’s engine behind the SDK’s validator interface)', () => {
  const output = {
    type: 'object',
    properties: { count: { type: 'integer' }, when: { type: 'string', format: 'date-time' } },
    required: ['count'],
  };

  it('validates through the SDK’s own entry point with berth’s messages', async () => {
    const schema = fromJsonSchema<{ count: number }>(output, jsonSchemaValidator);
    const ok = await schema['~standard'].validate({ count: 2 });
    expect(ok).toEqual({ value: { count: 2 } });
    const bad = await schema['~standard'].validate({ count: 'two', when: 'yesterday' });
    expect(bad.issues?.map((issue) => issue.message).join('\n')).toContain(
      '/count must be integer (got string); /when must match format "date-time"',
    );
  });

  it('returns every problem with its pointer, and the data when valid', () => {
    const validate = jsonSchemaValidator.getValidator<{ count: number }>(output);
    expect(validate({ count: 1 })).toEqual({ valid: true, data: { count: 1 }, errorMessage: undefined });
    expect(validate({})).toEqual({ valid: false, data: undefined, errorMessage: '/count is required' });
    expect(validate(null)).toMatchObject({ errorMessage: '(root) must be object (got null)' });
  });

  it('honours the declared dialect, like the argument checks', () => {
    const draft7 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'array',
      items: [{ type: 'string' }, { type: 'number' }],
    } as object; // draft-07 tuple `items`, which the SDK's 2020-12 schema type does not model
    expect(jsonSchemaValidator.getValidator(draft7)(['x', 'y'])).toMatchObject({
      errorMessage: '/1 must be number (got string)',
    });
  });

  it('throws for a schema that cannot be compiled (the SDK reports it for that tool)', () => {
    expect(() => jsonSchemaValidator.getValidator({ type: 'object', required: 'name' } as object)).toThrow();
    expect(() =>
      jsonSchemaValidator.getValidator({ $schema: 'https://example.com/x', type: 'object' }),
    ).toThrow(/unsupported \$schema dialect/);
  });

  it('shares one compilation per schema object with the argument checks', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(argumentsValidator(schema)({ a: 1 })).toEqual([
      { path: '/a', message: 'must be string (got number 1)' },
    ]);
    expect(jsonSchemaValidator.getValidator(schema)({ a: 1 })).toMatchObject({ valid: false });
  });
});

describe('one Ajv', () => {
  it('ajv-formats extends the same ajv package berth compiles with (no second copy installed)', () => {
    const require = createRequire(import.meta.url);
    const berthAjv = require.resolve('ajv');
    const formatsAjv = createRequire(require.resolve('ajv-formats')).resolve('ajv');
    expect(formatsAjv).toBe(berthAjv);
  });
});
