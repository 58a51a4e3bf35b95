/**
 * The OpenTelemetry semantic conventions for MCP (docs/gen-ai/mcp.md of the GenAI conventions), as
 * berth applies them: attribute names, span names, what a request says about its target, how a
 * response is classified, and the trace-context keys of `params._meta`. Pure functions, no API.
 */

/** Attribute keys (MCP, GenAI, JSON-RPC, network, server, error). */
export const ATTR = {
  method: 'mcp.method.name',
  protocolVersion: 'mcp.protocol.version',
  sessionId: 'mcp.session.id',
  resourceUri: 'mcp.resource.uri',
  requestId: 'jsonrpc.request.id',
  statusCode: 'rpc.response.status_code',
  errorType: 'error.type',
  operation: 'gen_ai.operation.name',
  toolName: 'gen_ai.tool.name',
  promptName: 'gen_ai.prompt.name',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
  networkTransport: 'network.transport',
  networkProtocol: 'network.protocol.name',
  serverAddress: 'server.address',
  serverPort: 'server.port',
} as const;

/** berth's own attribute: the configured name of the server a span or sample belongs to. */
export const SERVER_NAME_ATTR = 'berth.server.name';

/** The conventions' bucket advice for every MCP duration histogram (seconds). */
export const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** The `params._meta` keys trace context travels in (unprefixed, per SEP-414). */
export const PROPAGATION_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;

/**
 * The longest propagation value berth reads from a peer's `_meta` (W3C Baggage allows 8192 bytes;
 * `traceparent` and `tracestate` are far shorter). Longer values, and values that are not strings,
 * are ignored rather than parsed.
 */
export const MAX_PROPAGATION_VALUE = 8192;

/** Attributes of one request (span and metric alike), before its outcome. */
export type Attributes = Record<string, string | number | boolean>;

/** What a request's params say about its target, and the span name that follows. */
export function requestAttributes(method: string, params: unknown): { name: string; attributes: Attributes } {
  const attributes: Attributes = { [ATTR.method]: method };
  const p = params && typeof params === 'object' ? (params as Record<string, unknown>) : {};
  let target: string | undefined;
  if (method === 'tools/call') {
    attributes[ATTR.operation] = 'execute_tool';
    if (typeof p.name === 'string') attributes[ATTR.toolName] = target = p.name;
  } else if (method === 'prompts/get') {
    if (typeof p.name === 'string') attributes[ATTR.promptName] = target = p.name;
  } else if (
    method === 'resources/read' ||
    method === 'resources/subscribe' ||
    method === 'resources/unsubscribe'
  ) {
    // The URI is an attribute, never the span name (the conventions: high cardinality).
    if (typeof p.uri === 'string') attributes[ATTR.resourceUri] = p.uri;
  }
  return { name: target === undefined ? method : `${method} ${target}`, attributes };
}

/** The low-cardinality outcome of a response: its JSON-RPC error code, `tool_error`, or none. */
export function responseOutcome(
  method: string,
  response: { result?: unknown; error?: unknown },
): { errorType?: string; statusCode?: string; message?: string } {
  if (response.error && typeof response.error === 'object') {
    const { code, message } = response.error as { code?: unknown; message?: unknown };
    const statusCode = typeof code === 'number' ? String(code) : '_OTHER';
    return {
      errorType: statusCode,
      statusCode,
      ...(typeof message === 'string' && { message: message.slice(0, 1024) }),
    };
  }
  if (
    method === 'tools/call' &&
    response.result &&
    typeof response.result === 'object' &&
    (response.result as { isError?: unknown }).isError === true
  ) {
    return { errorType: 'tool_error' };
  }
  return {};
}

/** The class of a thrown error, low in cardinality: a JSON-RPC code when it carries one. */
export function thrownErrorType(error: unknown): { errorType: string; statusCode?: string; message: string } {
  const message = error instanceof Error ? error.message.slice(0, 1024) : String(error).slice(0, 1024);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number' && Number.isInteger(code)) {
    return { errorType: String(code), statusCode: String(code), message };
  }
  const name = error instanceof Error ? error.constructor.name : '';
  return { errorType: name && name !== 'Error' ? name : '_OTHER', message };
}

/**
 * The propagation fields of a peer's `_meta`, as a carrier an OpenTelemetry propagator reads: only
 * the three keys, only string values, none longer than {@link MAX_PROPAGATION_VALUE}.
 */
export function propagationCarrier(meta: unknown): Record<string, string> | undefined {
  if (!meta || typeof meta !== 'object') return undefined;
  let carrier: Record<string, string> | undefined;
  for (const key of PROPAGATION_KEYS) {
    const value = (meta as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.length <= MAX_PROPAGATION_VALUE) (carrier ??= {})[key] = value;
  }
  return carrier;
}

/** `value` as a JSON string for an opt-in content attribute (undefined when there is none). */
export function contentAttribute(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
