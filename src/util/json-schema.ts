/**
 * berth's one JSON Schema engine. It checks tool-call arguments against the tool's `inputSchema`
 * before anything is sent, turning every violation into an `ArgumentProblem` (JSON pointer +
 * readable message), and it offers the same engine to the SDK as a `jsonSchemaValidator`.
 *
 * Validation uses Ajv with the same settings as the MCP SDK's own validator (`allErrors`,
 * `strict: false`, formats) and the same `$schema` dialect dispatch: no `$schema` or 2020-12 →
 * Ajv2020, 2019-09 → Ajv2019, draft-07/06 → classic Ajv. Each schema is compiled in an engine of its
 * own, so servers' schemas never share `$id`s or caches.
 *
 * Why berth has its own Ajv rather than the SDK's: the SDK bundles Ajv inside its own build and, as
 * supported API, exports only the draft-07 `Ajv` class and an `AjvJsonSchemaValidator` whose result
 * is one flat message; neither gives the 2020-12 engine or the structured errors (instance path,
 * keyword, params) that berth's messages are made of. So berth keeps exactly one Ajv package
 * (`ajv` + `ajv-formats` on it) and hands it to the SDK instead ({@link jsonSchemaValidator}).
 *
 * A schema that does not compile (a broken server) never blocks calls: its arguments validator
 * accepts everything and carries the reason in `compileError` for the host to log.
 */
import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';

import type {
  JsonSchemaType,
  JsonSchemaValidator,
  JsonSchemaValidatorResult,
  jsonSchemaValidator as SdkJsonSchemaValidator,
} from '@modelcontextprotocol/client';
import type { ArgumentProblem } from '../errors.js';
import { jsonKind } from './json.js';

/** Checks one set of arguments; an empty array means they are valid. */
export interface ArgumentsValidator {
  (args: unknown): ArgumentProblem[];
  /**
   * Why the schema could not be compiled, when it could not; this validator then accepts
   * everything. `undefined` for a working validator.
   */
  readonly compileError: string | undefined;
}

/** The part of an Ajv error object this module reads. */
interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** Set on errors raised while checking a property *name* (the `propertyNames` keyword). */
  propertyName?: string;
}

/** A compiled Ajv validate function. */
interface CompiledSchema {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}

/** The part of an Ajv instance this module uses. */
interface AjvEngine {
  compile(schema: object): CompiledSchema;
}

/** How many enum values a message lists before eliding the rest. */
const ENUM_VALUES_SHOWN = 10;
/** Longest rendering of a value inside a message. */
const VALUE_CHARS_SHOWN = 40;

const cache = new WeakMap<object, ArgumentsValidator>();

// ajv-formats is CommonJS: under NodeNext its function arrives as the module's `default`.
const addFormats = ajvFormats.default as unknown as (ajv: Ajv | Ajv2019 | Ajv2020) => unknown;

/** A fresh engine for `schema`'s declared dialect. Throws for a `$schema` dialect Ajv does not support. */
function engineFor(schema: object): AjvEngine {
  const dialect = (schema as { $schema?: unknown }).$schema;
  const options = { strict: false, validateFormats: true, validateSchema: false, allErrors: true } as const;
  let ajv: Ajv | Ajv2019 | Ajv2020;
  if (typeof dialect !== 'string' || dialect.includes('2020-12')) ajv = new Ajv2020(options);
  else if (dialect.includes('2019-09')) ajv = new Ajv2019(options);
  else if (/draft-0[67]/.test(dialect)) ajv = new Ajv(options);
  else throw new Error(`unsupported $schema dialect: ${dialect}`);
  addFormats(ajv);
  return ajv;
}

/** A validator that accepts everything, for a schema that cannot be used. */
function acceptAll(reason: string): ArgumentsValidator {
  return Object.freeze(Object.assign((args: unknown) => shapeProblems(args), { compileError: reason }));
}

/** How deeply arguments may nest; deeper ones would overflow the stack when they are serialized. */
export const MAX_ARGUMENT_DEPTH = 512;

/**
 * What JSON cannot carry in `args`, whatever the schema says: nesting deeper than
 * {@link MAX_ARGUMENT_DEPTH}, a cycle, or a BigInt. Each would otherwise fail when the request is
 * serialized, as a raw `RangeError` or `TypeError` after the call was accepted. Iterative, so any
 * depth is safe to inspect; stops at the first problem.
 */
