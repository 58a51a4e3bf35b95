/**
 * Interceptors: a middleware chain around every request berth sends on a caller's behalf (tool
 * calls, prompts, resource reads, completions, skills). Each middleware gets the request's context and a
 * `next()` that runs the rest of the chain and finally the request itself; it may read or change the
 * params and headers, return a different result, or throw to refuse the call. The chain runs in the
 * caller's call path, never on a shared connection's lifecycle. Composition follows Hono's
 * `compose.ts`: a `dispatch(i)` that refuses a second `next()` from the same middleware. What an
 * interceptor throws reaches the caller as a berth error (its own berth errors as they are, anything
 * else as an `InterceptorError`); errors of the request itself pass through unchanged.
 */
import type { ServerSpec } from '../config/types.js';
import { BerthError, InterceptorError } from '../errors.js';

/**
 * The request methods interceptors see. `skills/read` is reading one file of a skill (a
 * `resources/read` on the wire, verified against the skill's entry); its params are `{ skill, ref }`.
 */
export type InterceptedMethod =
  'tools/call' | 'prompts/get' | 'resources/read' | 'completion/complete' | 'skills/list' | 'skills/read';

/** What a middleware knows about one request, and may change. */
export interface RequestContext {
  /** The server the request goes to. */
  readonly server: string;
  /** How that server is reached. */
  readonly transport: ServerSpec['transport'];
  readonly method: InterceptedMethod;
  /**
   * The request's params as they will be sent (for `tools/call`: `name` is the server's own tool name,
   * `arguments`, `_meta`). Change them in place or replace the object.
   */
  params: Record<string, unknown>;
  /** Extra HTTP headers for this request (Streamable HTTP servers; stdio has no headers). */
  headers: Record<string, string>;
  /** The catalog name the caller used (`server__tool`), for tool calls and prompts. */
  readonly name?: string;
  /** The session key of the call, if any. */
  readonly key?: string;
  /** The per-call object the caller passed as `context` (an auth identity, a trace, …). */
  readonly context: Readonly<Record<string, unknown>>;
}

/** One interceptor. Call `next()` at most once; return (or transform) its result. */
export type Middleware = (ctx: RequestContext, next: () => Promise<unknown>) => Promise<unknown>;

/** Runs `middlewares` around `handler`, outermost first. */
export function compose(
  middlewares: readonly Middleware[],
): (ctx: RequestContext, handler: () => Promise<unknown>) => Promise<unknown> {
  return (ctx, handler) => {
    let index = -1;
    /** Errors of the request itself, passing back out through the chain: never wrapped. */
    const fromRequest = new WeakSet<object>();
    const own = (error: unknown): Error => {
      if (BerthError.is(error)) return error;
      if (error instanceof Error && fromRequest.has(error)) return error;
      const reason = error instanceof Error ? error.message : String(error);
      return new InterceptorError(ctx.server, ctx.method, reason, { cause: error });
    };
    const dispatch = (i: number): Promise<unknown> => {
      if (i <= index) {
        return Promise.reject(new InterceptorError(ctx.server, ctx.method, 'next() called more than once'));
      }
      index = i;
      const middleware = middlewares[i];
      if (!middleware) {
        return handler().catch((error: unknown) => {
          if (typeof error === 'object' && error !== null) fromRequest.add(error);
          throw error;
        });
      }
      try {
        return Promise.resolve(middleware(ctx, () => dispatch(i + 1))).catch((error: unknown) => {
          throw own(error);
        });
      } catch (error) {
        return Promise.reject(own(error));
      }
    };
    return dispatch(0);
  };
}
