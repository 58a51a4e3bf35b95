// Schema shaping: real schemas of server-everything and server-filesystem (listed through a berth
// host) in each provider mode obey that provider's documented rules, and arguments valid for the
// shaped schema are, once unshaped, valid for the original. Plus hostile schemas: cycles, depth,
// blow-up, non-objects; purity and determinism.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  shapeSchema,
  unshapeArguments,
  type JsonSchemaObject,
  type SchemaMode,
} from '../../src/adapters/core/schema.js';
import { createHost, type Host } from '../../src/index.js';
import { argumentsValidator } from '../../src/util/json-schema.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MODES = ['openai-strict', 'gemini', 'anthropic'] as const;

// ---------------------------------------------------------------------------------------------
// Checkers, one per provider, from each provider's documentation.

/**
 * OpenAI strict function calling ("Structured Outputs: supported schemas"): the root is an object and
 * not `anyOf`; every object has `additionalProperties: false` and lists every property in `required`;
 * only the supported keywords (types string/number/integer/boolean/object/array/null, enum, const,
 * anyOf, $ref/$defs; string pattern/format with the listed formats; number ranges and multipleOf;
 * array minItems/maxItems; description/title); at most 10 levels of object nesting, 5000
 * properties, 1000 enum values.
 */
function openaiProblems(schema: unknown): string[] {
  const allowed = new Set([
    'type', 'description', 'title', 'properties', 'required', 'additionalProperties', 'items', 'enum',
    'const', 'anyOf', '$ref', '$defs', 'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum',
    'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems',
  ]); // prettier-ignore
  const formats = new Set([
    'date-time',
    'time',
    'date',
    'duration',
    'email',
    'hostname',
    'ipv4',
    'ipv6',
    'uuid',
  ]);
  const types = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
  const problems: string[] = [];
  let propertyCount = 0;
  if (!isObj(schema) || schema.type !== 'object') problems.push('root: not type "object"');
  if (isObj(schema) && schema.anyOf !== undefined) problems.push('root: anyOf');
  const visit = (node: unknown, at: string, objectDepth: number): void => {
    if (!isObj(node)) return void problems.push(`${at}: not a schema object`);
    for (const key of Object.keys(node)) if (!allowed.has(key)) problems.push(`${at}: keyword ${key}`);
    const t = node.type;
    const list = typeof t === 'string' ? [t] : Array.isArray(t) ? t : [];
    if (t === undefined && node.anyOf === undefined && node.$ref === undefined && node.enum === undefined)
      problems.push(`${at}: no type`);
    for (const x of list) if (!types.has(x as string)) problems.push(`${at}: type ${String(x)}`);
    if (typeof node.format === 'string' && !formats.has(node.format))
      problems.push(`${at}: format ${node.format}`);
    if (Array.isArray(node.enum) && node.enum.length > 1000) problems.push(`${at}: enum too long`);
    if (typeof node.$ref === 'string' && !node.$ref.startsWith('#/$defs/'))
      problems.push(`${at}: $ref ${node.$ref}`);
    if (list.includes('object')) {
      if (objectDepth >= 10) problems.push(`${at}: more than 10 levels of nesting`);
      if (node.additionalProperties !== false) problems.push(`${at}: additionalProperties is not false`);
      const props = isObj(node.properties) ? Object.keys(node.properties) : [];
      propertyCount += props.length;
      const required = Array.isArray(node.required) ? node.required : [];
      if (props.length !== required.length || props.some((p) => !required.includes(p)))
        problems.push(`${at}: not every property is required`);
      for (const p of props) visit((node.properties as Obj)[p], `${at}/properties/${p}`, objectDepth + 1);
    }
    if (list.includes('array')) {
      if (node.items === undefined) problems.push(`${at}: array without items`);
      else visit(node.items, `${at}/items`, objectDepth);
    }
    if (Array.isArray(node.anyOf)) node.anyOf.forEach((b, i) => visit(b, `${at}/anyOf/${i}`, objectDepth));
    if (isObj(node.$defs)) for (const [k, d] of Object.entries(node.$defs)) visit(d, `${at}/$defs/${k}`, 0);
  };
  visit(schema, '#', 0);
  if (propertyCount > 5000) problems.push('more than 5000 properties');
  return problems;
}