function shapeProblems(args: unknown): ArgumentProblem[] {
  interface Frame {
    value: unknown;
    pointer: string;
    depth: number;
    /** Set on the frame that takes `value` off the ancestors when its children are done. */
    leave?: true;
  }
  const ancestors = new Set<object>();
  const stack: Frame[] = [{ value: args, pointer: '', depth: 0 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { value, pointer, depth } = frame;
    if (frame.leave) {
      ancestors.delete(value as object);
      continue;
    }
    if (typeof value === 'bigint') {
      return [{ path: pointer, message: 'is a BigInt, which JSON cannot carry (pass a number or a string)' }];
    }
    if (value === null || typeof value !== 'object') continue;
    if (ancestors.has(value)) {
      return [{ path: pointer, message: 'contains itself (a cycle), which JSON cannot carry' }];
    }
    if (depth >= MAX_ARGUMENT_DEPTH) {
      return [{ path: pointer, message: `is nested deeper than ${MAX_ARGUMENT_DEPTH} levels` }];
    }
    ancestors.add(value);
    stack.push({ value, pointer, depth, leave: true });
    const children: [string, unknown][] = Array.isArray(value)
      ? value.map((item, i) => [String(i), item])
      : Object.entries(value);
    for (const [key, child] of children)
      stack.push({ value: child, pointer: childPointer(pointer, key), depth: depth + 1 });
  }
  return [];
}

/** Escapes one JSON pointer reference token (RFC 6901). */
function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The pointer to property `name` of the value at `pointer`. */
function childPointer(pointer: string, name: unknown): string {
  return `${pointer}/${escapeToken(String(name))}`;
}

/** The value at a JSON pointer inside `root`, or `undefined` when there is none. */
function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let value = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, token)) return undefined;
    value = (value as Record<string, unknown>)[token];
  }
  return value;
}

/** The JSON type name of a value (`null`, `array`, `object`, `string`, `number`, `boolean`). */
/** A short rendering of a value for a message: JSON, cut to {@link VALUE_CHARS_SHOWN} characters. */
function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > VALUE_CHARS_SHOWN ? `${text.slice(0, VALUE_CHARS_SHOWN - 1)}…` : text;
}

/** What was given, for a `type` mismatch: the value itself for numbers, its type otherwise. */
function given(value: unknown): string {
  return typeof value === 'number' ? `number ${show(value)}` : jsonKind(value);
}

/** The expected types of a `type` error, in words: `string`, `string or number`. */
function expectedTypes(params: Record<string, unknown>): string {
  const type = params.type;
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return types.join(' or ');
}

/** One Ajv error as an argument problem, with the pointer at the offending value and plain words. */
function toProblem(error: AjvError, args: unknown): ArgumentProblem {
  const at = error.instancePath;
  const params = error.params;
  switch (error.keyword) {
    case 'required':
      return { path: childPointer(at, params.missingProperty), message: 'is required' };
    case 'dependentRequired':
    case 'dependencies':
      if (params.missingProperty !== undefined) {
        return {
          path: childPointer(at, params.missingProperty),
          message: `is required when "${String(params.property)}" is present`,
        };
      }
      break;
    case 'additionalProperties':
      return {
        path: childPointer(at, params.additionalProperty),
        message: `is not allowed (unexpected property "${String(params.additionalProperty)}")`,
      };
    case 'unevaluatedProperties':
      return {
        path: childPointer(at, params.unevaluatedProperty),
        message: `is not allowed (unexpected property "${String(params.unevaluatedProperty)}")`,
      };
    case 'type':
      return { path: at, message: `must be ${expectedTypes(params)} (got ${given(valueAt(args, at))})` };
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      const listed = allowed.slice(0, ENUM_VALUES_SHOWN).map(show).join(', ');
      const more = allowed.length > ENUM_VALUES_SHOWN ? `, … (${allowed.length} values)` : '';
      return { path: at, message: `must be one of ${listed}${more} (got ${show(valueAt(args, at))})` };
    }
    case 'const':
      return { path: at, message: `must be ${show(params.allowedValue)} (got ${show(valueAt(args, at))})` };
    case 'false schema':
      return { path: at, message: 'is not allowed' };
    case 'propertyNames':
      return { path: childPointer(at, params.propertyName), message: 'is not a valid property name' };
  }
  if (error.propertyName !== undefined) {
    return {
      path: childPointer(at, error.propertyName),
      message: `property name ${error.message ?? 'is invalid'}`,
    };
  }
  return { path: at, message: error.message ?? `fails the "${error.keyword}" rule` };
}

/**
 * Ajv's errors as problems. A failed `anyOf`/`oneOf` whose branches all failed only on `type` at
 * the same place becomes one problem (`must be string or number`); other failures keep every
 * branch's errors, which Ajv lists directly before the `anyOf`/`oneOf` error itself.
 */
