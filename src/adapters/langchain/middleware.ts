/**
 * The way `createAgent` (langchain 1.x) sees a catalog that changes between steps. `createAgent`
 * binds the tools it is given once, when the agent is built; a middleware's `wrapModelCall` can hand
 * the model a different list at every step, and its `wrapToolCall` must then supply the tool for a
 * name the agent was not built with. This middleware does both from the catalog as it is at that step
 * (a server added with `host.add`, a server's `list_changed`), with the tools of `langchainTools`.
 * It is a plain object branded as LangChain's `createMiddleware` brands its own
 * (`Symbol.for('AgentMiddleware')`), so `berth/langchain` needs no runtime import of `langchain`.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import type { DynamicStructuredTool } from '@langchain/core/tools';
import type { CatalogTool } from '../../index.js';
import { ToolBinding, type ToolSource } from '../core/index.js';
import { toLangChainTool, type LangChainToolsOptions } from './tools.js';

/** LangChain's middleware brand (`MIDDLEWARE_BRAND` in `langchain`, a registered symbol). */
const MIDDLEWARE_BRAND = Symbol.for('AgentMiddleware');

/** The part of a LangChain model request this middleware reads and changes. */
interface ModelRequestLike {
  tools: readonly unknown[];
}

/** The part of a LangChain tool-call request this middleware reads and changes. */
interface ToolCallRequestLike {
  toolCall: { name: string };
  tool?: unknown;
}

/** A LangChain agent middleware (pass it in `createAgent({ middleware: [...] })`). */
export interface LangChainToolsMiddleware {
  readonly name: string;
  /** Gives the model the catalog's tools as they are at this step. */
  wrapModelCall<Request extends ModelRequestLike, Response>(
    request: Request,
    handler: (request: Request) => Response,
  ): Response;
  /** Supplies the berth tool for a call the agent was not built with. */
  wrapToolCall<Request extends ToolCallRequestLike, Response>(
    request: Request,
    handler: (request: Request) => Response,
  ): Response;
}

function nameOf(tool: unknown): string | undefined {
  const name = (tool as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * A `createAgent` middleware that gives the model berth's tools as the catalog is at each model step,
 * and runs them: `createAgent({ model, middleware: [langchainMiddleware(host)] })`. Use it instead
 * of `tools: langchainTools(host)` when servers can be added or their tools can change while an agent
 * lives. Options, keys, results and errors are those of `langchainTools`.
 *
 * Tools passed to `createAgent` directly keep precedence: a berth tool of the same name is not added.
 * Note LangChain's rule for any middleware with `wrapToolCall`: an error thrown by a tool then ends
 * the run instead of going back to the model. berth's tools do not throw for tool errors or berth's
 * failures (they return an error `ToolMessage`), only for an abort or a missing key.
 */
export function langchainMiddleware(
  source: ToolSource,
  options: LangChainToolsOptions & { name?: string } = {},
): LangChainToolsMiddleware {
  const binding = new ToolBinding<RunnableConfig>(source, options);
  // One LangChain tool per catalog tool object: the catalog replaces a tool's object when it
  // changes, so a changed tool gets a new LangChain tool and an unchanged one keeps its own.
  const made = new WeakMap<CatalogTool, DynamicStructuredTool>();
  const langchainTool = (tool: CatalogTool): DynamicStructuredTool => {
    let made_ = made.get(tool);
    if (!made_) {
      made_ = toLangChainTool(tool, binding, options);
      made.set(tool, made_);
    }
    return made_;
  };
  return {
    [MIDDLEWARE_BRAND]: true,
    name: options.name ?? 'berth',
    wrapModelCall(request, handler) {
      const given = new Set(request.tools.map(nameOf));
      const added = binding
        .tools()
        .filter((tool) => !given.has(tool.name))
        .map(langchainTool);
      return handler({ ...request, tools: [...request.tools, ...added] });
    },
    wrapToolCall(request, handler) {
      if (request.tool !== undefined) return handler(request);
      const tool = binding.tools().find((candidate) => candidate.name === request.toolCall.name);
      return handler(tool ? { ...request, tool: langchainTool(tool) } : request);
    },
  } as LangChainToolsMiddleware;
}