/**
 * Gemini function declarations (`Schema`, "a select subset of an OpenAPI 3.0 schema object"): only
 * its fields (no additionalProperties, $ref, $defs, oneOf, allOf, const, exclusive bounds…); `type`
 * is one type name; `enum` only for strings; formats: string enum/date-time, number float/double,
 * integer int32/int64; an array has `items`; `required` names declared properties.
 */
function geminiProblems(schema: unknown): string[] {
  const allowed = new Set([
    'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties',
    'required', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf',
    'propertyOrdering', 'default', 'items', 'minimum', 'maximum',
  ]); // prettier-ignore
  const formats: Record<string, string[]> = {
    string: ['enum', 'date-time'],
    number: ['float', 'double'],
    integer: ['int32', 'int64'],
  };
  const types = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
  const problems: string[] = [];
  if (!isObj(schema) || schema.type !== 'object') problems.push('root: not type "object"');
  const visit = (node: unknown, at: string): void => {
    if (!isObj(node)) return void problems.push(`${at}: not a schema object`);
    for (const key of Object.keys(node)) if (!allowed.has(key)) problems.push(`${at}: keyword ${key}`);
    const t = node.type;
    if (t !== undefined && (typeof t !== 'string' || !types.has(t.toLowerCase())))
      problems.push(`${at}: type ${JSON.stringify(t)}`);
    if (t === undefined && node.anyOf === undefined) problems.push(`${at}: no type`);
    if (
      node.enum !== undefined &&
      (t !== 'string' || !Array.isArray(node.enum) || node.enum.some((v) => typeof v !== 'string'))
    )
      problems.push(`${at}: enum that is not of strings`);
    if (node.format !== undefined && !(formats[t as string] ?? []).includes(node.format as string))
      problems.push(`${at}: format ${JSON.stringify(node.format)} for ${String(t)}`);
    if (node.nullable !== undefined && typeof node.nullable !== 'boolean')
      problems.push(`${at}: nullable not boolean`);
    if (t === 'array') {
      if (!isObj(node.items)) problems.push(`${at}: array without items`);
      else visit(node.items, `${at}/items`);
    }
    if (isObj(node.properties)) {
      for (const [k, p] of Object.entries(node.properties)) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/.test(k))
          problems.push(`${at}: property name ${JSON.stringify(k)}`);
        visit(p, `${at}/properties/${k}`);
      }
    }
    if (Array.isArray(node.required)) {
      const props = isObj(node.properties) ? node.properties : {};
      for (const r of node.required)
        if (!(typeof r === 'string' && r in props)) problems.push(`${at}: required ${String(r)} undeclared`);
    }
    if (Array.isArray(node.anyOf)) {
      if (node.type !== undefined || node.nullable !== undefined)
        problems.push(`${at}: type or nullable beside anyOf`);
      node.anyOf.forEach((b, i) => visit(b, `${at}/anyOf/${i}`));
    }
  };
  visit(schema, '#');
  return problems;
}

/** Anthropic tool `input_schema`: an object schema, without `anyOf`/`oneOf`/`allOf` at its top level. */
function anthropicProblems(schema: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(schema) || schema.type !== 'object') problems.push('root: not type "object"');
  if (isObj(schema))
    for (const k of ['anyOf', 'oneOf', 'allOf', '$ref']) if (k in schema) problems.push(`root: ${k}`);
  return problems;
}

const CHECKERS: Record<(typeof MODES)[number], (schema: unknown) => string[]> = {
  'openai-strict': openaiProblems,
  gemini: geminiProblems,
  anthropic: anthropicProblems,
};

