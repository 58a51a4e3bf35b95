/**
 * `berth/mastra`: berth's tools as Mastra tools (`@mastra/core` 1.x, an optional peer dependency;
 * Node >= 22.13), keyed by Mastra's memory thread.
 *
 * ```ts
 * import { mastraTools } from 'berth/mastra';
 * const agent = new Agent({ id, name, instructions, model, memory, tools: mastraTools(host).tools });
 * await agent.generate(prompt, { memory: { thread: conversationId, resource: userId } });
 * ```
 */
export {
  mastraTools,
  ToolResultError,
  type MastraTools,
  type MastraToolsOptions,
  type MastraToolContext,
  type BerthMastraTool,
} from './tools.js';
export { toModelOutput, type ModelOutput, type ModelOutputPart } from './result.js';
