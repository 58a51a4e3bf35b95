/**
 * One live MCP connection to one server: the process (stdio only), the transport and the SDK `Client`,
 * plus what the server listed (tools, prompts, resources). `openConnection` builds it under a deadline
 * and, if anything fails half-way, tears down what it built before rejecting, so a failed open leaks
 * nothing. A returned connection belongs to the `SessionOwner` that opened it, which alone closes it.
 */
import {
  Client,
  SSEClientTransport,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  ProtocolError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type AuthProvider,
  type FetchLike,
  type OAuthClientProvider,
  type Implementation,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type LoggingMessageNotification,
  type PriorDiscovery,
  type Root,
  type Transport,
} from '@modelcontextprotocol/client';
import { emitWarning } from 'node:process';
import { forgetDiscoveryOnRefusedToken, isOAuthProvider } from '../transport/rediscover.js';
import type { ServerSpec } from '../config/types.js';
import { ServerError, type ServerFailureDetails, type ServerPhase } from '../errors.js';
import { childEnvironment } from '../process/env.js';
import { ServerProcess, type ExitInfo } from '../process/server-process.js';
import { ProcessTransport, PipeClosedError } from '../transport/process-transport.js';
import { invalidResponseProblem } from '../transport/responses.js';
import { settleWithin } from '../util/abort.js';
import { jsonSchemaValidator } from '../util/json-schema.js';
import type { ClientTelemetry, TransportInfo } from '../telemetry/types.js';
import type { EraMemory } from './era.js';
import {
  checkedList,
  emptyListing,
  fetchList,
  fetchListing,
  ListFailure,
  refetchInvalidList,
  type ListKind,
  type Listing,
} from './listing.js';

export { emptyListing, type InvalidItem, type Listing, type ResourceTemplate } from './listing.js';

/** Which session a server's request came on: the key it serves (keyed scope), read when the request arrives. */
export interface SessionOrigin {
  readonly key: string | undefined;
}

/** What berth offers servers as a client: each feature is declared as a capability only when set. */
export interface ClientFeatures {
  /** The roots servers may use; answering `roots/list`. */
  roots?: (origin: SessionOrigin) => Root[];
  /** Answers `sampling/createMessage`. */
  sampling?: (params: CreateMessageRequest['params'], origin: SessionOrigin) => Promise<CreateMessageResult>;
  /** Answers `elicitation/create` (form and URL modes; form defaults are applied to accepted content). */
  elicitation?: (params: ElicitRequest['params'], origin: SessionOrigin) => Promise<ElicitResult>;
  /** Receives log messages (`notifications/message`). */
  onLog?: (params: LoggingMessageNotification['params']) => void;
  /** Receives `notifications/resources/updated` for subscribed resources. */
  onResourceUpdated?: (uri: string) => void;
}

/** The client capabilities the set features call for. */
function capabilitiesFor(features: ClientFeatures): ClientCapabilities {
  return {
    ...(features.roots && { roots: { listChanged: true } }),
    ...(features.sampling && { sampling: {} }),
    ...(features.elicitation && { elicitation: { form: { applyDefaults: true }, url: {} } }),
  };
}

/** Registers the handlers behind `features` on a client that has not connected yet. */
function installFeatures(client: Client, features: ClientFeatures, origin: SessionOrigin): void {
  const { roots, sampling, elicitation, onLog, onResourceUpdated } = features;
  if (roots) client.setRequestHandler('roots/list', () => ({ roots: roots(origin) }));
  if (sampling)
    client.setRequestHandler('sampling/createMessage', (request) => sampling(request.params, origin));
  if (elicitation) {
    client.setRequestHandler('elicitation/create', (request) => elicitation(request.params, origin));
  }
  if (onLog) client.setNotificationHandler('notifications/message', (n) => onLog(n.params));
  if (onResourceUpdated) {
    client.setNotificationHandler('notifications/resources/updated', (n) => onResourceUpdated(n.params.uri));
  }
}

/** What a connection tells its owner while it is open. */
export interface ConnectionEvents {
  /** A list changed on the server and has been fetched again; `changed` holds only what changed. */
  onListChanged(connection: Connection, listing: Listing, changed: Partial<Listing>): void;
}

