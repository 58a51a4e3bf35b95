/**
 * Input-schema shaping for providers' limits. The model sees the shaped schema; berth still validates
 * arguments against the server's original one. {@link shapeSchema} makes the schema a provider
 * accepts; {@link unshapeArguments} turns what a model wrote against it back into arguments for the
 * original (an optional field sent as `null` becomes absent; a value sent as JSON text is parsed; a
 * renamed property gets its name back).
 *
 * Both are pure (inputs are never mutated), deterministic, and bounded: `$ref` cycles, object cycles,
 * deep nesting and reference blow-up end in a documented fallback, never in a throw or a hang.
 */

/**
 * How to shape input schemas:
 * - `'original'`: as the server gave them.
 * - `'openai-strict'`: OpenAI's strict function calling: every object has `additionalProperties:
 *   false` and lists every property in `required`, optional ones made nullable (`null` = absent);
 *   `$ref`s inlined; only the documented keywords (no `default`, `minLength`, `uniqueItems`, `allOf`,
 *   `oneOf`…); the root is a plain object.
 * - `'gemini'`: Gemini's OpenAPI subset: no `additionalProperties`, `$ref` or `$defs` (inlined), one
 *   `type` per schema (`nullable` for null), string-only enums, only the documented keywords;
 *   property names Gemini rejects (`file-path`, `1st`) renamed (`file_path`, `_1st`).
 * - `'anthropic'`: no `anyOf`/`oneOf`/`allOf` at the top level (merged into one object schema);
 *   everything below the top is kept.
 *
 * Where a mode cannot express a part (a free-form value, a map with open keys, a recursive `$ref`,
 * past {@link SHAPE_MAX_DEPTH} levels or {@link SHAPE_MAX_NODES} nodes), that part becomes a string
 * described as JSON text, which {@link unshapeArguments} parses back.
 */
export type SchemaMode = 'original' | 'openai-strict' | 'gemini' | 'anthropic';

/** A JSON Schema object as tools carry it. */
export type JsonSchemaObject = Record<string, unknown>;

/** Deepest nesting of schemas a shaped schema gets; deeper parts become JSON text. */
export const SHAPE_MAX_DEPTH = 32;

/** Most schema nodes one shaped schema gets (bounds `$ref` inlining); further parts become JSON text. */
export const SHAPE_MAX_NODES = 10_000;

/** How many `$ref` hops in a row are followed before the chain counts as unresolvable. */
const MAX_REF_HOPS = 32;

/** Most `allOf` branches and `$ref` hops one resolution takes (bounds `allOf` cycles and blow-up). */
const MAX_RESOLVE_STEPS = 256;

