/**
 * How berth's tool results and failures reach an OpenAI Agents SDK model: a `CallToolResult` as a
 * function tool's output in the SDK's native forms (a string, or `text`/`image`/`file` output items),
 * a tool error (`isError`) and berth's own failures as a message the model can read (the SDK's
 * `errorFunction` convention), and an abort kept an abort.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { ToolOutputFileContent, ToolOutputImage, ToolOutputText } from '@openai/agents';
import { BerthError } from '../../index.js';

/** One output item of a function tool, as the SDK reads it. */
export type ToolOutputItem = ToolOutputText | ToolOutputImage | ToolOutputFileContent;

/** A function tool's output: plain text, or a list of text, image and file items. */
export type ToolOutput = string | ToolOutputItem[];

/** How a result becomes output. */
export interface OutputOptions {
  /** Give the model `structuredContent` (as JSON) instead of `content` when a result has it. */
  useStructuredContent?: boolean;
}

type ContentBlock = CallToolResult['content'][number];

/** The last segment of a URI, as a file name (`file`, when there is none). */
function fileName(uri: string, mimeType: string | undefined): string {
  const last = uri.split(/[/:]/).filter(Boolean).pop();
  if (last) return last;
  const extension = mimeType?.split('/')[1]?.split(/[;+]/)[0];
  return extension ? `file.${extension}` : 'file';
}

/** One MCP content block as an SDK output item. */
export function toToolOutputItem(block: ContentBlock): ToolOutputItem {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return { type: 'image', image: { data: block.data, mediaType: block.mimeType } };
    case 'audio':
      return {
        type: 'file',
        file: { data: block.data, mediaType: block.mimeType, filename: fileName('', block.mimeType) },
      };
    case 'resource': {
      const resource = block.resource;
      if ('text' in resource && typeof resource.text === 'string')
        return { type: 'text', text: resource.text };
      const blob = (resource as { blob?: unknown }).blob;
      const mediaType = resource.mimeType ?? 'application/octet-stream';
      if (typeof blob === 'string' && mediaType.startsWith('image/'))
        return { type: 'image', image: { data: blob, mediaType } };
      return {
        type: 'file',
        file: {
          data: typeof blob === 'string' ? blob : '',
          mediaType,
          filename: fileName(resource.uri, mediaType),
        },
      };
    }
    case 'resource_link':
      return {
        type: 'text',
        text: `Resource link: ${block.name} <${block.uri}>${block.mimeType ? ` (${block.mimeType})` : ''}${block.description ? `: ${block.description}` : ''}`,
      };
    default:
      // A block type newer than this adapter: give the model what it is, as JSON.
      return { type: 'text', text: JSON.stringify(block) };
  }
}

/**
 * A tool result as a function tool's output: text alone becomes one string (parts joined by a
 * newline); with images, audio or binary resources, a list of `text`, `image` and `file` items
 * (audio and non-image blobs are files). `structuredContent` is given as JSON when asked for, or when
 * the result has no content.
 */
export function toToolOutput(result: CallToolResult, options: OutputOptions = {}): ToolOutput {
  const structured = result.structuredContent;
  const content = result.content ?? [];
  if (structured !== undefined && (options.useStructuredContent || content.length === 0))
    return JSON.stringify(structured);
  const items = content.map(toToolOutputItem);
  if (items.every((item): item is ToolOutputText => item.type === 'text'))
    return items.map((item) => item.text).join('\n');
  return items;
}

/** The text of a result's content (for a tool error's message). */
function resultText(result: CallToolResult): string {
  const items = (result.content ?? []).map(toToolOutputItem);
  const text = items
    .filter((item): item is ToolOutputText => item.type === 'text')
    .map((item) => item.text)
    .join('\n');
  return text || (result.structuredContent !== undefined ? JSON.stringify(result.structuredContent) : '');
}

/**
 * A tool answered with `isError`: thrown by berth's function tools so that the SDK's `errorFunction`
 * decides what the model sees (berth's default: the tool's own text). `result` is the whole result.
 */
export class ToolResultError extends Error {
  /** The catalog name of the tool. */
  readonly tool: string;
  /** The tool's result, as the server sent it. */
  readonly result: CallToolResult;

  constructor(tool: string, result: CallToolResult) {
    super(`tool "${tool}" returned an error: ${resultText(result) || '(no text)'}`);
    this.name = 'ToolResultError';
    this.tool = tool;
    this.result = result;
  }
}

/**
 * berth's default `errorFunction`: what the model reads when a call fails. A tool error gives the
 * tool's own text; a berth failure (server unavailable, timeout, a keyed server called without a
 * key…) its one-line message with its code, so the model (and whoever reads the transcript) can tell
 * what happened; anything else its message.
 */
export function describeToolFailure(error: unknown): string {
  if (error instanceof ToolResultError) return `Error: ${resultText(error.result) || 'the tool failed'}`;
  if (error instanceof BerthError) return `Error (${error.code}): ${error.message}`;
  if (error instanceof Error) return `Error: ${error.message}`;
  return `Error: ${String(error)}`;
}

/**
 * Runs a berth call for the SDK: when the SDK's signal aborted, throws the signal's reason instead of
 * berth's `CallAbortedError`, so the SDK sees a cancellation, not a tool failure to report to the model.
 */
export async function keepAbort<T>(signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}
