/**
 * Serving a host as one MCP endpoint: `createGatewayHandler` (the fetch-style handler, to mount in
 * any server) and `serve` (berth's own Node HTTP listener around it). It owns the pieces one gateway
 * is made of, and the order they stop in: stop accepting, let calls in flight finish within the drain
 * deadline, end every client conversation, close the listener.
 */
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  isLoopbackHost,
  resolveGateway,
  type GatewayClusterSpec,
  type GatewayConfig,
  type GatewaySpec,
} from '../config/gateway.js';
import { ConfigError } from '../errors.js';
import type { Host } from '../host/host.js';
import { createAuthenticator, toolScopesAllow } from './auth.js';
import { Gateway } from './gateway.js';
import {
  allowedHostsAndOrigins,
  createHttpHandler,
  type GatewayHandler,
  type HttpHandler,
  type MetricsEndpoint,
} from './http.js';
import { headersOf, serveEndpoint } from './node.js';
import { PROMETHEUS_CONTENT_TYPE, startPrometheus, type PrometheusMetrics } from '../telemetry/prometheus.js';
import type { Relay } from './relay.js';
import { createStatusPage, type StatusOptions } from './status/index.js';
import { SILENT_LOGGER, type Logger } from '../log/logger.js';
import { keyLogId } from '../log/secrets.js';
import { Cluster } from '../cluster/cluster.js';
import { ClusterEvents } from '../cluster/events.js';
import { followCluster, type ClusterSync } from './cluster-sync.js';

/** What a gateway needs beyond its `gateway` section. */
export interface GatewayOptions {
  /** The section as written (or a resolved one from a loaded config). */
  gateway?: GatewayConfig | GatewaySpec;
  /** The relay the host's sampling and elicitation handlers feed (see `relayHandlers`). */
  relay?: Relay;
  /** Reports what the gateway notices at runtime (a tool name collision that appeared). */
  warn?: (message: string) => void;
  /** The endpoint's public URL, when it differs from where the handler is mounted (for OAuth metadata). */
  endpoint?: URL;
  /** The status page's options in code (it is served when `gateway.status` turns it on). */
  status?: StatusOptions;
  /**
   * Where the gateway logs (a pino logger, or anything with its `error`/`warn`/`info`/`debug`):
   * client sessions opened and closed and authentication failures at `info`/`warn` (never a token),
   * each HTTP request at `debug`, and the warnings `warn` receives. Without it, nothing is logged.
   */
  logger?: Logger;
}

/** A fetch-style gateway handler over a host. */
export interface GatewayFetchHandler extends GatewayHandler {
  /** Collisions the prefix mode cannot resolve (those tools are not served). */
  readonly collisions: readonly string[];
}

/** The resolved section: as given when it is one already (from a loaded config), else resolved. */
export function specOf(gateway: GatewayConfig | GatewaySpec | undefined): GatewaySpec {
  if (
    gateway &&
    'limits' in gateway &&
    gateway.limits &&
    'drainTimeoutMs' in gateway.limits &&
    'listen' in gateway &&
    typeof gateway.listen === 'object'
  ) {
    return gateway as GatewaySpec;
  }
  return resolveGateway(gateway, { file: '<serve options>' });
}

/**
 * A fetch-style `(Request) => Promise<Response>` handler serving `host` as one MCP endpoint (both
 * protocol eras), to mount in your own server (Hono, Express via `toNodeHandler`, Fastify, Bun, Deno).
 * Closing it ends every client conversation; the host stays yours to close.
 */
export function createGatewayHandler(host: Host, options: GatewayOptions = {}): GatewayFetchHandler {
  return gatewayHandler(host, options, undefined).handler;
}

/**
 * `createGatewayHandler`, with `serve()`'s metrics beside the endpoint when they are on its listener,
 * and the MCP endpoint's own handler, which `serve()`'s listener feeds directly.
 */
