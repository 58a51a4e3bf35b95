/**
 * Request logging with secrets redacted: one structured entry per request (server, method, name,
 * key, duration, outcome, params), where the values of secret-looking keys (`token`, `password`,
 * `secret`, `authorization`, `apiKey`, … and any you add) are replaced before the entry leaves berth.
 */
import type { Middleware, RequestContext } from '../host/middleware.js';
import { redact } from '../log/secrets.js';

export { redact };

/** One logged request. */
export interface RequestLogEntry {
  server: string;
  method: RequestContext['method'];
  name?: string;
  key?: string;
  durationMs: number;
  outcome: 'ok' | 'error';
  /** The request params, redacted. */
  params: unknown;
  /** The error's message, for failed requests. */
  error?: string;
}

/** Options for `logRequests`. */
export interface LogRequestsOptions {
  /** Receives each entry (after the request has finished). */
  log: (entry: RequestLogEntry) => void;
  /** More key patterns to redact, besides the built-in ones. */
  redactKeys?: RegExp[];
}

/** Builds the logging interceptor. */
export function logRequests(options: LogRequestsOptions): Middleware {
  const extra = options.redactKeys ?? [];
  return async function logRequestsMiddleware(ctx, next) {
    const started = performance.now();
    const entry = (outcome: 'ok' | 'error', error?: unknown): RequestLogEntry => ({
      server: ctx.server,
      method: ctx.method,
      name: ctx.name,
      key: ctx.key,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      outcome,
      params: redact(ctx.params, extra),
      ...(error !== undefined && { error: error instanceof Error ? error.message : JSON.stringify(error) }),
    });
    try {
      const result = await next();
      options.log(entry('ok'));
      return result;
    } catch (error) {
      options.log(entry('error', error));
      throw error;
    }
  };
}
