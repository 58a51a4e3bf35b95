/**
 * A scripted model for Mastra's real agent loop: the AI SDK's own `MockLanguageModelV4` (the spec
 * Mastra 1.x runs for AI SDK 7 models), answering each step from the prompt alone, so any number of
 * conversations can interleave on one model.
 */
import { MockLanguageModelV4 } from 'ai/test';
import { convertArrayToReadableStream } from 'ai/test';
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';

/** A tool call the script asks for. */
export interface ScriptedCall {
  tool: string;
  args?: Record<string, unknown>;
}

/** A tool result as the model received it in its prompt. */
export interface SeenResult {
  toolName: string;
  output: { type: string; value?: unknown };
}

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/** The tool results of the current turn (after the last user message; memory recalls older ones), in order. */
export function resultsIn(prompt: readonly unknown[]): SeenResult[] {
  const turn = prompt.findLastIndex((message) => (message as { role: string }).role === 'user');
  return prompt.slice(turn + 1).flatMap((message) => {
    const { role, content } = message as { role: string; content: unknown };
    if (role !== 'tool' || !Array.isArray(content)) return [];
    return content.filter((part: { type?: string }) => part.type === 'tool-result') as SeenResult[];
  });
}

/**
 * A model that makes the calls of `script` one per step (step n is the n-th tool result seen in the
 * prompt), then answers with `final` of the results it saw.
 */
export function scriptedModel(
  script: (seen: SeenResult[]) => ScriptedCall | undefined,
  final: (seen: SeenResult[]) => string = (seen) => JSON.stringify(seen.at(-1)?.output ?? null),
  /** Runs before each step is answered (to change the world between steps). */
  beforeStep?: (seen: SeenResult[]) => Promise<void>,
): MockLanguageModelV4 {
  let calls = 0;
  const step = async (prompt: readonly unknown[]) => {
    const seen = resultsIn(prompt);
    await beforeStep?.(seen);
    return { next: script(seen), seen, id: `call-${++calls}` };
  };
  return new MockLanguageModelV4({
    // Mastra's `generate` asks for a whole answer, `stream` for a stream: the script answers both.
    doGenerate: async ({ prompt }) => {
      const { next, seen, id } = await step(prompt);
      return next
        ? {
            content: [
              {
                type: 'tool-call',
                toolCallId: id,
                toolName: next.tool,
                input: JSON.stringify(next.args ?? {}),
              },
            ],
            finishReason: { unified: 'tool-calls', raw: undefined },
            usage,
            warnings: [],
          }
        : {
            content: [{ type: 'text', text: final(seen) }],
            finishReason: { unified: 'stop', raw: undefined },
            usage,
            warnings: [],
          };
    },
    doStream: async ({ prompt }) => {
      const { next, seen, id } = await step(prompt);
      const parts: LanguageModelV4StreamPart[] = next
        ? [
            { type: 'stream-start', warnings: [] },
            {
              type: 'tool-call',
              toolCallId: id,
              toolName: next.tool,
              input: JSON.stringify(next.args ?? {}),
            },
            { type: 'finish', finishReason: { unified: 'tool-calls', raw: undefined }, usage },
          ]
        : [
            { type: 'stream-start', warnings: [] },
            { type: 'text-start', id },
            { type: 'text-delta', id, delta: final(seen) },
            { type: 'text-end', id },
            { type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage },
          ];
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
}