/** How to open a connection. */
export interface OpenOptions {
  clientInfo: Implementation;
  /** Aborted when the owner stops; the open then fails and cleans up. */
  signal: AbortSignal;
  events: ConnectionEvents;
  /** Fetch tools, prompts and resources after connecting (false when the listing is known already). */
  fetchListing: boolean;
  /** Client-side features offered to the server. */
  features?: ClientFeatures;
  /** The session this connection belongs to, handed to the features' handlers. */
  origin?: SessionOrigin;
  /** The server's negotiated era (and HTTP transport) from earlier connects; updated by this one. */
  era?: EraMemory;
  /** The `fetch` remote transports use (default: the global one). */
  fetch?: FetchLike;
  /** Credentials for a remote server (a bearer-token source or an OAuth client). */
  authProvider?: AuthProvider | OAuthClientProvider;
  /** Traces and measures the connection's requests (absent without `@opentelemetry/api`). */
  telemetry?: ClientTelemetry;
}

/** An OAuth authorization that a connect started and the application must finish (the code flow). */
export interface PendingAuthorization {
  /** Exchanges the authorization code (or the whole callback query) for tokens, on the transport that asked. */
  finish(callback: string | URLSearchParams): Promise<void>;
  /** Releases that transport (a no-op when it belongs to a live session). */
  discard(): Promise<void>;
  /** Whether the session must be reopened afterwards (a connect-time flow) or lives on (a step-up). */
  reconnect: boolean;
}

const pendingAuthorizations = new WeakMap<object, PendingAuthorization>();

/** The authorization a failed open left pending, if its error was a 401 with an OAuth provider. */
export function takePendingAuthorization(error: unknown): PendingAuthorization | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const pending = pendingAuthorizations.get(error);
  pendingAuthorizations.delete(error);
  return pending;
}

/** A connected session to one server. */
export class Connection {
  readonly client: Client;
  /** The server process, for stdio servers. */
  readonly process: ServerProcess | undefined;
  /** Resolves once the transport has closed, for whatever reason. Never rejects. */
  readonly ended: Promise<void>;
  /** The server's current lists. Replaced (never mutated) when a list changes. */
  listing: Listing;

  readonly #spec: ServerSpec;
  readonly #transport: Transport;
  #hasEnded = false;
  #closeReason: string | undefined;
  #closing: Promise<void> | undefined;

  /** Use `openConnection`; the constructor only wires the close notification. */
  constructor(
    spec: ServerSpec,
    client: Client,
    transport: Transport,
    process: ServerProcess | undefined,
    onEnded?: (errorType: string | undefined) => void,
  ) {
    this.#spec = spec;
    this.#transport = transport;
    this.client = client;
    this.process = process;
    this.listing = emptyListing();
    this.ended = new Promise<void>((resolve) => {
      client.onclose = () => {
        this.#hasEnded = true;
        // Ended by its owner, or lost (the server went away, or the open failed).
        const reason = this.#closeReason;
        onEnded?.(
          reason === undefined ? 'connection_lost' : reason === 'open failed' ? 'open_failed' : undefined,
        );
        resolve();
      };
    });
  }

  /** True once the transport has closed. */
  get hasEnded(): boolean {
    return this.#hasEnded;
  }

  /**
   * The authorization a request on this live session began (a step-up after 403 `insufficient_scope`),
   * to be finished on this session's own transport; undefined for stdio.
   */
  authorization(): PendingAuthorization | undefined {
    const transport = this.#transport;
    if (!(transport instanceof StreamableHTTPClientTransport || transport instanceof SSEClientTransport))
      return undefined;
    return { finish: (callback) => finishOn(transport, callback), discard: async () => {}, reconnect: false };
  }

  /**
   * What made the transport close itself (an oversized message, a closed stdin or stdout), if anything
   * did. A pipe closed by a process that has exited is the exit's doing: the exit is then the explanation.
   */
  get transportFailure(): Error | undefined {
    const failure = this.#transport instanceof ProcessTransport ? this.#transport.failure : undefined;
    if (failure instanceof PipeClosedError && this.process?.exitInfo) return undefined;
    return failure;
  }

