/**
 * MCP tool results as LangChain's standard content blocks (`@langchain/core` 1.x): what the model
 * reads in a `ToolMessage`. Text stays text; images and audio become `image` / `audio` blocks with
 * their base64 data; an embedded text resource becomes its text, an embedded binary resource an
 * `image`, `audio` or `file` block by its MIME type; a resource link is named in a text block (its
 * URI is the server's, not something a provider can fetch). The full result, `structuredContent`
 * included, travels beside it as the message's artifact.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';

/** A standard content block as LangChain 1.x carries it in a message. */
export type LangChainContentBlock =
  { type: 'text'; text: string } | { type: 'image' | 'audio' | 'file'; data: string; mimeType: string };

type McpContent = CallToolResult['content'][number];

function dataBlock(data: string, mimeType: string): LangChainContentBlock {
  const type = mimeType.startsWith('image/') ? 'image' : mimeType.startsWith('audio/') ? 'audio' : 'file';
  return { type, data, mimeType };
}

function block(item: McpContent): LangChainContentBlock {
  switch (item.type) {
    case 'text':
      return { type: 'text', text: item.text };
    case 'image':
      return { type: 'image', data: item.data, mimeType: item.mimeType };
    case 'audio':
      return { type: 'audio', data: item.data, mimeType: item.mimeType };
    case 'resource': {
      const resource = item.resource;
      if ('text' in resource && typeof resource.text === 'string')
        return { type: 'text', text: resource.text };
      if ('blob' in resource && typeof resource.blob === 'string')
        return dataBlock(resource.blob, resource.mimeType ?? 'application/octet-stream');
      return { type: 'text', text: `[resource ${resource.uri}]` };
    }
    case 'resource_link':
      return {
        type: 'text',
        text: `[resource link: ${item.name} <${item.uri}>${item.mimeType ? ` (${item.mimeType})` : ''}]`,
      };
    default:
      // A content type newer than this adapter: the model gets it as JSON rather than nothing.
      return { type: 'text', text: JSON.stringify(item) };
  }
}

/**
 * The content blocks the model sees for a tool result. A result with no content but with
 * `structuredContent` gives that as JSON text, so the model is never handed an empty message.
 */
export function toContentBlocks(result: CallToolResult): LangChainContentBlock[] {
  const blocks = (result.content ?? []).map(block);
  if (blocks.length === 0 && result.structuredContent !== undefined)
    blocks.push({ type: 'text', text: JSON.stringify(result.structuredContent) });
  if (blocks.length === 0) blocks.push({ type: 'text', text: result.isError ? 'the tool failed' : '' });
  return blocks;
}
