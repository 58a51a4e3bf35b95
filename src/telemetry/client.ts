/**
 * Client-side telemetry of one host: a CLIENT span and an `mcp.client.operation.duration` sample for
 * every request berth sends to a server, the trace context injected into each request's
 * `params._meta`, and `mcp.client.session.duration` per session. It works at the one place every
 * request passes: the transport under the SDK client (`traceTransport`), where the JSON-RPC id, the
 * method, the response and the transport's end are all visible. When an agent framework's
 * `execute_tool` span is already the active span, the MCP attributes go on it instead of a nested
 * duplicate (the conventions' rule).
 */
import type { Span, TracerProvider, MeterProvider, Context } from '@opentelemetry/api';
import type { JSONRPCMessage, Transport, TransportSendOptions } from '@modelcontextprotocol/client';
import { VERSION } from '../util/version.js';
import { otel, tracingIdle, type Otel } from './api.js';
import {
  ATTR,
  SERVER_NAME_ATTR,
  contentAttribute,
  requestAttributes,
  responseOutcome,
  thrownErrorType,
  type Attributes,
} from './conventions.js';
import { observeHost } from './host-metrics.js';
import { Meters, SCOPE_NAME } from './metrics.js';
import type {
  ClientTelemetry,
  HostMetrics,
  StatusRowLike,
  TelemetryOptions,
  TransportInfo,
} from './types.js';

/** One request in flight on a traced transport. */
interface Pending {
  method: string;
  /** The span berth started, or the outer `execute_tool` span it annotates (not ended by berth). */
  span: Span;
  owned: boolean;
  attributes: Attributes;
  started: number;
}

const SPAN_KIND_INTERNAL = 0;
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

/** The telemetry of a host, if the API was loaded (see `loadOtel`); undefined without it. */
export function createClientTelemetry(options: TelemetryOptions = {}): ClientTelemetry | undefined {
  const api = otel();
  return api && new HostTelemetry(api, options);
}

/** A host's client telemetry. */
class HostTelemetry implements ClientTelemetry {
  readonly api: Otel;
  readonly meters: Meters;
  readonly #tracerProvider: TracerProvider;
  readonly #captureContent: boolean;
  readonly #reuseToolSpan: boolean;
  /** Whether the tracer provider is the global one (so it can be found to be the API's no-op). */
  readonly #globalTracer: boolean;
  /** Outer spans already annotated by one request (a second request under it gets its own span). */
  readonly #claimed = new WeakSet<Span>();

  constructor(api: Otel, options: TelemetryOptions) {
    this.api = api;
    // The global provider is asked each time: one registered (or replaced) later is used from then on.
    this.#tracerProvider = (options.tracerProvider as TracerProvider | undefined) ?? api.trace;
    this.#globalTracer = options.tracerProvider === undefined;
    this.meters = new Meters(api, options.meterProvider as MeterProvider | undefined);
    this.#captureContent = options.captureContent === true;
    this.#reuseToolSpan = options.reuseToolSpan !== false;
  }

  observeHost(status: () => readonly StatusRowLike[]): HostMetrics {
    return observeHost(this.meters, status);
  }

  /** `transport`, with every request it carries traced, measured and given the trace context. */
  traceTransport(transport: Transport, info: TransportInfo): Transport {
    return new TracedTransport(transport, this, info);
  }

  /** Starts measuring one session; the returned function ends it (failed: with `error.type`). */
  sessionStarted(info: TransportInfo): (errorType?: string) => void {
    const started = performance.now();
    return (errorType) => {
      const attributes = baseAttributes(info);
      if (errorType) attributes[ATTR.errorType] = errorType;
      this.meters.current().clientSession.record((performance.now() - started) / 1000, attributes);
    };
  }

  /**
   * Whether a request traced now would leave no trace at all: no tracer provider, no meter provider
   * and no propagator registered, and no recording span active. Asked on each request (cheaply), so
   * a provider registered later is used from its next request; until then a request costs nothing.
   */
  idle(): boolean {
    return this.#globalTracer && this.meters.idle() && tracingIdle(this.api);
  }