function toProblems(errors: readonly AjvError[], args: unknown): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const skip = new Set<number>();
  const replaced = new Map<number, ArgumentProblem>();
  for (let i = 0; i < errors.length; i++) {
    const error = errors[i];
    if (!error || (error.keyword !== 'anyOf' && error.keyword !== 'oneOf')) continue;
    const branchPrefix = `${error.schemaPath}/`;
    const branches: number[] = [];
    for (let j = i - 1; j >= 0 && errors[j]?.schemaPath.startsWith(branchPrefix); j--) branches.push(j);
    const allTypes = branches.every(
      (j) => errors[j]?.keyword === 'type' && errors[j]?.instancePath === error.instancePath,
    );
    if (branches.length === 0 || !allTypes) continue;
    const types = [...new Set(branches.reverse().map((j) => expectedTypes(errors[j]?.params ?? {})))];
    for (const j of branches) skip.add(j);
    replaced.set(i, {
      path: error.instancePath,
      message: `must be ${types.join(' or ')} (got ${given(valueAt(args, error.instancePath))})`,
    });
  }

  const seen = new Set<string>();
  for (let i = 0; i < errors.length; i++) {
    const error = errors[i];
    if (!error || skip.has(i)) continue;
    const problem = replaced.get(i) ?? toProblem(error, args);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/** Checks a value against a compiled schema; an empty array means it is valid. */
type Checker = (data: unknown) => ArgumentProblem[];

/** Compiled checkers (or the reason a schema does not compile), per schema object. */
const compiled = new WeakMap<object, Checker | { compileError: string }>();

/**
 * The checker for `schema`, compiled once per schema object in an engine of its own. Throws an
 * `Error` saying why when the schema cannot be compiled (an unsupported dialect, a bad pattern, an
 * unresolvable `$ref`…), every time it is asked for.
 */
function checkerFor(schema: object): Checker {
  let entry = compiled.get(schema);
  if (!entry) {
    try {
      const validate = engineFor(schema).compile(schema);
      entry = (data: unknown) => (validate(data) ? [] : toProblems(validate.errors ?? [], data));
    } catch (error) {
      entry = { compileError: error instanceof Error ? error.message : String(error) };
    }
    compiled.set(schema, entry);
  }
  if (typeof entry !== 'function') throw new Error(entry.compileError);
  return entry;
}

/** Compiles `schema` into an arguments validator, or an accept-everything one carrying the reason it failed. */
function compile(schema: object): ArgumentsValidator {
  let checker: Checker;
  try {
    checker = checkerFor(schema);
  } catch (error) {
    return acceptAll(`inputSchema cannot be compiled: ${(error as Error).message}`);
  }
  const check = (args: unknown): ArgumentProblem[] => {
    const data = args === undefined ? {} : args;
    const shape = shapeProblems(data);
    return shape.length > 0 ? shape : checker(data);
  };
  return Object.freeze(Object.assign(check, { compileError: undefined }));
}

/**
 * The argument checker for a tool's `inputSchema`: call it with the arguments (`undefined` counts
 * as `{}`) to get every problem, each with the JSON pointer of the offending value (`/by`,
 * `/items/0/name`; a missing or unexpected property is pointed at by its own path) and a readable
 * message. An empty array means the arguments are valid.
 *
 * Validators are cached per schema object, so calling this on every tool call compiles once. A
 * schema that cannot be compiled (or is not an object) yields a validator that accepts everything,
 * with the reason in its `compileError`, so a broken server schema never makes calls impossible.
 */
export function argumentsValidator(inputSchema: object): ArgumentsValidator {
  if (typeof inputSchema !== 'object' || inputSchema === null) {
    return acceptAll(`inputSchema is not an object (got ${jsonKind(inputSchema)})`);
  }
  let validator = cache.get(inputSchema);
  if (!validator) {
    validator = compile(inputSchema);
    cache.set(inputSchema, validator);
  }
  return validator;
}

/**
 * Why `inputSchema` cannot be used for validation, or `undefined` when it can. Shares the cache of
 * {@link argumentsValidator}, so it costs nothing extra for a schema already in use.
 */
export function inputSchemaError(inputSchema: object): string | undefined {
  return argumentsValidator(inputSchema).compileError;
}

/** One problem as a line of an error message: `/count must be integer (got string)`. */
function describeProblem(problem: ArgumentProblem): string {
  return `${problem.path || '(root)'} ${problem.message}`;
}

/**
 * berth's JSON Schema engine behind the SDK's `jsonSchemaValidator` interface, so the SDK `Client`
 * (tool `outputSchema` checks) validates with the same Ajv, dialect dispatch, per-schema isolation
 * and readable messages as berth's argument checks, instead of a second Ajv copy bundled in the SDK.
 * Pass it as `new Client(info, { jsonSchemaValidator })`.
 *
 * `getValidator` throws when the schema cannot be compiled (the SDK reports that for the tool, as
 * its own validator does); the validator's `errorMessage` lists every problem with its JSON pointer.
 */
export const jsonSchemaValidator: SdkJsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    if (typeof schema !== 'object' || schema === null) {
      throw new Error(`expected a JSON Schema object, got ${jsonKind(schema)}`);
    }
    const check = checkerFor(schema);
    return (input: unknown): JsonSchemaValidatorResult<T> => {
      const problems = check(input);
      return problems.length === 0
        ? { valid: true, data: input as T, errorMessage: undefined }
        : { valid: false, data: undefined, errorMessage: problems.map(describeProblem).join('; ') };
    };
  },
};
