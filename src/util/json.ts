/** Small helpers for describing JSON values in messages. */

/** The JSON type of a value as a message would name it: `null`, `array`, or its `typeof`. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
