/**
 * Interceptors that carry a caller's identity to every server, whatever its transport: per-request
 * HTTP headers for Streamable HTTP / SSE servers, and per-request `_meta` (which every transport
 * carries, stdio included).
 */
import type { Middleware, RequestContext } from '../host/middleware.js';

/** Adds the headers `headersFor(ctx)` returns to HTTP requests (stdio servers have no headers). */
export function injectHeaders(
  headersFor: (ctx: RequestContext) => Record<string, string> | undefined,
): Middleware {
  return async function injectHeadersMiddleware(ctx, next) {
    if (ctx.transport !== 'stdio') Object.assign(ctx.headers, headersFor(ctx));
    return next();
  };
}

/** Merges what `metaFor(ctx)` returns into the request's `_meta`, on every transport. */
export function injectMeta(
  metaFor: (ctx: RequestContext) => Record<string, unknown> | undefined,
): Middleware {
  return async function injectMetaMiddleware(ctx, next) {
    const meta = metaFor(ctx);
    if (meta) ctx.params = { ...ctx.params, _meta: { ...(ctx.params._meta as object | undefined), ...meta } };
    return next();
  };
}
