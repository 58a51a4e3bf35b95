/** Small helpers for describing JSON values in messages. */

/** The JSON type of a value as a message would name it: `null`, `array`, or its `typeof`. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** `$.mcpServers.github.args[1]`; keys that are not identifiers use brackets: `$.mcpServers["my-server"]`. */
export function jsonPath(segments: readonly (string | number)[]): string {
  return (
    '$' +
    segments
      .map((s) => {
        if (typeof s === 'number') return `[${s}]`;
        return /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
      })
      .join('')
  );
}
