/**
 * The gateway's Streamable HTTP face: a fetch-style `(Request) => Promise<Response>` handler. It
 * owns the checks every request passes before any MCP code sees it (path, Host and Origin, auth,
 * requests in flight per principal, content type, body size, JSON shape), the 2025-era client
 * sessions (an SDK sessionful transport and server per session, bound to its principal), and the
 * 2026-07-28 path (the SDK's per-request handler). Both eras answer from the same client server.
 */
import { randomBytes } from 'node:crypto';
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  isInitializeRequest,
  isJSONRPCRequest,
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
  readRequestBody,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import { isIP } from 'node:net';
import type { Authenticator, Principal } from './auth.js';
import { conversationKey, type Conversation, type EndReason } from './conversations.js';
import { createClientServer, envelopeCapabilities } from './client-server.js';
import { CONVERSATION_META_KEY, END_CONVERSATION_HEADER } from './keys.js';
import type { Gateway } from './gateway.js';
import { serverSessionStarted } from '../telemetry/server.js';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.js';
import { SILENT_LOGGER, type Logger } from '../log/logger.js';
import type { Cluster } from '../cluster/cluster.js';

/** Seconds a client is told to wait when the gateway is at its session cap. */
const RETRY_AFTER_SECONDS = 5;
/** The longest JSON-RPC id (as a string) or conversation key the gateway accepts. */
const MAX_ID_LENGTH = 256;

/** One 2025-era client session: its transport and server, owned here, ended with its conversation. */
interface LegacySession {
  readonly principal: string;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  /** The conversation, once the session is initialized. */
  conversation: Promise<Conversation>;
}

/** A fetch-style handler that can be closed. */
export interface GatewayHandler {
  /** Serves one HTTP request. */
  fetch(request: Request): Promise<Response>;
  /**
   * The answer to a request that its headers alone decide (Host, Origin, the metadata document,
   * path, shutdown, authentication), or undefined when it must be served. A server can call it
   * before it reads the body, so no body is read for a client that may not send one; `fetch` makes
   * the same checks again.
   */
  admit(request: Request): Promise<Response | undefined>;
  /** Ends every client session and conversation (after their calls, within the drain deadline). */
  close(): Promise<void>;
}

/** A request body read by the server in front (berth's Node listener), within the size limit. */
export type ReadBody = { readonly tooLarge: false; readonly text: string } | { readonly tooLarge: true };

/**
 * The HTTP face with what berth's own Node listener uses besides the public handler: it admits a
 * request from its headers once, reads the body itself, and hands both over, so that one `Request`
 * (without a body) serves the whole exchange.
 */
export interface HttpHandler extends GatewayHandler {
  /** The principal of a request its headers admit, or the answer refusing it (as `admit`'s). */
  principalOf(request: Request): Promise<Principal | Response>;
  /**
   * Serves an admitted request of the MCP endpoint whose body (for a POST) has been read. The request
   * is the caller's own: the gateway removes its credentials in place before the SDK sees it.
   */
  serveAdmitted(request: Request, principal: Principal, body: ReadBody | undefined): Promise<Response>;
}

/** What the server in front has done already for a request: admitted it, and read its body. */
interface Admitted {
  readonly principal: Principal;
  readonly body: ReadBody | undefined;
}

/** Options of the HTTP face. */
export interface HttpOptions {
  authenticator: Authenticator;
  /** The endpoint's own URL (for Host checks of a non-loopback listener). */
  endpoint?: URL;
  /** Prometheus metrics served beside the endpoint at `path`, behind the same checks and auth. */
  metrics?: MetricsEndpoint;
  /** Where authentication failures (`warn`) and requests (`debug`) are logged. */
  logger?: Logger;
  /**
   * The cluster this gateway is a replica of: requests of a conversation another replica owns are
   * forwarded there, and a conversation's lease is released when it ends here.
   */
  cluster?: Cluster;
}

/** Metrics in the Prometheus text format, at a path of the gateway's listener. */
export interface MetricsEndpoint {
  path: string;
  text(): Promise<string>;
}