// ---------------------------------------------------------------------------------------------
// A model stand-in: random arguments that a shaped schema accepts (what a provider's constrained
// decoding may produce), from a seeded PRNG.

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(node: unknown, random: () => number, depth = 0): unknown {
  if (!isObj(node) || depth > 40) return null;
  const choose = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  if (Array.isArray(node.anyOf)) return sample(choose(node.anyOf), random, depth + 1);
  if (node.nullable === true && random() < 0.4) return null;
  if (Array.isArray(node.enum)) return choose(node.enum);
  const type = Array.isArray(node.type) ? choose(node.type as string[]) : (node.type as string);
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return random() < 0.5;
    case 'integer':
    case 'number': {
      const min = typeof node.minimum === 'number' ? node.minimum : 0;
      const max = typeof node.maximum === 'number' ? node.maximum : min + 20;
      return min + Math.floor(random() * (max - min + 1));
    }
    case 'string':
      if (typeof node.description === 'string' && node.description.includes('as JSON text'))
        return '{"any":1}';
      return node.format === 'date-time' ? '2026-01-02T03:04:05Z' : 'https://example.com/some/file.txt';
    case 'array': {
      const min = typeof node.minItems === 'number' ? node.minItems : 0;
      const count = min + Math.floor(random() * 3);
      return Array.from({ length: count }, () => sample(node.items, random, depth + 1));
    }
    case 'object': {
      const out: Obj = {};
      const required = Array.isArray(node.required) ? node.required : [];
      for (const [key, prop] of Object.entries(isObj(node.properties) ? node.properties : {})) {
        if (required.includes(key) || random() < 0.5) out[key] = sample(prop, random, depth + 1);
      }
      return out;
    }
    default:
      return null;
  }
}

function problemsOf(schema: object, args: unknown): string[] {
  return argumentsValidator(schema)(args).map((p) => JSON.stringify(p));
}

// ---------------------------------------------------------------------------------------------