/** Deepest nesting of arguments {@link unshapeArguments} walks; deeper values are left as they are. */
const UNSHAPE_MAX_DEPTH = 256;

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an array of unknowns, or `undefined` when it is not an array. */
function list(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

/** Sets an own property, also for a key like `__proto__` (which plain assignment would not). */
function put(obj: Obj, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function own(obj: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** The value at a local JSON pointer (`#/…`) in `root`, or `undefined`. */
function atPointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = /^\d+$/.test(key) ? node[Number(key)] : undefined;
    else if (isObj(node)) node = own(node, key);
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** A schema after `$ref` and `allOf` were resolved: its keywords, or why it could not be. */
interface Resolved {
  node: Obj | boolean | undefined;
  /** The refs followed to get here (for cycle detection along a path). */
  refs: readonly string[];
  /** Why resolution stopped: a cycle, an unresolvable or non-local ref. */
  cut?: string;
}

/**
 * Follows `$ref` (keeping the referring schema's `description`/`title`) and merges `allOf` into one
 * schema. `expanding` holds the refs already being expanded on the current path: meeting one again
 * is a cycle, reported as `cut`.
 */
function resolve(node: unknown, root: unknown, expanding: readonly string[], budget = { hops: 0 }): Resolved {
  if (typeof node === 'boolean') return { node, refs: expanding };
  if (!isObj(node)) return { node: undefined, refs: expanding };
  let current: Obj = node;
  let refs = expanding;
  for (;;) {
    const ref = own(current, '$ref');
    if (typeof ref !== 'string') break;
    if (refs.includes(ref)) return { node: undefined, refs, cut: `recursive reference ${ref}` };
    if (++budget.hops > MAX_REF_HOPS)
      return { node: undefined, refs, cut: `reference chain too long at ${ref}` };
    const target = atPointer(root, ref);
    if (typeof target === 'boolean') return { node: target, refs };
    if (!isObj(target)) return { node: undefined, refs, cut: `unresolvable reference ${ref}` };
    const { $ref: _ignored, ...siblings } = current;
    refs = [...refs, ref];
    current = { ...target, ...pick(siblings, ['description', 'title']) };
  }
  const allOf = own(current, 'allOf');
  if (Array.isArray(allOf)) {
    const { allOf: _all, ...base } = current;
    let merged: Obj = base;
    for (const branch of allOf) {
      if (++budget.hops > MAX_RESOLVE_STEPS) return { node: undefined, refs, cut: 'allOf nested too deeply' };
      const part = resolve(branch, root, refs, budget);
      if (part.cut !== undefined) return part;
      if (part.node === false) return { node: false, refs };
      if (isObj(part.node)) merged = mergeSchemas(merged, part.node);
    }
    return { node: merged, refs };
  }
  return { node: current, refs };
}

function pick(obj: Obj, keys: readonly string[]): Obj {
  const out: Obj = {};
  for (const key of keys) if (own(obj, key) !== undefined) out[key] = obj[key];
  return out;
}

/** The type names a `type` keyword allows, or `undefined` when it has none. */
function typeList(type: unknown): string[] | undefined {
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return undefined;
}

/**
 * Two schemas that must both hold, as one (for `allOf`): properties merged (a property in both gets
 * both as its own `allOf`), `required` united, `type` intersected; other keywords: the first wins.
 */
function mergeSchemas(a: Obj, b: Obj): Obj {
  const out: Obj = { ...b, ...a };
  const pa = own(a, 'properties');
  const pb = own(b, 'properties');
  if (isObj(pa) && isObj(pb)) {
    const props: Obj = { ...pb };
    for (const [key, value] of Object.entries(pa)) {
      const other = own(pb, key);
      put(props, key, other === undefined ? value : { allOf: [value, other] });
    }
    out.properties = props;
  }
  const ra = own(a, 'required');
  const rb = own(b, 'required');
  if (Array.isArray(ra) || Array.isArray(rb)) {
    out.required = [...new Set([...(list(ra) ?? []), ...(list(rb) ?? [])])];
  }
  const ta = typeList(own(a, 'type'));
  const tb = typeList(own(b, 'type'));
  if (ta && tb) {
    const both = ta.filter((t) => tb.includes(t) || (t === 'integer' && tb.includes('number')));
    for (const t of tb) if (t === 'integer' && ta.includes('number') && !both.includes(t)) both.push(t);
    out.type = both.length === 1 ? both[0] : both;
  }
  return out;
}

/** The types a resolved schema admits, inferred from its keywords when `type` is absent. */
function typesOf(node: Obj): string[] | undefined {
  const listed = typeList(own(node, 'type'));
  if (listed && listed.length > 0) return [...new Set(listed)];
  const values = enumValues(node);
  if (values) return [...new Set(values.map(jsonType))];
  if (isObj(own(node, 'properties'))) return ['object'];
  if (own(node, 'items') !== undefined || Array.isArray(own(node, 'prefixItems'))) return ['array'];
  return undefined;
}

/** The allowed values of `enum` or `const`, or `undefined`. */
function enumValues(node: Obj): unknown[] | undefined {
  const values = list(own(node, 'enum'));
  if (values) return values;
  if (Object.prototype.hasOwnProperty.call(node, 'const')) return [node.const];
  return undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Whether an object schema declares no properties and leaves other keys open (a free-form map). */
function isOpenObject(node: Obj): boolean {
  const props = own(node, 'properties');
  return !(isObj(props) && Object.keys(props).length > 0) && own(node, 'additionalProperties') !== false;
}

/** The union branches of a resolved schema (`anyOf` or `oneOf`), or `undefined`. */
function unionOf(node: Obj): unknown[] | undefined {
  return list(own(node, 'anyOf')) ?? list(own(node, 'oneOf'));
}

/** Formats OpenAI strict mode documents for strings. */
const OPENAI_FORMATS = new Set([
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

/** Formats Gemini documents, per type. */
const GEMINI_FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

/** A property name Gemini accepts: a letter or `_`, then letters, digits and `_`, 64 at most. */
const GEMINI_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

/**
 * Gemini names for an object's property names: a valid name stays; any other gets its other
 * characters replaced by `_`, a leading `_` if it starts with a digit, and a `_2`, `_3`… suffix
 * should it meet a name already taken. A function of the list alone, so {@link unshapeArguments}
 * maps the names back the same way.
 */
function geminiPropertyNames(names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set(names.filter((n) => GEMINI_NAME.test(n)));
  for (const name of names) {
    if (GEMINI_NAME.test(name)) {
      out.set(name, name);
      continue;
    }
    let base = name.replace(/[^a-zA-Z0-9_]/gu, '_');
    if (!/^[a-zA-Z_]/.test(base)) base = `_${base}`;
    base = base.slice(0, 64);
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base.slice(0, 64 - String(n).length - 1)}_${n}`;
    taken.add(candidate);
    out.set(name, candidate);
  }
  return out;
}

/** State of one {@link shapeSchema} run. */
interface Run {
  readonly mode: 'openai-strict' | 'gemini';
  readonly root: unknown;
  nodes: number;
  /** How many objects enclose the node being shaped (OpenAI allows {@link OPENAI_MAX_OBJECT_DEPTH}). */
  objectDepth: number;
}

/** Levels of object nesting OpenAI strict mode allows; deeper objects become JSON text. */
const OPENAI_MAX_OBJECT_DEPTH = 10;

/** The `description` and `title` of a schema, when they are strings. */
function describe(node: Obj): Obj {
  const out: Obj = {};
  if (typeof own(node, 'description') === 'string') out.description = node.description;
  if (typeof own(node, 'title') === 'string') out.title = node.title;
  return out;
}

/** `shaped` with the outer `info` (description, title) added, keeping what `shaped` says too. */
function withInfo(info: Obj, shaped: Obj): Obj {
  const out: Obj = { ...shaped };
  if (info.title !== undefined && out.title === undefined) out.title = info.title;
  if (typeof info.description === 'string') {
    const inner = out.description;
    out.description =
      typeof inner === 'string' && inner !== info.description && !inner.startsWith(info.description)
        ? `${info.description} ${inner}`
        : (inner ?? info.description);
  }
  return out;
}

/** `JSON.stringify(value)`, or `undefined` for a value it cannot render (a cycle, a BigInt, deep nesting). */
function safeKey(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** The fallback for a part a mode cannot express: a string holding the value as JSON text. */
function jsonText(description: unknown, why: string): Obj {
  const prefix = typeof description === 'string' && description !== '' ? `${description} ` : '';
  return { type: 'string', description: `${prefix}(${why}: write the value as JSON text)` };
}

/** Adds `null` to what a shaped schema (of `mode`) accepts. */
function nullable(shaped: Obj, mode: Run['mode']): Obj {
  if (mode === 'gemini') {
    // Gemini: `nullable` on each alternative of a union, not beside the `anyOf`.
    const branches = list(own(shaped, 'anyOf'));
    return branches
      ? { ...shaped, anyOf: branches.map((b) => (isObj(b) ? nullable(b, mode) : b)) }
      : { ...shaped, nullable: true };
  }
  const anyOf = list(own(shaped, 'anyOf'));
  if (anyOf) {
    return anyOf.some((b) => isObj(b) && b.type === 'null')
      ? shaped
      : { ...shaped, anyOf: [...anyOf, { type: 'null' }] };
  }
  const types = typeList(own(shaped, 'type')) ?? [];
  if (types.includes('null')) return shaped;
  const out: Obj = { ...shaped, type: [...types, 'null'] };
  const values = list(own(shaped, 'enum'));
  if (values && !values.includes(null)) out.enum = [...values, null];
  return out;
}

/** Shapes one schema node for `run.mode`. */
function shapeNode(
  node: unknown,
  run: Run,
  depth: number,
  expanding: readonly string[],
  isRoot = false,
): Obj {
  const described = isObj(node) ? describe(node) : {};
  if (++run.nodes > SHAPE_MAX_NODES) return jsonText(described.description, 'schema too large to show');
  if (depth > SHAPE_MAX_DEPTH) return jsonText(described.description, 'nested too deeply to show');
  const resolved = resolve(node, run.root, expanding);
  if (resolved.cut !== undefined) return jsonText(described.description, resolved.cut);
  if (resolved.node === false) return jsonText(described.description, 'no value is allowed here');
  if (resolved.node === true || resolved.node === undefined)
    return jsonText(described.description, 'any JSON value');
  const schema = resolved.node;
  const info = { ...described, ...describe(schema) };
  const refs = resolved.refs;

  const union = unionOf(schema);
  if (union) {
    const { anyOf: _a, oneOf: _o, ...siblings } = schema;
    const hasSiblings = typesOf(siblings) !== undefined;
    const branches: Obj[] = [];
    const seen = new Set<string>();
    for (const branch of union) {
      const part = hasSiblings ? { allOf: [siblings, branch] } : branch;
      const shaped = shapeNode(part, run, depth + 1, refs);
      const key = JSON.stringify(shaped);
      if (!seen.has(key)) {
        branches.push(shaped);
        seen.add(key);
      }
    }
    if (branches.length === 1) return withInfo(info, branches[0]!);
    if (run.mode === 'gemini') {
      // Gemini's anyOf cannot hold a bare null: fold it into `nullable` of the others.
      const nonNull = branches.filter((b) => b.type !== 'null');
      if (nonNull.length < branches.length && nonNull.length > 0) {
        return nonNull.length === 1
          ? nullable(withInfo(info, nonNull[0]!), run.mode)
          : { ...info, anyOf: nonNull.map((b) => nullable(b, run.mode)) };
      }
    }
    return { ...info, anyOf: branches };
  }

  let types = typesOf(schema);
  if (!types || types.length === 0) return jsonText(info.description, 'any JSON value');
  if (types.includes('integer') && types.includes('number')) types = types.filter((t) => t !== 'integer');
  const withNull = types.includes('null');
  const concrete = types.filter((t) => t !== 'null');
  if (concrete.length === 0) return { ...info, type: 'null' };

  const values = enumValues(schema);
  const parts = concrete.map((type) => shapeTyped(schema, type, values, run, depth, refs, isRoot));
  let out: Obj;
  if (parts.length === 1) out = parts[0]!;
  else out = { ...info, anyOf: parts };
  return withNull ? nullable(out, run.mode) : out;
}

/** Shapes `schema` as one JSON type. */
function shapeTyped(
  schema: Obj,
  type: string,
  values: unknown[] | undefined,
  run: Run,
  depth: number,
  refs: readonly string[],
  isRoot: boolean,
): Obj {
  const gemini = run.mode === 'gemini';
  const out: Obj = { type, ...describe(schema) };
  const ofType = values?.filter((v) => jsonType(v) === type || (type === 'number' && typeof v === 'number'));
  if (ofType && ofType.length > 0) {
    if (!gemini || type === 'string') out.enum = ofType;
    else
      out.description = withInfo(describe(schema), {
        description: `(one of: ${ofType.map((v) => JSON.stringify(v)).join(', ')})`,
      }).description;
  }
  const copyNumber = (keys: readonly string[]): void => {
    for (const key of keys) {
      const value = own(schema, key);
      if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    }
  };
  const format = own(schema, 'format');
  switch (type) {
    case 'string':
      if (typeof own(schema, 'pattern') === 'string') out.pattern = schema.pattern;
      if (typeof format === 'string' && (gemini ? GEMINI_FORMATS.string! : OPENAI_FORMATS).has(format))
        out.format = format;
      if (gemini) copyNumber(['minLength', 'maxLength']);
      break;
    case 'number':
    case 'integer':
      copyNumber(
        gemini
          ? ['minimum', 'maximum']
          : ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
      );
      if (gemini && typeof format === 'string' && GEMINI_FORMATS[type]!.has(format)) out.format = format;
      break;
    case 'boolean':
      break;
    case 'array': {
      copyNumber(['minItems', 'maxItems']);
      const items = own(schema, 'items');
      const tuple = tupleOf(schema);
      if (tuple) {
        const shaped = tuple.map((item) => shapeNode(item, run, depth + 1, refs));
        out.items = shaped.length === 1 ? shaped[0] : { anyOf: shaped };
      } else {
        out.items = shapeNode(items ?? true, run, depth + 1, refs);
      }
      break;
    }
    case 'object': {
      if (!isRoot && isOpenObject(schema)) return jsonText(schema.description, 'an object with any keys');
      if (!gemini && run.objectDepth >= OPENAI_MAX_OBJECT_DEPTH) {
        return jsonText(schema.description, 'nested too deeply to show');
      }
      const props = own(schema, 'properties');
      const required = own(schema, 'required');
      const requiredSet = new Set(
        Array.isArray(required) ? required.filter((r) => typeof r === 'string') : [],
      );
      const properties: Obj = {};
      const names = isObj(props) ? Object.keys(props) : [];
      const renamed = gemini ? geminiPropertyNames(names) : undefined;
      run.objectDepth++;
      for (const name of names) {
        const shaped = shapeNode((props as Obj)[name], run, depth + 1, refs);
        put(
          properties,
          renamed?.get(name) ?? name,
          !gemini && !requiredSet.has(name) ? nullable(shaped, run.mode) : shaped,
        );
      }
      run.objectDepth--;
      out.properties = properties;
      if (gemini) {
        const kept = names.filter((n) => requiredSet.has(n)).map((n) => renamed?.get(n) ?? n);
        if (kept.length > 0) out.required = kept;
        copyNumber(['minProperties', 'maxProperties']);
      } else {
        out.required = names;
        out.additionalProperties = false;
      }
      break;
    }
    default:
      return jsonText(schema.description, `unknown type ${JSON.stringify(type)}`);
  }
  if (gemini && own(schema, 'default') !== undefined && ofType === undefined) {
    const value = own(schema, 'default');
    if (jsonType(value) === type || (type === 'number' && typeof value === 'number')) out.default = value;
  }
  return out;
}

/**
 * The root of a shaped schema as one object schema: `$ref`/`allOf` resolved, a top-level
 * `anyOf`/`oneOf` of object shapes merged into one (a property in several gets their union; a
 * property is required only when every alternative requires it). Returns `undefined` when the root
 * has nothing to merge.
 */
function mergedRoot(schema: Obj, root: unknown): Obj | undefined {
  const resolved = resolve(schema, root, []);
  if (!isObj(resolved.node)) return undefined;
  const node = resolved.node;
  const union = unionOf(node);
  if (!union) return resolved.refs.length > 0 || own(schema, 'allOf') !== undefined ? node : undefined;
  const { anyOf: _a, oneOf: _o, ...base } = node;
  const properties = new Map<string, unknown[]>();
  let required: Set<string> | undefined;
  let count = 0;
  for (const branch of union) {
    const part = resolve(branch, root, resolved.refs);
    if (!isObj(part.node)) continue;
    const merged = mergeSchemas(base, part.node);
    count++;
    const props = own(merged, 'properties');
    if (isObj(props)) {
      for (const [key, value] of Object.entries(props)) {
        let list = properties.get(key);
        if (!list) properties.set(key, (list = []));
        const rendered = safeKey(value);
        if (rendered === undefined || !list.some((v) => safeKey(v) === rendered)) list.push(value);
      }
    }
    const req = own(merged, 'required');
    const here = new Set(Array.isArray(req) ? req.filter((r): r is string => typeof r === 'string') : []);
    required = required === undefined ? here : new Set([...required].filter((r) => here.has(r)));
  }
  const out: Obj = { ...base, type: 'object' };
  delete out.allOf;
  out.properties = Object.fromEntries(
    [...properties].map(([key, list]) => [key, list.length === 1 ? list[0] : { anyOf: list }]),
  );
  const kept = [...(required ?? [])].filter((r) => Object.prototype.hasOwnProperty.call(out.properties, r));
  if (kept.length > 0) out.required = kept;
  else delete out.required;
  const note = `(Accepts ${count} alternative argument shapes; fields not required by all are optional.)`;
  out.description = typeof out.description === 'string' ? `${out.description} ${note}` : note;
  return out;
}

/** A deep copy of JSON data, bounded: parts below `depth` levels or object cycles are replaced by `{}`. */
function copyJson(value: unknown, depth: number, seen: Set<object> = new Set()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth <= 0 || seen.has(value)) return {};
  seen.add(value);
  const out = Array.isArray(value)
    ? value.map((v) => copyJson(v, depth - 1, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyJson(v, depth - 1, seen)]));
  seen.delete(value);
  return out;
}

/** Longest nesting {@link shapeSchema} copies in `'anthropic'` mode. */
const COPY_MAX_DEPTH = 256;

/** An array schema's tuple items: `prefixItems` (2020-12), else an `items` array (draft-07), if any. */
function tupleOf(schema: JsonSchemaObject): unknown[] | undefined {
  const items = own(schema, 'items');
  if (Array.isArray(own(schema, 'prefixItems'))) return schema.prefixItems as unknown[];
  return Array.isArray(items) ? items : undefined;
}

/**
 * The schema the model sees for a tool's input schema, in a mode (see {@link SchemaMode}). Pure and
 * deterministic: the input is never mutated, and `'original'` returns it as it is. Never throws: a
 * schema that is not an object (or a boolean schema) becomes an object schema without properties.
 */
export function shapeSchema(schema: JsonSchemaObject, mode: SchemaMode = 'original'): JsonSchemaObject {
  if (mode === 'original') return schema;
  const input: unknown = schema;
  if (!isObj(input))
    return {
      type: 'object',
      properties: {},
      ...(mode === 'openai-strict' ? { required: [], additionalProperties: false } : {}),
    };
  if (mode === 'anthropic') {
    const copy = copyJson(input, COPY_MAX_DEPTH) as Obj;
    const merged = mergedRoot(copy, copy);
    const out: Obj = merged ?? copy;
    for (const key of ['$defs', 'definitions']) if (own(copy, key) !== undefined) out[key] = copy[key];
    delete out.$ref;
    if (out.type === undefined || (typeList(out.type) ?? []).join() !== 'object') out.type = 'object';
    return out;
  }
  const run: Run = { mode, root: input, nodes: 0, objectDepth: 0 };
  const rootSchema = mergedRoot(input, input) ?? input;
  const resolvedRoot = resolve(rootSchema, input, []);
  const objectRoot = isObj(resolvedRoot.node) ? resolvedRoot.node : {};
  const out = shapeTyped(objectRoot, 'object', undefined, run, 0, resolvedRoot.refs, true);
  return { ...out, ...describe(objectRoot) };
}

/** Whether a resolved schema admits `null` as it is. */
function acceptsNull(node: Resolved['node'], root: unknown): boolean {
  if (node === true || node === undefined) return true;
  if (node === false) return false;
  if (own(node, 'nullable') === true) return true;
  const union = unionOf(node);
  if (union) return union.some((branch) => acceptsNull(resolve(branch, root, []).node, root));
  const types = typesOf(node);
  return types === undefined || types.includes('null');
}

/** Whether a resolved schema admits a value of JSON kind `kind` (as far as shaping cares). */
function admits(node: Obj, kind: string): boolean {
  const types = typesOf(node);
  if (types === undefined) return true;
  return (
    types.includes(kind) ||
    (kind === 'integer' && types.includes('number')) ||
    (kind === 'number' && types.includes('integer'))
  );
}

/** `value` parsed as JSON text when that gives a value of another kind than a string; else `value`. */
function parseJsonText(value: string): unknown {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? value : parsed;
  } catch {
    return value;
  }
}

/** Unshapes `value` against the original (sub)schema `node`. */
function unshapeValue(
  value: unknown,
  node: unknown,
  root: unknown,
  depth: number,
  mode: SchemaMode,
): unknown {
  if (depth > UNSHAPE_MAX_DEPTH) return value;
  const resolved = resolve(node, root, []);
  const schema = resolved.node;
  if (!isObj(schema)) {
    // Free-form (true, unresolvable, cyclic past the shaped depth): JSON text may stand for it.
    return typeof value === 'string' && schema !== false ? parseJsonText(value) : value;
  }
  const union = unionOf(schema);
  if (union) {
    const kind = jsonType(value);
    for (const branch of union) {
      const part = resolve(branch, root, resolved.refs);
      if (!isObj(part.node)) continue;
      if (admits(part.node, kind)) return unshapeValue(value, part.node, root, depth + 1, mode);
    }
    if (typeof value === 'string') return parseJsonText(value);
    return value;
  }
  if (typeof value === 'string') {
    const types = typesOf(schema);
    if (
      types === undefined ||
      !types.includes('string') ||
      (types.includes('object') && isOpenObject(schema))
    ) {
      return parseJsonText(value);
    }
    return value;
  }
  if (Array.isArray(value)) {
    const items = own(schema, 'items');
    const tuple = tupleOf(schema);
    return value.map((item, i) => {
      const rest: unknown = list(items) ? true : (items ?? true);
      const itemSchema: unknown = tuple ? (tuple[i] ?? rest) : rest;
      return unshapeValue(item, itemSchema, root, depth + 1, mode);
    });
  }
  if (isObj(value)) {
    const props = own(schema, 'properties');
    const required = own(schema, 'required');
    const requiredSet = new Set(Array.isArray(required) ? required : []);
    const back = new Map<string, string>();
    if (mode === 'gemini' && isObj(props)) {
      for (const [name, shaped] of geminiPropertyNames(Object.keys(props))) back.set(shaped, name);
    }
    const out: Obj = {};
    for (const [key, item] of Object.entries(value)) {
      const original = back.get(key) ?? key;
      const propSchema = isObj(props) ? own(props, original) : undefined;
      if (propSchema === undefined) {
        put(out, key, item);
        continue;
      }
      if (
        item === null &&
        !requiredSet.has(original) &&
        !acceptsNull(resolve(propSchema, root, resolved.refs).node, root)
      )
        continue;
      put(out, original, unshapeValue(item, propSchema, root, depth + 1, mode));
    }
    return out;
  }
  return value;
}

/**
 * Arguments a model wrote against `shapeSchema(original, mode)`, turned back into arguments for the
 * `original` schema, which berth then validates them against: an optional property sent as `null`
 * (how `'openai-strict'` says "absent") is removed unless the original allows `null` there; a string
 * where the original wants a non-string (a part shaped as JSON text) is parsed; in `'gemini'`, a
 * renamed property gets its original name back. Everything else is kept as it is. Pure: returns a new value, never mutates `args`. `'original'` and `'anthropic'`
 * return `args` unchanged.
 */
export function unshapeArguments(
  args: unknown,
  original: JsonSchemaObject,
  mode: SchemaMode = 'original',
): unknown {
  if (mode === 'original' || mode === 'anthropic') return args;
  const input: unknown = original;
  if (!isObj(input) || !isObj(args)) return args;
  const root = mergedRoot(input, input) ?? input;
  return unshapeValue(args, root, input, 0, mode);
}