/** The Host header and Origin values a gateway accepts: loopback, the configured ones, its own IP. */
export function allowedHostsAndOrigins(
  spec: Pick<Gateway['spec'], 'allowedHosts' | 'allowedOrigins'>,
  endpoint: URL | undefined,
): { allowedHosts: string[]; allowedOrigins: string[] } {
  const allowedHosts = [...localhostAllowedHostnames(), ...spec.allowedHosts];
  const allowedOrigins = [...localhostAllowedOrigins(), ...spec.allowedOrigins];
  const listenHost = endpoint?.hostname;
  if (listenHost && isIP(listenHost.replace(/^\[|\]$/g, '')) && !['0.0.0.0', '[::]'].includes(listenHost)) {
    allowedHosts.push(listenHost);
  }
  return { allowedHosts, allowedOrigins };
}

/** What the log line of a request says beyond its method and answer. */
interface RequestNote {
  principal?: string;
  /** The JSON-RPC method of a POST. */
  rpc?: string;
}

/** Builds the HTTP face of a gateway. */
export function createHttpHandler(gateway: Gateway, options: HttpOptions): HttpHandler {
  const { spec } = gateway;
  const { authenticator, cluster } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const { allowedHosts, allowedOrigins } = allowedHostsAndOrigins(spec, options.endpoint);
  // The address this replica announces to the others is one of its own names: requests they
  // forward come with it as their Host.
  if (spec.cluster?.advertise) allowedHosts.push(new URL(spec.cluster.advertise).hostname);
  const sessions = new Map<string, LegacySession>();
  const inFlight = new Map<string, number>();
  /** Woken when the last request in flight finishes (for the drain on close). */
  let drained: (() => void) | undefined;
  let closed = false;

  const modern: McpHttpHandler = createMcpHandler(
    ({ authInfo }) => {
      const caller = callerOf(authInfo);
      return createClientServer(gateway, {
        caller,
        conversation: async (meta) => {
          const id = meta?.[CONVERSATION_META_KEY];
          const key = conversationKey(caller.name, typeof id === 'string' ? id : undefined);
          // In a cluster, a new conversation is this replica's once it opens here (not before: a
          // request that opens none, such as one for an unknown tool, must hold no lease).
          if (cluster && !gateway.conversations.get(key)) await cluster.claim(key);
          return openConversation(key, caller.name);
        },
        capabilities: envelopeCapabilities,
      });
    },
    { legacy: 'reject', maxRequestBodySize: spec.limits.maxBodyBytes },
  );
  const stopNotices = gateway.onListChanged((change) => {
    if (change === 'tools') modern.notify.toolsChanged();
    else if (change === 'prompts') modern.notify.promptsChanged();
    else modern.notify.resourcesChanged();
  });

  async function openConversation(
    key: string,
    principal: string,
    onEnd?: () => Promise<void>,
  ): Promise<Conversation> {
    // Its lease in the cluster ends with it (after its sessions, so no one else serves it before).
    // Ended by this replica's shutdown, it is marked lost: its next request is told so, once, rather
    // than silently given a blank session elsewhere.
    const ended = cluster
      ? async (reason: EndReason) => {
          try {
            await onEnd?.();
          } finally {
            await cluster.release(key, reason === 'shutdown' ? 'lost' : 'free');
          }
        }
      : onEnd;
    const opened = await gateway.conversations.open(key, principal, ended);
    if (opened === 'full')
      throw new Error(
        `berth gateway: at its limit of ${spec.limits.maxClientSessions} client sessions; retry later`,
      );
    if (opened === 'closed') throw new Error('berth gateway: shutting down');
    return opened;
  }

  /** The principal of a request its headers admit, or the answer refusing it. */
  async function admit(request: Request): Promise<Principal | Response> {
    const url = new URL(request.url);
    const rejected =
      hostHeaderValidationResponse(request, allowedHosts) ??
      originValidationResponse(request, allowedOrigins);
    if (rejected) return rejected;
    const metadata = authenticator.metadata(request);
    if (metadata) return metadata;
    if (url.pathname !== spec.path && url.pathname !== options.metrics?.path)
      return httpError(404, `Not found: the MCP endpoint is ${spec.path}`);
    if (closed)
      return httpError(503, 'berth gateway: shutting down', { 'retry-after': String(RETRY_AFTER_SECONDS) });
    const principal = await authenticator.authenticate(request);
    if (principal instanceof Response) {
      // Who it was is unknown (that is the failure); what they sent is never logged.
      logger.warn(
        { status: principal.status, reason: authFailure(principal), method: request.method },
        'authentication failed',
      );
    }
    return principal;
  }

  async function handle(request: Request, note: RequestNote, admitted?: Admitted): Promise<Response> {
    const principal = admitted?.principal ?? (await admit(request));
    if (principal instanceof Response) return principal;
    note.principal = principal.name;
    if (options.metrics && new URL(request.url).pathname === options.metrics.path)
      return metricsResponse(request, options.metrics);

    const streaming = request.method === 'GET';
    const count = inFlight.get(principal.name) ?? 0;
    if (!streaming && count >= spec.limits.maxInFlightPerPrincipal) {
      return httpError(
        429,
        `berth gateway: ${count} requests of "${principal.name}" are in flight already; retry later`,
        {
          'retry-after': '1',
        },
      );
    }
    if (!streaming) inFlight.set(principal.name, count + 1);
    let response: Response;
    try {
      response = await route(request, principal, note, admitted);
    } catch (error) {
      if (!streaming) release(principal.name);
      throw error;
    }
    // A stream's opening comment: berth's own listener writes it itself (no stream wrapped around the
    // SDK's, which an idle client session would hold for its whole life).
    if (streaming) return admitted ? response : openedAtOnce(response);
    return whenDone(response, () => release(principal.name));
  }

  function release(name: string): void {
    const count = (inFlight.get(name) ?? 1) - 1;
    if (count <= 0) inFlight.delete(name);
    else inFlight.set(name, count);
    if (inFlight.size === 0) drained?.();
  }

  /** Waits until no request is in flight, or `ms` has passed. */
  async function drain(ms: number): Promise<void> {
    if (inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      drained = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    drained = undefined;
  }

  async function route(
    request: Request,
    principal: Principal,
    note: RequestNote,
    admitted: Admitted | undefined,
  ): Promise<Response> {
    const authInfo = authInfoOf(principal);
    const sessionId = request.headers.get('mcp-session-id');
    if (request.method === 'DELETE' && sessionId === null) {
      const id = request.headers.get(END_CONVERSATION_HEADER) ?? undefined;
      if (id !== undefined && id.length > MAX_ID_LENGTH)
        return httpError(400, `${END_CONVERSATION_HEADER} is too long`);
      const key = conversationKey(principal.name, id);
      const elsewhere = await cluster?.route(request, key, undefined, null);
      if (elsewhere) return elsewhere;
      await gateway.conversations.end(key);
      return new Response(null, { status: 204 });
    }
    let parsedBody: unknown;
    let bodyText: string | undefined;
    if (request.method === 'POST') {
      const type = request.headers.get('content-type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(type)) {
        return httpError(415, 'Unsupported Media Type: Content-Type must be application/json');
      }
      const body = admitted?.body ?? (await readRequestBody(request, spec.limits.maxBodyBytes));
      if (body.tooLarge)
        return httpError(413, `Payload Too Large: the limit is ${spec.limits.maxBodyBytes} bytes`);
      bodyText = body.text;
      try {
        parsedBody = JSON.parse(body.text);
      } catch {
        return rpcError(400, -32700, 'Parse error: the body is not valid JSON');
      }
      const { method } = (parsedBody ?? {}) as { method?: unknown };
      if (typeof method === 'string') note.rpc = method;
      const problem = shapeProblem(parsedBody);
      if (problem) return rpcError(400, -32600, `Invalid Request: ${problem}`);
    }
    if (cluster) {
      // Where the session or conversation lives: requests never claim one here. A 2025-era session
      // is claimed by the replica that initialized it, a 2026-era conversation by the replica it
      // opens on (`openConversation`); one no one has is served here.
      const key =
        sessionId !== null
          ? conversationKey(principal.name, sessionId)
          : conversationOf(parsedBody, principal.name);
      if (key !== undefined) {
        const rpcId = (parsedBody as { id?: unknown } | undefined)?.id;
        const elsewhere = await cluster.route(request, key, bodyText, rpcId);
        if (elsewhere) return elsewhere;
      }
    }
    // What the SDK's handlers see (ctx.http.req): the request without the client's credentials, and
    // without its body, which is read (or, for other methods, of no use) by now. A request berth's
    // own listener made is berth's to change; a caller's is copied.
    let forward = request;
    if (admitted) request.headers.delete('authorization');
    else {
      const headers = new Headers(request.headers);
      headers.delete('authorization');
      forward = new Request(request.url, { method: request.method, headers, signal: request.signal });
    }
    if (await isLegacyRequest(forward, parsedBody))
      return legacy(forward, principal, authInfo, sessionId, parsedBody);
    const full = wouldOpenConversation(parsedBody, principal.name);
    if (full) return full;
    return modern.fetch(forward, { authInfo, parsedBody });
  }

  /** A 503 when a 2026-era request would open a conversation beyond the cap. */
  function wouldOpenConversation(body: unknown, principal: string): Response | undefined {
    if (!gateway.conversations.full) return undefined;
    const key = conversationOf(body, principal);
    if (key === undefined || gateway.conversations.get(key)) return undefined;
    return sessionCapResponse();
  }

  function sessionCapResponse(): Response {
    return httpError(
      503,
      `berth gateway: at its limit of ${spec.limits.maxClientSessions} client sessions; retry later`,
      {
        'retry-after': String(RETRY_AFTER_SECONDS),
      },
    );
  }

  async function legacy(
    request: Request,
    principal: Principal,
    authInfo: AuthInfo,
    sessionId: string | null,
    parsedBody: unknown,
  ): Promise<Response> {
    if (sessionId !== null) {
      const session = sessions.get(sessionId);
      // Another principal's session id is as unknown as a made-up one.
      if (!session || session.principal !== principal.name) return rpcError(404, -32001, 'Session not found');
      const response = await session.transport.handleRequest(request, { parsedBody, authInfo });
      if (isJSONRPCRequest(parsedBody)) {
        // A client that drops its POST mid-request has gone, and the SDK's session transport does not
        // cancel a request whose stream is dropped: cancel it as the client's notifications/cancelled
        // would, and end its stream (no answer will come on it), so it stops counting as in flight.
        const { transport } = session;
        const { id } = parsedBody;
        const cancel = () => {
          transport.onmessage?.(
            {
              jsonrpc: '2.0',
              method: 'notifications/cancelled',
              params: { requestId: id, reason: 'the client went away (its HTTP request was dropped)' },
            },
            { authInfo },
          );
          transport.closeSSEStream(id);
        };
        if (request.signal.aborted) cancel();
        else request.signal.addEventListener('abort', cancel, { once: true });
        return plainWhenOnlyAnswer(response, id);
      }
      return response;
    }
    if (request.method !== 'POST' || !isInitializeRequest(parsedBody)) {
      return rpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required (initialize first)');
    }
    if (gateway.conversations.full) return sessionCapResponse();
    const caller = { name: principal.name, scopes: principal.scopes };
    let session: LegacySession | undefined;
    let measured: (() => void) | undefined; // mcp.server.session.duration, from initialize to the end
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomBytes(32).toString('base64url'),
      maxRequestBodySize: spec.limits.maxBodyBytes,
      onsessioninitialized: async (id) => {
        // The new session is this replica's: other replicas forward its requests here.
        await cluster?.claim(conversationKey(principal.name, id), 'fresh');
        measured = serverSessionStarted('tcp');
        session = {
          principal: principal.name,
          transport,
          conversation: openConversation(conversationKey(principal.name, id), principal.name, async () => {
            sessions.delete(id);
            await transport.close().catch(() => undefined);
          }),
        };
        session.conversation.catch(() => undefined);
        sessions.set(id, session);
      },
      onsessionclosed: async (id) => {
        await gateway.conversations.end(conversationKey(principal.name, id));
      },
    });
    const server = createClientServer(gateway, {
      caller,
      conversation: async () => {
        if (!session) throw new Error('berth gateway: the session is not initialized');
        const conversation = await session.conversation;
        if (conversation.ended)
          throw new Error('berth gateway: this session has ended; initialize a new one');
        return conversation;
      },
      capabilities: () => server.getClientCapabilities(),
    });
    transport.onclose = () => {
      measured?.();
      const id = transport.sessionId;
      if (id && sessions.get(id)?.transport === transport) {
        sessions.delete(id);
        void gateway.conversations.end(conversationKey(principal.name, id));
      }
    };
    await server.connect(transport);
    const response = await transport.handleRequest(request, { parsedBody, authInfo });
    // An initialize the transport refused (406, …) opened no session: nothing of it may stay behind
    // (the server's gateway listeners would otherwise live, and be notified, until the gateway closes).
    if (!session) await server.close();
    return response;
  }

  /** Serves a request, and logs it (at `debug`) once its answer starts. */
  async function logged(request: Request, admitted?: Admitted): Promise<Response> {
    const started = performance.now();
    const note: RequestNote = {};
    let response: Response;
    try {
      response = await handle(request, note, admitted);
    } catch (error) {
      response = httpError(500, `berth gateway: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Until the answer starts: the whole of a JSON answer, the opening of a stream.
    logger.debug(
      {
        ...note,
        method: request.method,
        status: response.status,
        outcome: response.status < 400 ? 'ok' : 'error',
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      },
      'request',
    );
    return response;
  }

  return {
    admit: async (request) => {
      try {
        const admitted = await admit(request);
        return admitted instanceof Response ? admitted : undefined;
      } catch {
        return undefined; // fetch answers it
      }
    },
    fetch: (request) => logged(request),
    principalOf: admit,
    serveAdmitted: (request, principal, body) => logged(request, { principal, body }),
    close: async () => {
      if (closed) return;
      closed = true;
      await drain(spec.limits.drainTimeoutMs);
      stopNotices();
      await gateway.close();
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => undefined)));
      sessions.clear();
      await modern.close();
    },
  };
}

/** The metrics, for a GET (or HEAD) of the metrics path. */
export async function metricsResponse(request: Request, metrics: MetricsEndpoint): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return httpError(405, 'Method Not Allowed: GET the metrics', { allow: 'GET, HEAD' });
  const text = await metrics.text();
  return new Response(request.method === 'HEAD' ? null : text, {
    headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' },
  });
}

/** The `error` of a refusal's `WWW-Authenticate` (`invalid_token`, `insufficient_scope`), or its status. */
function authFailure(response: Response): string {
  const challenge = response.headers.get('www-authenticate') ?? '';
  return /\berror="([a-z_]{1,64})"/.exec(challenge)?.[1] ?? `http_${response.status}`;
}

/** Requests of a 2026-era client that run in a conversation (and open it on first use). */
const CONVERSATION_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

/** The conversation a 2026-era request runs in, when its method runs in one. */
function conversationOf(body: unknown, principal: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { method, params } = body as { method?: unknown; params?: { _meta?: Record<string, unknown> } };
  if (typeof method !== 'string' || !CONVERSATION_METHODS.has(method)) return undefined;
  const id = params?._meta?.[CONVERSATION_META_KEY];
  return conversationKey(principal, typeof id === 'string' ? id : undefined);
}

/** Why a parsed body is not one JSON-RPC message berth accepts, if it is not. */
function shapeProblem(body: unknown): string | undefined {
  if (Array.isArray(body)) return 'JSON-RPC batches are not supported; send one message per request';
  if (!body || typeof body !== 'object') return 'expected a JSON-RPC message object';
  const { id } = body as { id?: unknown };
  if (typeof id === 'string' && id.length > MAX_ID_LENGTH)
    return `the id is longer than ${MAX_ID_LENGTH} characters`;
  if (typeof id === 'number' && !Number.isSafeInteger(id)) return 'the id must be a string or a safe integer';
  const key = (body as { params?: { _meta?: Record<string, unknown> } }).params?._meta?.[
    CONVERSATION_META_KEY
  ];
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > MAX_ID_LENGTH)) {
    return `_meta["${CONVERSATION_META_KEY}"] must be a string of 1 to ${MAX_ID_LENGTH} characters`;
  }
  return undefined;
}

/** The SDK's view of a principal: never the client's token (berth never passes it on). */
function authInfoOf(principal: Principal): AuthInfo {
  return { ...principal.authInfo, clientId: principal.name, scopes: [...principal.scopes], token: '' };
}

function callerOf(authInfo: AuthInfo | undefined): { name: string; scopes: readonly string[] } {
  return { name: authInfo?.clientId ?? 'anonymous', scopes: authInfo?.scopes ?? [] };
}

/**
 * An HTTP refusal (404, 413, 415, 429, 503…): a JSON-RPC error with no id, as the SDK's own transport
 * answers, so every MCP client reads its message the same way, forwarded or not.
 */
function httpError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return rpcError(status, -32000, message, headers);
}

function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return plainJson(status, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }), headers);
}

/** A JSON answer the gateway made from a string (see `plainBodyOf`). */
function plainJson(status: number, text: string, headers: Record<string, string> = {}): Response {
  const response = new Response(text, {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
  plainBodies.set(response, text);
  return response;
}

/** The answers whose body is this text, for a server in front that can write it in one go. */
const plainBodies = new WeakMap<Response, string>();

/** The text of an answer the gateway made from a string (a JSON answer), if it is one. */
export function plainBodyOf(response: Response): string | undefined {
  return plainBodies.get(response);
}

/** The SSE frame the SDK's session transport writes each message in, up to the message. */
const EVENT_PREFIX = 'event: message\ndata: ';

/**
 * The answer to request `id`, as plain JSON when the SDK's SSE stream for it carries nothing before
 * the answer itself (most calls: no progress, no log, no request to the client), else the stream as
 * it is. The spec lets a server answer a POST either way; the SDK's per-request (2026-07-28)
 * transport makes the same choice ("auto"). A JSON answer costs both sides less than a stream:
 * one write, no chunked framing, no SSE parsing in the client.
 */
async function plainWhenOnlyAnswer(response: Response, id: string | number): Promise<Response> {
  if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream'))
    return response;
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const first = await reader.read();
  if (first.done) return new Response(null, { status: response.status, headers: response.headers });
  const message = answerIn(new TextDecoder().decode(first.value), id);
  if (message !== undefined) {
    // The SDK has closed the stream with its answer (one request per POST): nothing more comes.
    await reader.cancel();
    const session = response.headers.get('mcp-session-id');
    return plainJson(response.status, message, session === null ? {} : { 'mcp-session-id': session });
  }
  return withFirst(response, first.value, reader);
}

/**
 * The JSON-RPC answer to request `id` an SSE event carries, or undefined for any other event. The
 * SDK writes one message per event, serialized with its keys in a fixed order: an answer starts with
 * its `result` (and ends with its id) or with `jsonrpc`, its id and `error`. Anything else (a
 * notification, a request to the client, an event with an id) is not an answer here.
 */
export function answerIn(event: string, id: string | number): string | undefined {
  if (!event.startsWith(EVENT_PREFIX) || !event.endsWith('\n\n')) return undefined;
  const message = event.slice(EVENT_PREFIX.length, -2);
  if (message.includes('\n')) return undefined;
  const ofId = JSON.stringify(id);
  const isAnswer =
    (message.startsWith('{"result":') && message.endsWith(`,"jsonrpc":"2.0","id":${ofId}}`)) ||
    (message.startsWith(`{"jsonrpc":"2.0","id":${ofId},"error":`) && message.endsWith('}'));
  return isAnswer ? message : undefined;
}

/** An SSE comment: clients ignore it (SSE's own rule); it makes the stream's headers go out at once. */
export const STREAM_OPENED = new TextEncoder().encode(': open\n\n');

/**
 * The standalone GET stream with an SSE comment first. Without a first chunk, Node holds back a
 * response's headers until the first event, which may never come on a quiet stream: a client that
 * waits for the GET's response (to know the stream is open, or that the server offers none) would
 * hang. Cancelling it cancels the SDK's stream.
 */
function openedAtOnce(response: Response): Response {
  if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream'))
    return response;
  return withFirst(response, STREAM_OPENED, response.body.getReader());
}

/** `response` with a body of `first`, then the rest of `reader`'s (cancelling it cancels `reader`). */
function withFirst(
  response: Response,
  first: Uint8Array,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Response {
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(first),
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** The same response, calling `done` once its body has been sent or abandoned. */
function whenDone(response: Response, done: () => void): Response {
  if (!response.body || plainBodies.has(response)) {
    done();
    return response;
  }
  let called = false;
  const once = () => {
    if (!called) {
      called = true;
      done();
    }
  };
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const wrapped = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk.done) {
        once();
        controller.close();
      } else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      once();
      return reader.cancel(reason);
    },
  });
  return new Response(wrapped, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