  /**
   * True once the transport has closed, even if the client has not been told yet (during the
   * handshake, the SDK reports the close as a failed request first).
   */
  get transportClosed(): boolean {
    if (this.#hasEnded) return true;
    return this.#transport instanceof ProcessTransport && this.#transport.closed;
  }

  /** Why the owner closed this connection, if it did (undefined when the server went away by itself). */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** Closes the session and ends the process group in stages. Idempotent. */
  close(reason: string): Promise<void> {
    // Only a close that comes before the transport ended is the owner's doing; a crash has no reason.
    if (!this.#hasEnded) this.#closeReason ??= reason;
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Client.close() rejects whatever is still pending with ConnectionClosed; the owner maps that.
    await this.client.close().catch(() => {});
    if (this.process) {
      const { stdinGraceMs, termGraceMs } = this.#spec.timeouts;
      await this.process.terminate({ stdinGraceMs, termGraceMs });
    }
  }

  /**
   * What is known about how this connection failed: exit status and stderr tail. With `awaitExit`
   * (the default) it waits briefly for an exit that is about to be reported.
   */
  async failureDetails(phase: ServerPhase, { awaitExit = true } = {}): Promise<ServerFailureDetails> {
    return describeProcess(this.#spec.name, phase, this.process, awaitExit);
  }
}

async function describeProcess(
  server: string,
  phase: ServerPhase,
  process: ServerProcess | undefined,
  awaitExit = true,
): Promise<ServerFailureDetails> {
  if (!process) return { server, phase };
  // stdout usually closes a moment before the exit is reported; give it a short chance.
  if (awaitExit && !process.exitInfo) await settleWithin(process.exited, 250);
  const exit = process.exitInfo;
  return {
    server,
    phase,
    pid: process.pid,
    exitCode: exit?.code,
    signal: exit?.signal,
    stderrTail: process.stderr.lastLines(20) || undefined,
  };
}

/** Opens a connection to `spec` within its startup deadline. Leaks nothing if it fails. */
export async function openConnection(spec: ServerSpec, options: OpenOptions): Promise<Connection> {
  if (spec.transport !== 'http' || options.era?.remote === 'sse') {
    return openOnce(spec, options, spec.transport === 'stdio' ? 'stdio' : 'sse');
  }
  try {
    const connection = await openOnce(spec, options, 'http');
    if (options.era) options.era.remote = 'http';
    return connection;
  } catch (error) {
    // Streamable HTTP first; a server that only speaks the legacy HTTP+SSE transport refuses the POST
    // with 400, 404 or 405 (the statuses the spec names for this fallback).
    if (options.signal.aborted || !isLegacyHttpRefusal(error)) throw error;
    const connection = await openOnce(spec, options, 'sse');
    if (options.era) options.era.remote = 'sse';
    return connection;
  }
}

/** Exchanges an authorization code (or callback query) on the transport that began the flow. */
function finishOn(
  transport: StreamableHTTPClientTransport | SSEClientTransport,
  callback: string | URLSearchParams,
): Promise<void> {
  return typeof callback === 'string' ? transport.finishAuth(callback) : transport.finishAuth(callback);
}

/** A 401 from a remote server (with or without an auth provider), however the SDK wrapped it. */
export function isUnauthorized(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof UnauthorizedError) return true;
    if (e instanceof SdkHttpError && e.status === 401) return true;
  }
  return false;
}

function isLegacyHttpRefusal(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof SdkHttpError && [400, 404, 405].includes(e.status)) return true;
  }
  return false;
}