function gatewayHandler(
  host: Host,
  options: GatewayOptions,
  metrics: MetricsEndpoint | undefined,
  cluster?: { cluster: Cluster; events: ClusterEvents },
): { handler: GatewayFetchHandler; endpoint: HttpHandler; sync?: ClusterSync } {
  const spec = specOf(options.gateway);
  const endpoint =
    options.endpoint ?? new URL(`http://${hostPart(spec.listen.host)}:${spec.listen.port}${spec.path}`);
  const authenticator = createAuthenticator(spec.auth, endpoint);
  const logger = options.logger ?? SILENT_LOGGER;
  const gateway = new Gateway(host, spec, {
    ...(options.relay && { relay: options.relay }),
    warn: gatewayWarn(options),
    logger,
    toolAllowed: (caller, name) =>
      toolScopesAllow(spec.auth, { name: caller.name, scopes: caller.scopes }, name),
    ...(cluster && { ownerOf: (key: string) => cluster.cluster.ownerOf(key) }),
  });
  const stopEvents = host.on((event) => gateway.handleHostEvent(event));
  const http = createHttpHandler(gateway, {
    authenticator,
    endpoint,
    logger,
    ...(metrics && { metrics }),
    ...(cluster && { cluster: cluster.cluster }),
  });
  // A conversation this replica can no longer prove it owns ends here at once (its client is told).
  cluster?.cluster.onDrop((key, reason) => {
    logger.warn({ session: keyLogId(key), reason }, 'cluster: stopped serving a session');
    void gateway.conversations.end(key);
  });
  // Config and list changes reach every replica (checked in Redis every lease, in case one was missed).
  const sync =
    cluster && followCluster(host, gateway, cluster.events, logger, spec.cluster?.leaseMs ?? 10_000);
  const status = spec.status.enabled
    ? createStatusPage({ gateway, authenticator, ...allowedHostsAndOrigins(spec, endpoint) }, options.status)
    : undefined;
  const forStatus = (request: Request) => status?.handles(new URL(request.url)) === true;
  const handler: GatewayFetchHandler = {
    collisions: gateway.collisions(),
    fetch: (request) => (forStatus(request) ? status!.fetch(request) : http.fetch(request)),
    admit: (request) => (forStatus(request) ? status!.admit(request) : http.admit(request)),
    close: async () => {
      await sync?.close();
      stopEvents();
      status?.close();
      try {
        await http.close();
      } finally {
        authenticator.close();
      }
    },
  };
  return { handler, endpoint: http, ...(sync && { sync }) };
}

/** The gateway's warnings, to `options.warn` and to `options.logger`, each when given. */
export function gatewayWarn(options: Pick<GatewayOptions, 'warn' | 'logger'>): (message: string) => void {
  return (message) => {
    options.warn?.(message);
    options.logger?.warn({}, message);
  };
}

/** A running gateway. */
export interface RunningGateway extends AsyncDisposable {
  /** The endpoint's URL, e.g. `http://127.0.0.1:7077/mcp`. */
  readonly url: URL;
  /** Where the Prometheus metrics are served, when `gateway.metrics` is on. */
  readonly metricsUrl?: URL;
  /**
   * Stops accepting connections, lets calls in flight finish (within `limits.drainTimeoutMs`), ends
   * every client conversation and closes the listener. The host stays yours to close.
   */
  close(): Promise<void>;
}

/**
 * Serves `host` over Streamable HTTP at `gateway.listen` (default `127.0.0.1:7077`, path `/mcp`).
 * Refuses a non-loopback address without `auth` unless `insecure` is set, and a tool name collision the
 * prefix mode cannot resolve.
 */
