/**
 * The last step of every request a caller makes: the interceptor chain around it, then the SDK
 * request on the session the server's runtime selects, through the session's request-only handle.
 * It is the only place that turns a berth call into an SDK request; with no interceptors the hot path
 * allocates no context.
 */
import type { Client, Tool } from '@modelcontextprotocol/client';
import type { Skill } from '@modelcontextprotocol/client/ext/skills';
import { BerthError, CallAbortedError, CallTimeoutError, RequestFailedError } from '../errors.js';
import { requestOnCurrent, type ServerRuntime } from '../scope/index.js';
import { settledBy } from '../util/abort.js';
import type { Deadline } from '../util/deadline.js';
import { compose, type InterceptedMethod, type Middleware, type RequestContext } from './middleware.js';
import type { CallOptions } from './options.js';

/** Where the dispatcher finds the runtime serving a server now. */
export interface RuntimeLookup {
  get(name: string): ServerRuntime | undefined;
}

/** A call's options once it has entered berth: its deadline is fixed. */
export type DispatchOptions = CallOptions & { deadline: Deadline };

/** Runs requests through the host's interceptors to a runtime. */
export class Dispatcher {
  readonly #middlewares: Middleware[] = [];
  #chain = compose([]);
  readonly #runtimes: RuntimeLookup;

  constructor(runtimes: RuntimeLookup) {
    this.#runtimes = runtimes;
  }

  /** Adds interceptors, outermost first (after those added before). */
  use(middlewares: readonly Middleware[]): void {
    this.#middlewares.push(...middlewares);
    this.#chain = compose([...this.#middlewares]);
  }

  /**
   * Sends one request through the interceptors to `runtime`, which picks the session. `name` is the
   * catalog name the caller used; `toolDefinition` the catalog's definition of the tool called. A
   * request the runtime refused unsent because a replacement took over (`replace`, `reload`) goes to
   * the replacement, within the same deadline.
   */
  send<T>(
    runtime: ServerRuntime,
    method: InterceptedMethod,
    params: Record<string, unknown>,
    options: DispatchOptions,
    name?: string,
    toolDefinition?: Tool,
  ): Promise<T> {
    const current = () => this.#runtimes.get(runtime.name);
    const perform = (wire: Record<string, unknown>, headers?: Record<string, string>): Promise<T> =>
      requestOnCurrent(
        runtime,
        current,
        (session, timeout) => {
          const sendOptions = {
            signal: options.signal,
            timeout,
            onprogress: options.onProgress,
            headers,
            // A gateway takes a 2026 server's input_required result to pass on to its client.
            ...(options.inputRequired === 'return' && { allowInputRequired: true }),
            // For tools/call: the catalog's definition spares the SDK a response-cache lookup per call
            // (not if an interceptor renamed the tool).
            toolDefinition: toolDefinition?.name === wire.name ? toolDefinition : undefined,
          };
          switch (method) {
            case 'tools/call':
              return session.callTool(wire as Parameters<Client['callTool']>[0], sendOptions) as Promise<T>;
            case 'prompts/get':
              return session.getPrompt(wire as Parameters<Client['getPrompt']>[0], sendOptions) as Promise<T>;
            case 'resources/read':
              return session.readResource(
                wire as Parameters<Client['readResource']>[0],
                sendOptions,
              ) as Promise<T>;
            case 'completion/complete':
              return session.complete(wire as Parameters<Client['complete']>[0], sendOptions) as Promise<T>;
            case 'skills/list':
              return session.skills.list({}, sendOptions) as Promise<T>;
            case 'skills/read':
              return session.skills.read(
                wire.skill as Skill,
                wire.ref as string | undefined,
                sendOptions,
              ) as Promise<T>;
          }
        },
        options,
      ).catch((error: unknown) => {
        // The SDK's errors (a server's JSON-RPC error, an output schema mismatch) name no server.
        throw BerthError.is(error) ? error : new RequestFailedError(runtime.name, method, error);
      });
    if (this.#middlewares.length === 0) return perform(params);
    const ctx: RequestContext = {
      server: runtime.name,
      transport: runtime.spec.transport,
      method,
      params,
      headers: {},
      name,
      key: options.key,
      context: options.context ?? {},
    };
    let sent = false;
    const chain = this.#chain(ctx, () => {
      sent = true;
      return perform(ctx.params, Object.keys(ctx.headers).length > 0 ? ctx.headers : undefined);
    }) as Promise<T>;
    return withinBudget(chain, runtime.name, options, () => sent);
  }
}

/**
 * Bounds an interceptor chain by the call's deadline and signal: interceptors are caller code inside
 * the call's budget, and one that hangs (never calls `next`, or never returns) must not hold the call
 * forever. At the deadline the call fails with a `CallTimeoutError` that says whether the request had
 * been handed on (`sent()`); a request handed on is bounded by the same deadline below, and one
 * handed on late is never sent (the session owner checks the deadline). The chain keeps running.
 */
async function withinBudget<T>(
  chain: Promise<T>,
  server: string,
  options: DispatchOptions,
  sent: () => boolean,
): Promise<T> {
  const { deadline, signal } = options;
  const outcome = await settledBy(chain, deadline.at, signal);
  if (outcome === 'aborted') throw new CallAbortedError(server, { cause: signal?.reason });
  if (outcome === 'timeout') throw new CallTimeoutError(server, deadline.timeoutMs, sent());
  return chain;
}