/** One attempt over one transport kind. */
async function openOnce(
  spec: ServerSpec,
  options: OpenOptions,
  kind: 'stdio' | 'http' | 'sse',
): Promise<Connection> {
  const { signal } = options;
  let process: ServerProcess | undefined;
  let transport: Transport;
  if (spec.transport === 'stdio') {
    process = await ServerProcess.spawn({
      server: spec.name,
      command: spec.command,
      args: spec.args,
      env: childEnvironment(spec),
      cwd: spec.cwd,
      stderrBufferBytes: spec.stderrBufferBytes,
    });
    transport = new ProcessTransport(process, {
      server: spec.name,
      maxMessageBytes: spec.health.maxMessageBytes,
    });
  } else {
    const url = new URL(spec.url);
    const requestInit = { headers: spec.headers };
    const { authProvider } = options;
    // An OAuth provider's cached discovery is dropped when the server refuses its token, so a server
    // that moved to another authorization server sends the next authorization there (SEP-2352).
    const fetchImpl =
      authProvider && isOAuthProvider(authProvider)
        ? forgetDiscoveryOnRefusedToken(options.fetch ?? fetch, url, authProvider)
        : options.fetch;
    const common = {
      requestInit,
      ...(fetchImpl && { fetch: fetchImpl }),
      ...(authProvider && { authProvider }),
    };
    transport =
      kind === 'sse'
        ? new SSEClientTransport(url, {
            ...common,
            eventSourceInit: { fetch: headerFetch(spec.headers, fetchImpl) },
          })
        : new StreamableHTTPClientTransport(url, common);
  }

  const client = new Client(options.clientInfo, {
    capabilities: capabilitiesFor(options.features ?? {}),
    // Output schemas are checked with berth's one JSON Schema engine (and its messages).
    jsonSchemaValidator,
    versionNegotiation: { mode: spec.era === 'legacy' ? 'legacy' : 'auto' },
    // The SDK refetches a list when it changes. A result it rejects (one malformed item) is fetched
    // again item by item; any other failure keeps the previous list.
    listChanged: {
      tools: { onChanged: (error, tools) => refreshed('tools', error, tools) },
      prompts: { onChanged: (error, prompts) => refreshed('prompts', error, prompts) },
      resources: {
        onChanged: (error, resources) => {
          const templates = fetchList(client, 'resourceTemplates', {}).catch(() => ({}));
          refreshed('resources', error, resources, templates);
        },
      },
    },
  });
  client.onerror = () => {}; // out-of-band noise (a non-JSON line); fatal problems close the transport
  installFeatures(client, options.features ?? {}, options.origin ?? { key: undefined });
  // List-change callbacks only run after connect, by which time `opened` exists.
  const { telemetry } = options;
  const traced: TransportInfo = {
    server: spec.name,
    network: spec.transport === 'stdio' ? 'pipe' : 'tcp',
    ...(spec.transport !== 'stdio' && { url: new URL(spec.url) }),
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
  };
  const opened = new Connection(spec, client, transport, process, telemetry?.sessionStarted(traced));
  // The client speaks through the traced transport; the connection keeps (and closes) the real one.
  const wire = telemetry ? telemetry.traceTransport(transport, traced) : transport;
  function update(patch: Partial<Listing>): void {
    if (opened.hasEnded) return;
    opened.listing = { ...opened.listing, ...patch };
    options.events.onListChanged(opened, opened.listing, patch);
  }
  /** Applies a refreshed list (with `also`, e.g. the templates that come with resources). */
  function refreshed(
    kind: ListKind,
    error: Error | null,
    items: unknown[] | null,
    also: Promise<Partial<Listing>> = Promise.resolve({}),
  ): void {
    const patch = error
      ? refetchInvalidList(client, kind, error)
      : Promise.resolve(items && checkedList(kind, items));
    // Owned by the session: every request in it ends (answered, timed out, or failed by the close).
    // Whoever listens must not throw; if it does, say so rather than leave a rejection unhandled.
    void Promise.all([patch, also])
      .then(([list, extra]) => list && update({ ...list, ...extra }))
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        emitWarning(`server "${spec.name}": applying a changed list failed: ${message}`, 'BerthWarning');
      });
  }

  const deadline = Date.now() + spec.timeouts.startupMs;
  const left = () => Math.max(1, deadline - Date.now());
  // The handshake does not always honour the signal (the era probe, for one): closing the transport
  // fails whatever is pending at once, so a stop during connect never waits out a startup deadline.
  const abortOpen = () => void transport.close();
  signal.addEventListener('abort', abortOpen, { once: true });
  try {
    signal.throwIfAborted(); // stopped while the process was spawning: the listener came too late
    const prior = spec.era === 'legacy' ? undefined : options.era?.prior;
    await client.connect(wire, { signal, timeout: left(), ...(prior && { prior }) });
    if (options.era) options.era.prior = verdictOf(client);
    if (options.fetchListing) opened.listing = await fetchListing(client, { signal, timeout: left() });
    return opened;
  } catch (error) {
    if (options.era && isEraFailure(error)) options.era.prior = undefined; // stale verdict: probe next time
    const remote =
      transport instanceof StreamableHTTPClientTransport || transport instanceof SSEClientTransport
        ? transport
        : undefined;
    if (!signal.aborted && remote && options.authProvider && isUnauthorized(error)) {
      // An OAuth code flow has begun: keep the transport that holds it, for the application to finish.
      const failure = openError(spec, process, await openFailure(spec, opened, error), error);
      pendingAuthorizations.set(failure, {
        finish: (callback) => finishOn(remote, callback),
        discard: () => opened.close('authorization abandoned'),
        reconnect: true,
      });
      throw failure;
    }
    if (signal.aborted) {
      await opened.close('open failed');
      throw signal.reason;
    }
    // Decided before closing: once berth has closed the process, an exit is berth's own doing.
    const failure = await openFailure(spec, opened, error);
    await opened.close('open failed');
    if (signal.aborted) throw signal.reason;
    throw openError(spec, process, failure, error);
  } finally {
    signal.removeEventListener('abort', abortOpen);
  }
}

