/**
 * What the model sees of a berth result in Mastra: the `toModelOutput` of each berth tool. The tool
 * itself returns the MCP `CallToolResult` unchanged (content, `structuredContent`, `isError`), so the
 * application keeps everything; the model gets text, images and audio as media parts, embedded
 * resources as text or media, and a tool error as an error output.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';

/** One part of a `content` model output, in the AI SDK's tool-result form Mastra accepts. */
export type ModelOutputPart =
  { type: 'text'; text: string } | { type: 'media'; data: string; mediaType: string };

/** The model's view of a tool result (the AI SDK's tool-result output, as Mastra takes it). */
export type ModelOutput =
  | { type: 'text'; value: string }
  | { type: 'json'; value: unknown }
  | { type: 'error-text'; value: string }
  | { type: 'content'; value: ModelOutputPart[] };

type ContentBlock = CallToolResult['content'][number];

/** A content block as model output parts (media for binary data, text for the rest). */
function partsOf(block: ContentBlock): ModelOutputPart[] {
  switch (block.type) {
    case 'text':
      return [{ type: 'text', text: block.text }];
    case 'image':
    case 'audio':
      return [{ type: 'media', data: block.data, mediaType: block.mimeType }];
    case 'resource': {
      const { resource } = block;
      if ('text' in resource && typeof resource.text === 'string')
        return [{ type: 'text', text: `[resource ${resource.uri}]\n${resource.text}` }];
      if ('blob' in resource && typeof resource.blob === 'string')
        return [
          { type: 'text', text: `[resource ${resource.uri}]` },
          { type: 'media', data: resource.blob, mediaType: resource.mimeType ?? 'application/octet-stream' },
        ];
      return [{ type: 'text', text: `[resource ${resource.uri}]` }];
    }
    case 'resource_link':
      return [
        {
          type: 'text',
          text: `[resource link ${block.uri}${block.name ? ` "${block.name}"` : ''}${block.mimeType ? ` (${block.mimeType})` : ''}]`,
        },
      ];
    default:
      return [{ type: 'text', text: JSON.stringify(block) }];
  }
}

/** Whether a value is a tool result berth produced (what every berth tool returns). */
function isCallToolResult(value: unknown): value is CallToolResult {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as { content?: unknown }).content)
  );
}

/**
 * The model output for a berth tool's result: an error output for `isError` (its text), plain text
 * when the result is only text, `structuredContent` as JSON when there is no content, else content
 * parts with media.
 */
export function toModelOutput(result: unknown): ModelOutput {
  // Mastra may hand back something else (a validation error object of its own): show it as JSON.
  if (!isCallToolResult(result)) return { type: 'json', value: result ?? null };
  const parts = result.content.flatMap(partsOf);
  const texts = parts.flatMap((part) => (part.type === 'text' ? [part.text] : []));
  if (result.isError) return { type: 'error-text', value: texts.join('\n') || 'the tool reported an error' };
  if (parts.length === 0)
    return result.structuredContent === undefined
      ? { type: 'text', value: '' }
      : { type: 'json', value: result.structuredContent };
  if (texts.length === parts.length) return { type: 'text', value: texts.join('\n') };
  return { type: 'content', value: parts };
}
