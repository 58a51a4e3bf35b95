/**
 * Input-schema shaping for providers' limits. The model sees the shaped schema; berth still validates
 * arguments against the server's original one.
 */

/**
 * How to shape input schemas: `'original'` as the server gave them; `'openai-strict'` for OpenAI's
 * strict function calling; `'gemini'` for Gemini's subset (no `additionalProperties`, `$ref`,
 * `$defs`); `'anthropic'` without top-level `anyOf`/`oneOf`/`allOf`.
 */
export type SchemaMode = 'original' | 'openai-strict' | 'gemini' | 'anthropic';

/** A JSON Schema object as tools carry it. */
export type JsonSchemaObject = Record<string, unknown>;

/** The schema the model sees for a tool's input schema, in a mode. */
export function shapeSchema(schema: JsonSchemaObject, mode: SchemaMode = 'original'): JsonSchemaObject {
  if (mode === 'original') return schema;
  throw new Error(`schema mode "${mode}" is not implemented yet`);
}
