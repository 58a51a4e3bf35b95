/**
 * Text output for the CLI: aligned tables, a tool result's content as plain text, a compact
 * signature of a tool's input schema, and small string helpers. Pure functions, no I/O.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';

/** Options for {@link table}. */
export interface TableOptions {
  /** Total width to fit in (the terminal's); the last column is cut with `…` to fit. None: no limit. */
  maxWidth?: number;
}

const GAP = '  ';

/** The display width of a string, counting code points (close enough for names and descriptions). */
function width(text: string): number {
  return [...text].length;
}

/** Cuts `text` to `max` code points, ending in `…` when it was cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 1 ? '…'.slice(0, max) : chars.slice(0, max - 1).join('') + '…';
}

/**
 * An aligned table: a header row, then one row per entry, columns separated by two spaces. Every
 * column but the last is padded to its widest cell; the last is never padded (no trailing spaces).
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => width(row[i] ?? ''))));
  const last = header.length - 1;
  const lead = widths.slice(0, last).reduce((sum, w) => sum + w + GAP.length, 0);
  // Leave the last column at least a little room, even on a narrow terminal.
  const lastMax = options.maxWidth === undefined ? Infinity : Math.max(options.maxWidth - lead, 12);
  return all
    .map((row) =>
      header
        .map((_, i) => {
          const cell = row[i] ?? '';
          return i === last ? truncate(cell, lastMax) : cell + ' '.repeat(widths[i]! - width(cell));
        })
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** The first line of a text, trimmed; `''` for none. */
export function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n', 1)[0]!.trim();
}

/** Indents every line of `text` by `prefix`. */
export function indent(text: string, prefix = '  '): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/**
 * A tool result's content as plain text: text blocks as they are, other blocks as one bracketed line
 * (`[image image/png, 1234 bytes]`), one block per line. A result with no content but structured
 * content prints that as JSON.
 */
export function renderContent(result: CallToolResult): string {
  const blocks = result.content ?? [];
  if (blocks.length === 0) {
    return result.structuredContent === undefined ? '' : JSON.stringify(result.structuredContent, null, 2);
  }
  return blocks
    .map((block) => {
      switch (block.type) {
        case 'text':
          return block.text;
        case 'image':
        case 'audio':
          return `[${block.type} ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
        case 'resource_link':
          return `[resource link ${block.uri}${block.mimeType ? ` (${block.mimeType})` : ''}]`;
        case 'resource': {
          const resource = block.resource;
          if ('text' in resource && typeof resource.text === 'string') return resource.text;
          return `[resource ${resource.uri}${resource.mimeType ? ` (${resource.mimeType})` : ''}]`;
        }
        default:
          return `[${(block as { type: string }).type} content]`;
      }
    })
    .join('\n');
}

function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/**
 * A compact, human-readable signature of a tool's input schema: `{ by?: integer, text: string }`.
 * Only the top level is spelled out; nested objects show as `object`.
 */
export function schemaSignature(
  schema: { properties?: Record<string, unknown>; required?: string[] } | undefined,
): string {
  const properties = Object.entries(schema?.properties ?? {});
  if (properties.length === 0) return '{}';
  const required = new Set(schema?.required ?? []);
  const fields = properties.map(
    ([name, property]) => `${name}${required.has(name) ? '' : '?'}: ${typeName(property)}`,
  );
  return `{ ${fields.join(', ')} }`;
}

function typeName(property: unknown): string {
  if (typeof property !== 'object' || property === null) return 'any';
  const p = property as { type?: unknown; enum?: unknown; items?: unknown; anyOf?: unknown; oneOf?: unknown };
  if (Array.isArray(p.enum)) return p.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(p.type)) return p.type.join(' | ');
  if (p.type === 'array') return `${typeName(p.items)}[]`;
  if (typeof p.type === 'string') return p.type;
  const union = Array.isArray(p.anyOf) ? p.anyOf : Array.isArray(p.oneOf) ? p.oneOf : undefined;
  if (union) return union.map(typeName).join(' | ');
  return 'any';
}
