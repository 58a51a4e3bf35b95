/**
 * What the model sees of an MCP tool result, in the AI SDK's tool-output types: text as text parts,
 * images and audio as file parts, embedded resources as text or file parts, `structuredContent` as
 * JSON when there is no content, and a tool error (`isError`) as the AI SDK's error output. The full
 * MCP result stays the tool's output for the application; this is only the model's view of it.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { ToolResultPart } from 'ai';

/** The AI SDK's tool output for the model (`ToolResultPart['output']`). */
export type ToolResultOutput = ToolResultPart['output'];

type ContentOutput = Extract<ToolResultOutput, { type: 'content' }>;
type ContentPart = ContentOutput['value'][number];
type Block = CallToolResult['content'][number];

/** One MCP content block as AI SDK content parts. */
function partOf(block: Block): ContentPart {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
    case 'audio':
      return { type: 'file', mediaType: block.mimeType, data: { type: 'data', data: block.data } };
    case 'resource': {
      const { resource } = block;
      if ('text' in resource && typeof resource.text === 'string')
        return { type: 'text', text: `resource ${resource.uri}:\n${resource.text}` };
      if ('blob' in resource && typeof resource.blob === 'string')
        return {
          type: 'file',
          mediaType: resource.mimeType ?? 'application/octet-stream',
          data: { type: 'data', data: resource.blob },
        };
      return { type: 'text', text: JSON.stringify(block) };
    }
    case 'resource_link':
      return {
        type: 'text',
        text: `resource link ${block.uri} (${block.name}${block.mimeType ? `, ${block.mimeType}` : ''})${
          block.description ? `: ${block.description}` : ''
        }`,
      };
    default:
      // A block type from a newer protocol: the model still gets what it says.
      return { type: 'text', text: JSON.stringify(block) };
  }
}

/**
 * The text of a result's text blocks, or its content as JSON when it has none; a tool error with
 * nothing at all says so (the model would otherwise read `[]` as the error).
 */
export function resultText(result: CallToolResult): string {
  const content = Array.isArray(result.content) ? result.content : [];
  const texts = content.filter((block) => block.type === 'text').map((block) => block.text);
  if (texts.length > 0) return texts.join('\n');
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  if (content.length === 0 && result.isError === true) return 'the tool reported an error (with no content)';
  return JSON.stringify(content);
}

/**
 * The model's view of an MCP tool result (the AI SDK's `toModelOutput`). A result with `isError` is an
 * `error-text` output (the AI SDK's form of a failed tool result); a result with only
 * `structuredContent` is a `json` output; otherwise its content as parts.
 */
export function toModelOutput(result: CallToolResult): ToolResultOutput {
  if (result.isError === true) return { type: 'error-text', value: resultText(result) };
  const content = Array.isArray(result.content) ? result.content : [];
  if (content.length === 0 && result.structuredContent !== undefined)
    return {
      type: 'json',
      value: result.structuredContent as Extract<ToolResultOutput, { type: 'json' }>['value'],
    };
  return { type: 'content', value: content.map(partOf) };
}