/** The era verdict a connected client reached, in the form `connect({ prior })` takes. */
function verdictOf(client: Client): PriorDiscovery {
  const discover = client.getDiscoverResult();
  return client.getProtocolEra() === 'modern' && discover ? { kind: 'modern', discover } : { kind: 'legacy' };
}

function isEraFailure(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed;
}

/** Why an open failed, as far as it can be told before berth closes anything. */
interface OpenFailure {
  reason: string;
  /** How the process ended, when it exited by itself before berth closed it. */
  exit?: ExitInfo;
  needsAuthorization?: boolean;
}

/**
 * Tells why an open failed: the server refused (its own error message is the reason), sent an invalid
 * response, broke the transport, ran out of time, or exited by itself (only then is there an exit
 * status to report). Must run before the connection is closed.
 */
async function openFailure(spec: ServerSpec, opened: Connection, error: unknown): Promise<OpenFailure> {
  if (isUnauthorized(error)) {
    return {
      reason: 'needs authorization: configure its auth, or finish the authorization flow (finishAuth)',
      needsAuthorization: true,
    };
  }
  const method = error instanceof ListFailure ? error.method : undefined;
  const cause = error instanceof ListFailure ? error.cause : error;
  const step = method ?? 'the MCP handshake';
  const process = opened.process;
  // The session ended under us: an exit about to be reported explains it better than the pipes it closed.
  if (process && opened.transportClosed && !process.exitInfo) await settleWithin(process.exited, 250);
  const failure = opened.transportFailure; // an oversized message, a closed stdin or stdout
  if (failure) return { reason: `${failure.message} during ${step}` };
  const invalid = invalidResponseProblem(cause);
  if (invalid !== undefined) return { reason: `sent an invalid response to ${step}: ${invalid}` };
  if (cause instanceof ProtocolError) {
    // The server answered, with an error: its own message is the explanation.
    return { reason: `answered ${step} with an error: ${cause.message}` };
  }
  if (cause instanceof SdkError && cause.code === SdkErrorCode.RequestTimeout) {
    const verb = method ? `did not answer ${method}` : 'did not complete the MCP handshake';
    return { reason: `${verb} within ${spec.timeouts.startupMs} ms (its startupTimeoutMs)` };
  }
  if (process?.exitInfo) {
    // Not by berth's doing: berth has closed nothing yet.
    return { reason: `exited before completing ${step}`, exit: process.exitInfo };
  }
  return { reason: `could not connect: ${messageChain(cause)}` };
}

/** The error for a failed open: the reason, the process's pid and stderr tail, and its exit if it exited by itself. */
function openError(
  spec: ServerSpec,
  process: ServerProcess | undefined,
  failure: OpenFailure,
  cause: unknown,
): ServerError {
  const { reason, exit, needsAuthorization } = failure;
  return new ServerError(
    {
      server: spec.name,
      phase: 'connect',
      reason,
      ...(process && { pid: process.pid, stderrTail: process.stderr.lastLines(20) || undefined }),
      ...(exit && { exitCode: exit.code, signal: exit.signal }),
      ...(needsAuthorization && { needsAuthorization }),
    },
    { cause },
  );
}

/** An error's message followed by its causes' (`fetch failed: connect ECONNREFUSED 127.0.0.1:1`). */
function messageChain(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 5; e = (e as Error).cause, depth++) {
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    if (message && !parts.includes(message)) parts.push(message);
  }
  return parts.join(': ');
}

/** The SSE transport's GET does not take `requestInit`; give it a fetch that adds the headers. */
function headerFetch(headers: Record<string, string>, fetchImpl: FetchLike = fetch): typeof fetch {
  return (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [k, v] of Object.entries(headers)) merged.set(k, v);
    return fetchImpl(input instanceof Request ? input.url : input, { ...init, headers: merged });
  };
}
