/**
 * `berth/ai`: berth's tools as AI SDK tools (`ai` 7, an optional peer dependency; Node >= 22).
 *
 * ```ts
 * import { aiTools } from 'berth/ai';
 * await generateText({ model, tools: aiTools(host, { key: conversationId }), prompt, stopWhen: stepCountIs(5) });
 * ```
 */
export {
  aiTools,
  aiToolsContext,
  AiToolError,
  type AiToolSet,
  type AiToolsOptions,
  type AiToolContext,
} from './tools.js';
export { toModelOutput, type ToolResultOutput } from './output.js';
