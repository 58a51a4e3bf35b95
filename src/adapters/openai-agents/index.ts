/**
 * `berth/openai-agents`: berth's tools for the OpenAI Agents SDK (`@openai/agents`, an optional peer
 * dependency; Node >= 22): as function tools (`openaiAgentsTools`) or as an `MCPServer`
 * (`berthMcpServer`), with each conversation's keyed sessions on the key its run context gives.
 */
export {
  openaiAgentsTools,
  type OpenAIAgentsOptions,
  type BerthFunctionTool,
  type ToolErrorFormatter,
} from './tools.js';
export { berthMcpServer, BerthMcpServer, type BerthMcpServerOptions } from './server.js';
export {
  ToolResultError,
  describeToolFailure,
  toToolOutput,
  type ToolOutput,
  type ToolOutputItem,
  type OutputOptions,
} from './results.js';
