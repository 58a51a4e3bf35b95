/**
 * Making foreign text safe to print on a line of berth's own: control characters (ANSI escapes,
 * carriage returns, line and paragraph separators, C1 controls) shown as `\u001b`-style escapes, so a
 * server's stderr or log message can neither forge a line of berth's nor repaint the terminal; and
 * long text cut to a bound, so one huge line cannot flood the log.
 */

/* eslint-disable no-control-regex -- matching control characters is the point of these two */
/** Characters that move the cursor, end a line or start an escape sequence (all but tab and newline). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
/** The same, with newline. */
const CONTROL_OR_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
/* eslint-enable no-control-regex */

/**
 * `text` with control characters escaped (`\u001b`, `\r`, `\u2028`: valid inside a JSON string too). With `newlines: true` (the
 * default) line breaks stay, for multi-line text berth frames itself; with `false` they are escaped
 * too, for text that must stay on one line.
 */
export function printable(text: string, { newlines = true }: { newlines?: boolean } = {}): string {
  return text.replace(newlines ? CONTROL : CONTROL_OR_NEWLINE, escapeChar);
}

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The longest text one log field keeps; the rest is cut with a note of how much. */
export const MAX_FIELD_CHARS = 8 * 1024;

/** `text` cut to `max` characters, with `… (N more characters)` when it was longer. */
export function truncate(text: string, max = MAX_FIELD_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
