/**
 * `berth/langchain`: berth's tools as LangChain structured tools (`@langchain/core` 1.x), for
 * langchain's `createAgent`, LangGraph and `model.bindTools()`, with a session of every keyed server
 * per LangChain thread (`configurable.thread_id`). `@langchain/core` is an optional peer dependency
 * of berth; `langchainMiddleware` is for `createAgent` (package `langchain` 1.x).
 */
export {
  langchainTools,
  toLangChainTool,
  McpToolError,
  LangChainKeyRequiredError,
  PROGRESS_EVENT,
  type LangChainToolsOptions,
  type LangChainProgressEvent,
  type LangChainToolInput,
} from './tools.js';
export { langchainMiddleware, type LangChainToolsMiddleware } from './middleware.js';
export { toContentBlocks, type LangChainContentBlock } from './content.js';