export async function serve(host: Host, options: GatewayOptions = {}): Promise<RunningGateway> {
  const spec = specOf(options.gateway);
  if (!isLoopbackHost(spec.listen.host) && !spec.auth && !spec.insecure) {
    throw new ConfigError([
      {
        file: '<gateway>',
        path: '$.gateway.listen',
        message: `refusing to listen on ${spec.listen.host} (not loopback) without auth: set gateway.auth, or gateway.insecure: true if something in front of berth authenticates`,
      },
    ]);
  }
  // Metrics first: without their packages (or with another global meter provider) nothing starts.
  const metrics = spec.metrics && (await startPrometheus('berth gateway'));
  let metricsListener: HttpServer | undefined;
  let metricsUrl: URL | undefined;
  if (metrics && spec.metrics?.listen) {
    try {
      ({ listener: metricsListener, url: metricsUrl } = await listenForMetrics(
        spec.metrics.path,
        spec.metrics.listen,
        metrics,
      ));
    } catch (error) {
      await metrics.close();
      throw error;
    }
  }
  const listener = createServer({
    headersTimeout: spec.limits.headersTimeoutMs,
    requestTimeout: spec.limits.requestTimeoutMs,
    // Node enforces both only when it checks its connections (every 30 s by default), so a limit
    // below that would not hold: check at a quarter of the smaller one.
    connectionsCheckingInterval: checkingInterval(spec.limits.headersTimeoutMs),
  });
  try {
    await listenOn(listener, spec.listen);
  } catch (error) {
    if (metricsListener) await closeListener(metricsListener, 0);
    await metrics?.close();
    throw error;
  }
  const { port } = listener.address() as AddressInfo;
  const url = new URL(`http://${hostPart(spec.listen.host)}:${port}${spec.path}`);
  if (metrics && !metricsUrl)
    metricsUrl = new URL(`http://${hostPart(spec.listen.host)}:${port}${spec.metrics!.path}`);
  const onListener: MetricsEndpoint | undefined =
    metrics && !metricsListener ? { path: spec.metrics!.path, text: () => metrics.text() } : undefined;
  let handler: GatewayFetchHandler;
  let endpoint: HttpHandler;
  let cluster: { cluster: Cluster; events: ClusterEvents } | undefined;
  try {
    if (spec.cluster) cluster = await joinCluster(spec.cluster, url, options.logger ?? SILENT_LOGGER);
    let sync: ClusterSync | undefined;
    ({ handler, endpoint, sync } = gatewayHandler(
      host,
      { ...options, gateway: spec, endpoint: options.endpoint ?? url },
      onListener,
      cluster,
    ));
    if (handler.collisions.length) {
      await handler.close();
      throw new ConfigError(
        handler.collisions.map((message) => ({ file: '<gateway>', path: '$.gateway.prefix', message })),
      );
    }
    // A replica joining a running cluster takes its latest config before it serves.
    await sync?.joined;
  } catch (error) {
    cluster?.events.close();
    await cluster?.cluster.close();
    await closeListener(listener, 0);
    if (metricsListener) await closeListener(metricsListener, 0);
    await metrics?.close();
    throw error;
  }
  const node = toNodeHandler(handler, { maxRequestBodySize: spec.limits.maxBodyBytes });
  // Connections that have not sent a request yet: Node never counts them idle, so they would hold
  // the listener's close until the drain deadline.
  const unused = new Set<Socket>();
  listener.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  listener.on('request', (req, res) => {
    unused.delete(req.socket);
    const refused = unservable(req);
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'application/json', ...refused.headers });
      res.end(JSON.stringify({ error: refused.message }));
      return;
    }
    // The MCP endpoint's requests take the direct way; the rest (status page, metrics, the OAuth
    // metadata, unknown paths) go through the fetch handler and its Node adapter.
    const served =
      pathOf(req.url) === spec.path
        ? serveEndpoint(endpoint, req, res, spec.limits.maxBodyBytes)
        : serveNode(req, res);
    served.catch(() => res.destroy());
  });
  /**
   * Refuses what the headers decide (foreign Host, no valid token, …) before the adapter reads, and
   * buffers, the body: a client that may not use the gateway cannot make it hold its uploads.
   */
  async function serveNode(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let early: Response | undefined;
    try {
      early = await handler.admit(headersOnly(req));
    } catch {
      early = undefined; // headers a fetch Request cannot hold: the adapter answers
    }
    if (!early) return node(req, res);
    const unread =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
    // With a body left unread, the connection cannot carry another request: close it.
    res.writeHead(early.status, {
      ...Object.fromEntries(early.headers),
      ...(unread && { connection: 'close' }),
    });
    res.end(Buffer.from(await early.arrayBuffer()));
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const listenerClosed = closeListener(listener, spec.limits.drainTimeoutMs);
      try {
        await handler.close(); // conversations end, and release their leases
      } finally {
        cluster?.events.close();
        await cluster?.cluster.close();
      }
      // Nothing is in flight any more: close the connections between requests (those whose last
      // response ended during the drain) and those that never sent one, rather than wait on them.
      listener.closeIdleConnections();
      for (const socket of unused) socket.destroy();
      await listenerClosed;
      if (metricsListener) await closeListener(metricsListener, 0);
      await metrics?.close();
    })());
  return { url, ...(metricsUrl && { metricsUrl }), close, [Symbol.asyncDispose]: close };
}

