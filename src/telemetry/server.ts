/**
 * Server-side telemetry of the gateway: a SERVER span and an `mcp.server.operation.duration` sample
 * for every request a client sends it, parented on the trace context the client put in
 * `params._meta` (so a trace runs agent → gateway → upstream server: the host's client spans for the
 * upstream requests are the server span's children), and `mcp.server.session.duration` per client
 * session. Propagation values are read only when they are strings of sane length; a malformed one
 * starts a new trace, it never fails a request.
 */
import type { Link, Span } from '@opentelemetry/api';
import { VERSION } from '../util/version.js';
import { otel, tracingIdle, type Otel } from './api.js';
import {
  ATTR,
  propagationCarrier,
  requestAttributes,
  responseOutcome,
  thrownErrorType,
  type Attributes,
} from './conventions.js';
import { Meters, SCOPE_NAME } from './metrics.js';

const SPAN_KIND_SERVER = 1;
const STATUS_ERROR = 2;
/** The 2026-07-28 envelope key of the protocol version a request was sent for. */
const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

/** What the SDK hands a request handler, as far as telemetry reads it. */
interface HandlerContext {
  sessionId?: string;
  http?: unknown;
  mcpReq?: { id?: unknown; _meta?: unknown; envelope?: Record<string, unknown> };
}

type Handler = (request: { method?: string; params?: unknown }, ctx: HandlerContext) => unknown;

let meters: Meters | undefined;
/** The gateway's instruments (on the global meter provider). */
function gatewayMeters(api: Otel): Meters {
  return (meters ??= new Meters(api));
}

/**
 * Traces every request handler registered on `server` (an SDK `Server`) from now on. Without the
 * OpenTelemetry API it does nothing: the handlers are registered as they are.
 */
export function traceServerRequests(server: object): void {
  const api = otel();
  if (!api) return;
  const target = server as {
    setRequestHandler: (...args: unknown[]) => void;
    getNegotiatedProtocolVersion?: () => string | undefined;
  };
  const register = target.setRequestHandler.bind(server);
  const version = () => target.getNegotiatedProtocolVersion?.();
  target.setRequestHandler = (...args: unknown[]) => {
    const method = args[0];
    const handler = args[args.length - 1];
    if (typeof method !== 'string' || typeof handler !== 'function') return register(...args);
    const traced: Handler = (request, ctx) =>
      handled(api, method, request, ctx, version, () => (handler as Handler)(request, ctx));
    return register(...args.slice(0, -1), traced);
  };
}

/** Runs one request's handler inside its SERVER span. */
async function handled(
  api: Otel,
  method: string,
  request: { params?: unknown },
  ctx: HandlerContext,
  negotiated: () => string | undefined,
  run: () => unknown,
): Promise<unknown> {
  // Nothing registered to record it: the handler runs as it is.
  if (tracingIdle(api) && gatewayMeters(api).idle()) return run();
  const started = performance.now();
  const { context, trace, propagation } = api;
  const params = request.params as { _meta?: unknown } | undefined;
  const { name, attributes } = requestAttributes(method, params);
  attributes[ATTR.networkTransport] = ctx.http ? 'tcp' : 'pipe';
  const envelopeVersion = ctx.mcpReq?.envelope?.[PROTOCOL_VERSION_KEY];
  const version = typeof envelopeVersion === 'string' ? envelopeVersion : negotiated();
  if (version) attributes[ATTR.protocolVersion] = version;
  const ambient = context.active();
  const carrier = propagationCarrier(params?._meta ?? ctx.mcpReq?._meta);
  const parent = carrier ? propagation.extract(ambient, carrier) : ambient;
  // The conventions: the client's context is the parent; the ambient one (an HTTP server span) a link.
  const ambientSpan = carrier ? trace.getSpan(ambient)?.spanContext() : undefined;
  const links: Link[] =
    ambientSpan && trace.isSpanContextValid(ambientSpan) ? [{ context: ambientSpan }] : [];
  // Asked of the global provider each time: one registered (or replaced) later is used from then on.
  const span: Span = trace
    .getTracer(SCOPE_NAME, VERSION)
    .startSpan(name, { kind: SPAN_KIND_SERVER, attributes, links }, parent);
  const id = ctx.mcpReq?.id;
  if (typeof id === 'string' || typeof id === 'number') span.setAttribute(ATTR.requestId, String(id));
  if (ctx.sessionId) span.setAttribute(ATTR.sessionId, ctx.sessionId);
  let outcome: { errorType?: string; statusCode?: string; message?: string };
  try {
    const result = await context.with(trace.setSpan(parent, span), run);
    outcome = responseOutcome(method, { result });
    return result;
  } catch (error) {
    outcome = thrownErrorType(error);
    throw error;
  } finally {
    finish(api, span, attributes, outcome!, started);
  }
}

function finish(
  api: Otel,
  span: Span,
  attributes: Attributes,
  outcome: { errorType?: string; statusCode?: string; message?: string },
  started: number,
): void {
  if (outcome.errorType) {
    attributes[ATTR.errorType] = outcome.errorType;
    span.setAttribute(ATTR.errorType, outcome.errorType);
    if (outcome.statusCode) {
      attributes[ATTR.statusCode] = outcome.statusCode;
      span.setAttribute(ATTR.statusCode, outcome.statusCode);
    }
    span.setStatus({ code: STATUS_ERROR, ...(outcome.message && { message: outcome.message }) });
  }
  span.end();
  const { [ATTR.resourceUri]: _uri, ...metric } = attributes;
  gatewayMeters(api)
    .current()
    .serverOperation.record((performance.now() - started) / 1000, metric);
}

/** Starts measuring one client session of the gateway; the returned function ends it. */
export function serverSessionStarted(network: 'pipe' | 'tcp'): () => void {
  const api = otel();
  if (!api) return () => {};
  const started = performance.now();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    gatewayMeters(api)
      .current()
      .serverSession.record((performance.now() - started) / 1000, { [ATTR.networkTransport]: network });
  };
}