  /** Starts the span of a request (or claims the outer tool span); returns the context to propagate. */
  start(method: string, attributes: Attributes, name: string): { span: Span; owned: boolean; ctx: Context } {
    const { context, trace } = this.api;
    const active = context.active();
    const outer = this.#reuseToolSpan && method === 'tools/call' ? trace.getSpan(active) : undefined;
    if (outer && isToolExecutionSpan(outer) && !this.#claimed.has(outer)) {
      this.#claimed.add(outer);
      const readable = (outer as { attributes?: Record<string, unknown> }).attributes ?? {};
      const extra = { ...attributes };
      if (readable[ATTR.toolName] !== undefined) delete extra[ATTR.toolName]; // the agent's name for it stays
      outer.setAttributes(extra);
      return { span: outer, owned: false, ctx: active };
    }
    const span = this.#tracerProvider
      .getTracer(SCOPE_NAME, VERSION)
      .startSpan(name, { kind: SPAN_KIND_CLIENT, attributes }, active);
    return { span, owned: true, ctx: trace.setSpan(active, span) };
  }

  /** Whether tool arguments and results go on spans. */
  get captureContent(): boolean {
    return this.#captureContent;
  }
}

/** An agent framework's span for a tool's execution (an SDK span whose attributes can be read). */
function isToolExecutionSpan(span: Span): boolean {
  if (!span.isRecording()) return false;
  const { attributes, kind } = span as { attributes?: Record<string, unknown>; kind?: number };
  return (
    attributes?.[ATTR.operation] === 'execute_tool' && (kind === undefined || kind === SPAN_KIND_INTERNAL)
  );
}

/** The attributes every span and sample of a server carries. */
function baseAttributes(info: TransportInfo): Attributes {
  const attributes: Attributes = { [SERVER_NAME_ATTR]: info.server, [ATTR.networkTransport]: info.network };
  if (info.url) {
    attributes[ATTR.serverAddress] = info.url.hostname.replace(/^\[|\]$/g, '');
    attributes[ATTR.serverPort] = Number(info.url.port) || (info.url.protocol === 'https:' ? 443 : 80);
    attributes[ATTR.networkProtocol] = 'http';
  }
  const version = info.protocolVersion();
  if (version) attributes[ATTR.protocolVersion] = version;
  return attributes;
}

/**
 * A transport that traces the requests it sends and the responses it receives, and forwards the
 * rest to the transport it wraps (which stays the connection's own: it closes it, it reads its state).
 */
class TracedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  readonly #inner: Transport;
  readonly #telemetry: HostTelemetry;
  readonly #info: TransportInfo;
  readonly #pending = new Map<string | number, Pending>();

  constructor(inner: Transport, telemetry: HostTelemetry, info: TransportInfo) {
    this.#inner = inner;
    this.#telemetry = telemetry;
    this.#info = info;
    inner.onclose = () => {
      this.#endAll({ errorType: 'connection_closed', message: 'the connection closed before the response' });
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      if (this.#pending.size > 0) this.#received(message);
      this.onmessage?.(message, extra);
    };
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }
  set sessionId(id: string | undefined) {
    this.#inner.sessionId = id;
  }
  get hasPerRequestStream(): boolean | undefined {
    return this.#inner.hasPerRequestStream;
  }
  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }
  setSupportedProtocolVersions(versions: string[]): void {
    this.#inner.setSupportedProtocolVersions?.(versions);
  }
  start(): Promise<void> {
    return this.#inner.start();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (!('method' in message)) return this.#inner.send(message, options);
    if (!('id' in message)) {
      if (message.method === 'notifications/cancelled') this.#cancelled(message.params);
      return this.#inner.send(message, options);
    }
    // Nothing registered to record it: the request goes as it is, and its response is not looked for.
    if (this.#telemetry.idle()) return this.#inner.send(message, options);
    const { id, method } = message;
    const { name, attributes } = requestAttributes(method, message.params);
    Object.assign(attributes, baseAttributes(this.#info));
    const telemetry = this.#telemetry;
    const { span, owned, ctx } = telemetry.start(method, attributes, name);
    span.setAttribute(ATTR.requestId, String(id));
    const session = this.#inner.sessionId;
    if (session) span.setAttribute(ATTR.sessionId, session);
    if (telemetry.captureContent && method === 'tools/call') {
      const args = contentAttribute((message.params as { arguments?: unknown } | undefined)?.arguments);
      if (args !== undefined) span.setAttribute(ATTR.toolArguments, args);
    }
    const carrier: Record<string, string> = {};
    telemetry.api.propagation.inject(ctx, carrier);
    let outgoing: JSONRPCMessage = message;
    if (Object.keys(carrier).length > 0) {
      const params = (message.params ?? {}) as Record<string, unknown>;
      const meta = (params._meta ?? {}) as Record<string, unknown>;
      outgoing = { ...message, params: { ...params, _meta: { ...meta, ...carrier } } };
    }
    this.#pending.set(id, { method, span, owned, attributes, started: performance.now() });
    options?.requestSignal?.addEventListener('abort', () => this.#end(id, { errorType: 'cancelled' }), {
      once: true,
    });
    try {
      await this.#inner.send(outgoing, options);
    } catch (error) {
      this.#end(id, thrownErrorType(error));
      throw error;
    }
  }

  #received(message: JSONRPCMessage): void {
    if ('method' in message || !('id' in message) || message.id === null || message.id === undefined) return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    const response = message as { result?: unknown; error?: unknown };
    const outcome = responseOutcome(pending.method, response);
    if (
      !outcome.errorType &&
      this.#telemetry.captureContent &&
      pending.method === 'tools/call' &&
      response.result
    ) {
      const { structuredContent, content } = response.result as {
        structuredContent?: unknown;
        content?: unknown;
      };
      const result = contentAttribute(structuredContent ?? content);
      if (result !== undefined) pending.span.setAttribute(ATTR.toolResult, result);
    }
    this.#end(message.id, outcome);
  }

  #cancelled(params: unknown): void {
    const { requestId, reason } = (params ?? {}) as { requestId?: string | number; reason?: unknown };
    if (requestId === undefined) return;
    const timedOut = typeof reason === 'string' && /timed? ?out/i.test(reason);
    this.#end(requestId, { errorType: timedOut ? 'timeout' : 'cancelled' });
  }

  #end(id: string | number, outcome: { errorType?: string; statusCode?: string; message?: string }): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    const { span, attributes } = pending;
    const version = this.#info.protocolVersion();
    if (version) attributes[ATTR.protocolVersion] = version;
    if (outcome.errorType) attributes[ATTR.errorType] = outcome.errorType;
    if (outcome.statusCode) attributes[ATTR.statusCode] = outcome.statusCode;
    const session = this.#inner.sessionId;
    if (session) span.setAttribute(ATTR.sessionId, session);
    if (version) span.setAttribute(ATTR.protocolVersion, version);
    if (outcome.errorType) {
      span.setAttribute(ATTR.errorType, outcome.errorType);
      if (outcome.statusCode) span.setAttribute(ATTR.statusCode, outcome.statusCode);
      span.setStatus({ code: STATUS_ERROR, ...(outcome.message && { message: outcome.message }) });
    }
    if (pending.owned) span.end();
    this.#telemetry.meters
      .current()
      .clientOperation.record((performance.now() - pending.started) / 1000, metricAttributes(attributes));
  }

  #endAll(outcome: { errorType: string; message: string }): void {
    for (const id of [...this.#pending.keys()]) this.#end(id, outcome);
  }
}

/** A span's attributes without the high-cardinality ones metrics must not carry. */
function metricAttributes(attributes: Attributes): Attributes {
  const { [ATTR.resourceUri]: _uri, ...rest } = attributes;
  return rest;
}