/**
 * Joins the cluster as the replica at `url` (or the advertised address), and its event channel (on
 * connections of its own: a config published there never delays a lease's renewal); Redis trouble
 * is logged.
 */
async function joinCluster(
  spec: GatewayClusterSpec,
  url: URL,
  logger: Logger,
): Promise<{ cluster: Cluster; events: ClusterEvents }> {
  const onError = (error: Error) => logger.warn({ err: error.message }, 'cluster: Redis trouble');
  const cluster = await Cluster.start({
    redis: spec.redis,
    secret: spec.secret,
    url: spec.advertise ?? url.href,
    prefix: spec.prefix,
    leaseMs: spec.leaseMs,
    onError,
  });
  try {
    const events = await ClusterEvents.connect(
      {
        redis: spec.redis,
        commandTimeoutMs: Math.max(1_000, spec.leaseMs),
        connectTimeoutMs: EVENTS_CONNECT_TIMEOUT_MS,
        onError,
      },
      { prefix: `${spec.prefix}:`, secret: spec.secret, replica: cluster.replicaId },
    );
    return { cluster, events };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

/** How long connecting the event channel may take (ms), as for the cluster's own connection. */
const EVENTS_CONNECT_TIMEOUT_MS = 10_000;

/** Starts listening on `where`; rejects with the listen error. */
async function listenOn(listener: HttpServer, where: { host: string; port: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(where.port, where.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
}

/**
 * The metrics' own listener: `GET path` answers with the metrics, anything else 404 (405 for other
 * methods). No auth: it serves nothing but the metrics, which hold no secrets; bind it where only
 * your scraper reaches.
 */
async function listenForMetrics(
  path: string,
  where: { host: string; port: number },
  metrics: PrometheusMetrics,
): Promise<{ listener: HttpServer; url: URL }> {
  const listener = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 });
  listener.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', 'http://metrics');
    if (target.pathname !== path) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `Not found: the metrics are at ${path}` }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' });
      res.end(JSON.stringify({ error: 'Method Not Allowed: GET the metrics' }));
      return;
    }
    metrics.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => res.destroy(),
    );
  });
  await listenOn(listener, where);
  const { port } = listener.address() as AddressInfo;
  return { listener, url: new URL(`http://${hostPart(where.host)}:${port}${path}`) };
}

/** Methods a fetch `Request` cannot carry. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Why a request cannot be handed to the fetch-style handler at all, as a 4xx (the SDK's adapter
 * would fail to build its `Request` and answer 500): a method fetch forbids, or a Host header and
 * request target that do not make a plain `http://host/path` URL.
 */
function unservable(
  req: IncomingMessage,
): { status: number; message: string; headers?: Record<string, string> } | undefined {
  if (FORBIDDEN_METHODS.has(req.method ?? '')) {
    return {
      status: 405,
      message: `${req.method} is not served here`,
      headers: { allow: 'GET, POST, DELETE' },
    };
  }
  const target = req.url ?? '/';
  let url: URL | undefined;
  try {
    if (target.startsWith('/')) url = new URL(`http://${req.headers.host ?? 'localhost'}${target}`);
  } catch {
    // not a URL
  }
  if (!url || url.username || url.password) {
    return { status: 400, message: 'Bad Request: the Host header and request target do not make a URL' };
  }
  return undefined;
}

/** The path of a request target, without its query. */
function pathOf(target: string | undefined): string {
  const query = target?.indexOf('?') ?? -1;
  return query < 0 ? (target ?? '/') : target!.slice(0, query);
}

/** A request's method, URL and headers without its body (`unservable` has checked the URL). */
function headersOnly(req: IncomingMessage): Request {
  const headers = headersOf(req);
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  return new Request(url, { method: req.method ?? 'GET', headers });
}

/** Stops accepting; idle connections close now, busy ones when done or after `graceMs`. */
async function closeListener(listener: HttpServer, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
  listener.closeIdleConnections();
  const timer = setTimeout(() => listener.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}

/** How often Node looks for connections past the headers timeout: a quarter of it, within 50 ms–30 s. */
function checkingInterval(headersTimeoutMs: number): number {
  return Math.min(30_000, Math.max(50, Math.floor(headersTimeoutMs / 4)));
}

function hostPart(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