describe('shapeSchema on real servers’ schemas', () => {
  let host: Host;
  const schemas = new Map<string, JsonSchemaObject>();

  beforeAll(async () => {
    host = await createHost(
      {
        mcpServers: {
          everything: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
          fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
        },
      },
      { roots: ['/tmp'] },
    );
    for (const tool of host.tools()) schemas.set(tool.name, tool.inputSchema);
  }, 60_000);
  afterAll(() => host.close());

  it('lists both servers’ tools', () => {
    expect([...schemas.keys()]).toEqual(
      expect.arrayContaining(['everything__echo', 'fs__edit_file', 'fs__read_file']),
    );
    expect(schemas.size).toBeGreaterThan(20);
  });

  for (const mode of MODES) {
    it(`${mode}: every shaped schema obeys the provider's rules, and leaves the original untouched`, () => {
      for (const [name, schema] of schemas) {
        const before = JSON.stringify(schema);
        const shaped = shapeSchema(schema, mode);
        expect(CHECKERS[mode](shaped), `${name} in ${mode}: ${JSON.stringify(shaped)}`).toEqual([]);
        expect(JSON.stringify(schema)).toBe(before);
        expect(JSON.stringify(shapeSchema(schema, mode))).toBe(JSON.stringify(shaped));
      }
    });

    it(`${mode}: arguments valid for the shaped schema are, unshaped, valid for the original`, () => {
      let nulls = 0;
      for (const [name, schema] of schemas) {
        const shaped = shapeSchema(schema, mode);
        const random = prng(name.length * 31 + mode.length);
        for (let i = 0; i < 25; i++) {
          const args = sample(shaped, random);
          if (mode !== 'gemini')
            expect(problemsOf(shaped, args), `${name}: ${JSON.stringify(args)}`).toEqual([]);
          if (JSON.stringify(args).includes('null')) nulls++;
          const frozen = JSON.stringify(args);
          const unshaped = unshapeArguments(args, schema, mode);
          expect(JSON.stringify(args)).toBe(frozen);
          expect(problemsOf(schema, unshaped), `${name} in ${mode}: ${JSON.stringify(unshaped)}`).toEqual([]);
        }
      }
      // openai-strict made optional fields nullable, and the model stand-in used that.
      if (mode === 'openai-strict') expect(nulls).toBeGreaterThan(20);
    });
  }

  it('openai-strict: a null for an optional field fails the original unless unshaped', () => {
    const schema = schemas.get('fs__read_file')!;
    const args = { path: '/tmp/x', tail: null, head: 3 };
    expect(problemsOf(shapeSchema(schema, 'openai-strict'), args)).toEqual([]);
    expect(problemsOf(schema, args)).not.toEqual([]);
    expect(unshapeArguments(args, schema, 'openai-strict')).toEqual({ path: '/tmp/x', head: 3 });
    expect(problemsOf(schema, unshapeArguments(args, schema, 'openai-strict'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

/** A schema using most of JSON Schema: refs, recursion, unions, maps, tuples, constants. */
const RICH: JsonSchemaObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 40, description: 'A name' },
    when: { type: 'string', format: 'date-time' },
    link: { type: 'string', format: 'uri' },
    count: { type: 'integer', minimum: 0, exclusiveMaximum: 100, default: 3 },
    ratio: { type: ['number', 'null'] },
    mode: { enum: ['fast', 'slow', 1, null] },
    kind: { const: 'fixed' },
    tree: { $ref: '#/$defs/Node' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    anything: {},
    never: false,
    always: true,
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, minItems: 1 },
    shape: {
      oneOf: [
        { type: 'object', properties: { r: { type: 'number' } }, required: ['r'] },
        {
          type: 'object',
          properties: { w: { type: 'number' }, h: { type: 'number' } },
          required: ['w', 'h'],
        },
      ],
    },
    merged: {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { properties: { b: { type: 'boolean' } } },
      ],
    },
    old: { $ref: '#/definitions/Old' },
  },
  required: ['name', 'tree'],
  $defs: {
    Node: {
      type: 'object',
      properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } },
      required: ['label'],
    },
  },
  definitions: { Old: { type: 'string', enum: ['x', 'y'] } },
};

describe('shapeSchema on a rich schema', () => {
  for (const mode of MODES) {
    it(`${mode}: obeys the provider's rules, without touching its input`, () => {
      const before = JSON.stringify(RICH);
      const shaped = shapeSchema(RICH, mode);
      expect(CHECKERS[mode](shaped), JSON.stringify(shaped)).toEqual([]);
      expect(JSON.stringify(RICH)).toBe(before);
      expect(shapeSchema(RICH, mode)).toEqual(shaped);
    });
  }

  it('openai-strict: optional fields nullable, recursion and free-form parts as JSON text', () => {
    const shaped = shapeSchema(RICH, 'openai-strict');
    const props = shaped.properties as Record<string, Obj>;
    expect(props.name).toEqual({ type: 'string', description: 'A name' });
    expect(props.count!.type).toEqual(['integer', 'null']);
    expect(props.count!.default).toBeUndefined();
    expect(props.link!.format).toBeUndefined();
    expect(props.when!.format).toBe('date-time');
    expect(JSON.stringify(props.tree)).toContain('recursive reference #/$defs/Node');
    expect(props.labels!.description).toContain('JSON text');
    expect(props.anything!.description).toContain('JSON text');
  });

  it('gemini: refs inlined, recursion cut, nullable instead of type arrays', () => {
    const shaped = shapeSchema(RICH, 'gemini');
    const props = shaped.properties as Record<string, Obj>;
    expect(JSON.stringify(shaped)).not.toMatch(/"(\$ref|\$defs|additionalProperties|definitions)":/);
    expect(props.ratio).toEqual({ type: 'number', nullable: true });
    expect(props.old).toEqual({ type: 'string', enum: ['x', 'y'] });
    expect(shaped.required).toEqual(['name', 'tree']);
    // A union with null: each alternative nullable, not a nullable beside the anyOf.
    expect(props.mode).toEqual({
      anyOf: [
        { type: 'string', enum: ['fast', 'slow'], nullable: true },
        { type: 'integer', description: '(one of: 1)', nullable: true },
      ],
    });
  });

  it('unshapes what a model writes back into arguments the original accepts', () => {
    const written = {
      name: 'n',
      when: null,
      link: null,
      count: null,
      ratio: null,
      mode: null,
      kind: 'fixed',
      tree: { label: 'root', children: ['{"label":"leaf","children":[]}'] },
      labels: '{"a":"b"}',
      anything: '[1,2]',
      never: null,
      always: null,
      pair: ['a', 2],
      tags: ['t'],
      shape: { w: 1, h: 2 },
      merged: { a: 'x', b: null },
      old: 'x',
    };
    const before = JSON.stringify(written);
    const unshaped = unshapeArguments(written, RICH, 'openai-strict') as Obj;
    expect(JSON.stringify(written)).toBe(before);
    expect(unshaped).toEqual({
      name: 'n',
      ratio: null, // the original allows null here: kept
      mode: null, // so does this enum
      kind: 'fixed',
      tree: { label: 'root', children: [{ label: 'leaf', children: [] }] },
      labels: { a: 'b' },
      anything: [1, 2],
      always: null,
      pair: ['a', 2],
      tags: ['t'],
      shape: { w: 1, h: 2 },
      merged: { a: 'x' },
      old: 'x',
    });
    expect(problemsOf(RICH, unshaped)).toEqual([]);
  });

  it('leaves a string the original wants as a string, and a null for a required field', () => {
    const schema = {
      type: 'object',
      properties: { id: { type: 'string' }, n: { type: 'number' } },
      required: ['n'],
    };
    expect(unshapeArguments({ id: '123', n: null }, schema, 'openai-strict')).toEqual({ id: '123', n: null });
    expect(unshapeArguments({ id: null }, schema, 'gemini')).toEqual({});
    expect(unshapeArguments({ id: null }, schema, 'anthropic')).toEqual({ id: null });
    expect(unshapeArguments({ id: null }, schema, 'original')).toEqual({ id: null });
  });

  it('anthropic: merges a top-level union into one object; nested parts stay as they are', () => {
    const union: JsonSchemaObject = {
      type: 'object',
      description: 'Find a thing',
      anyOf: [
        {
          properties: { id: { type: 'string' }, deep: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
          required: ['id'],
        },
        { properties: { name: { type: 'string' }, id: { type: 'number' } }, required: ['name', 'id'] },
      ],
    };
    const shaped = shapeSchema(union, 'anthropic');
    expect(anthropicProblems(shaped)).toEqual([]);
    expect(shaped.required).toEqual(['id']);
    expect((shaped.properties as Obj).id).toEqual({ anyOf: [{ type: 'string' }, { type: 'number' }] });
    expect((shaped.properties as Obj).deep).toEqual({ anyOf: [{ type: 'string' }, { type: 'number' }] });
    expect(shaped.description).toMatch(/^Find a thing \(Accepts 2 alternative/);
    for (const mode of ['openai-strict', 'gemini'] as const) {
      expect(CHECKERS[mode](shapeSchema(union, mode))).toEqual([]);
      const args = unshapeArguments({ id: 'a', name: null, deep: null }, union, mode);
      expect(problemsOf(union, args)).toEqual([]);
    }
  });
});

describe('property names', () => {
  it('gemini: renames the names Gemini rejects, and unshaping maps them back', () => {
    const schema: JsonSchemaObject = {
      type: 'object',
      properties: {
        'file-path': { type: 'string' },
        file_path: { type: 'number' },
        '1st': { type: 'object', properties: { 'a.b': { type: 'string' } }, required: ['a.b'] },
        ok: { type: 'boolean' },
      },
      required: ['file-path', '1st'],
    };
    const shaped = shapeSchema(schema, 'gemini');
    expect(geminiProblems(shaped)).toEqual([]);
    expect(Object.keys(shaped.properties as Obj)).toEqual(['file_path_2', 'file_path', '_1st', 'ok']);
    expect(shaped.required).toEqual(['file_path_2', '_1st']);
    const args = unshapeArguments({ file_path_2: 'x', file_path: 1, _1st: { a_b: 'y' } }, schema, 'gemini');
    expect(args).toEqual({ 'file-path': 'x', file_path: 1, '1st': { 'a.b': 'y' } });
    expect(problemsOf(schema, args)).toEqual([]);
    // Other modes keep the names.
    expect(Object.keys(shapeSchema(schema, 'openai-strict').properties as Obj)).toEqual(
      Object.keys(schema.properties as Obj),
    );
  });

  it('keeps a property named __proto__ as a property, in every mode', () => {
    const schema = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"string"},"x":{"type":"number"}},"required":["x"]}',
    ) as JsonSchemaObject;
    for (const mode of MODES) {
      const shaped = shapeSchema(schema, mode);
      expect(Object.keys(shaped.properties as Obj), mode).toEqual(['__proto__', 'x']);
      expect(CHECKERS[mode](shaped)).toEqual([]);
      const args = unshapeArguments(JSON.parse('{"__proto__":"p","x":1}'), schema, mode) as Obj;
      expect(Object.keys(args), mode).toEqual(['__proto__', 'x']);
      expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    }
    const union = JSON.parse(
      '{"anyOf":[{"properties":{"__proto__":{"type":"string"}}},{"properties":{"y":{}}}]}',
    ) as JsonSchemaObject;
    for (const mode of MODES) expect(CHECKERS[mode](shapeSchema(union, mode))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('shapeSchema on hostile schemas', () => {
  const allModes: SchemaMode[] = ['original', ...MODES];

  /** Shapes in every mode, checking the rules, within a time limit. */
  function shapesSafely(schema: unknown, ms = 5_000): void {
    for (const mode of MODES) {
      const started = performance.now();
      const shaped = shapeSchema(schema as JsonSchemaObject, mode);
      expect(performance.now() - started, mode).toBeLessThan(ms);
      expect(CHECKERS[mode](shaped), `${mode}: ${JSON.stringify(shaped).slice(0, 400)}`).toEqual([]);
      expect(JSON.stringify(shaped).length).toBeLessThan(5_000_000);
      expect(() => unshapeArguments({ a: null, b: '{}' }, schema as JsonSchemaObject, mode)).not.toThrow();
    }
  }

  it('non-object and boolean schemas become an empty object schema', () => {
    for (const bad of [null, undefined, 42, 'x', [], [1], true, false]) shapesSafely(bad);
    expect(shapeSchema(true as unknown as JsonSchemaObject, 'openai-strict')).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
    for (const mode of allModes)
      expect(() => unshapeArguments(null, 7 as unknown as JsonSchemaObject, mode)).not.toThrow();
  });

  it('$ref cycles: to the root, between definitions, to itself, unresolvable and remote', () => {
    shapesSafely({ $ref: '#' });
    shapesSafely({ type: 'object', properties: { me: { $ref: '#' } } });
    shapesSafely({ $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } } });
    shapesSafely({
      type: 'object',
      properties: { x: { $ref: '#/$defs/x' } },
      $defs: { x: { $ref: '#/$defs/x' } },
    });
    shapesSafely({
      type: 'object',
      properties: { x: { $ref: '#/nowhere/%zz' }, y: { $ref: 'https://example.com/s.json' } },
    });
    shapesSafely({ type: 'object', properties: { x: { allOf: [{ $ref: '#/properties/x' }] } } });
  });

  it('object cycles and allOf cycles in memory', () => {
    const a: Obj = { type: 'object', properties: {} };
    (a.properties as Obj).self = a;
    shapesSafely(a);
    const b: Obj = { type: 'object' };
    b.allOf = [b];
    shapesSafely(b);
    const c: Obj = { type: 'object', properties: { u: {} } };
    c.anyOf = [c, c];
    shapesSafely(c);
  });

  it('huge depth: 3000 levels of nested objects, arrays and allOf', () => {
    for (const wrap of [
      (inner: Obj): Obj => ({ type: 'object', properties: { next: inner } }),
      (inner: Obj): Obj => ({ type: 'array', items: inner }),
      (inner: Obj): Obj => ({ allOf: [inner] }),
      (inner: Obj): Obj => ({ anyOf: [inner, { type: 'string' }] }),
    ]) {
      let schema: Obj = { type: 'string' };
      for (let i = 0; i < 3000; i++) schema = wrap(schema);
      shapesSafely({ type: 'object', properties: { deep: schema } });
    }
  });

  it('reference blow-up: 40 levels of definitions each used twice', () => {
    const defs: Obj = {};
    for (let i = 0; i < 40; i++) {
      defs[`d${i}`] = {
        type: 'object',
        properties: { l: { $ref: `#/$defs/d${i + 1}` }, r: { $ref: `#/$defs/d${i + 1}` } },
      };
    }
    defs.d40 = { type: 'string' };
    shapesSafely({ type: 'object', properties: { top: { $ref: '#/$defs/d0' } }, $defs: defs });
  });

  it('never mutates a frozen input, and gives equal output for equal input', () => {
    const freeze = (v: unknown): unknown => {
      if (typeof v === 'object' && v !== null) {
        Object.values(v).forEach(freeze);
        Object.freeze(v);
      }
      return v;
    };
    const frozen = freeze(structuredClone(RICH)) as JsonSchemaObject;
    for (const mode of allModes) {
      expect(JSON.stringify(shapeSchema(frozen, mode))).toBe(
        JSON.stringify(shapeSchema(structuredClone(RICH), mode)),
      );
      expect(() =>
        unshapeArguments(freeze({ name: null, tree: { label: 'x' } }), frozen, mode),
      ).not.toThrow();
    }
    expect(shapeSchema(frozen, 'original')).toBe(frozen);
  });

  it('unshapes arguments nested 100000 deep without overflowing', () => {
    let args: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) args = { next: args };
    for (const mode of allModes) expect(() => unshapeArguments(args, { type: 'object' }, mode)).not.toThrow();
  });
});
