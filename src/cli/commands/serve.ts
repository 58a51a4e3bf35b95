/**
 * `berth serve`: the host as one MCP endpoint, over HTTP (default `127.0.0.1:7077/mcp`) or, with
 * `--stdio`, to the one client on stdin/stdout. It runs until SIGINT/SIGTERM (or, on stdio, until the
 * client closes stdin), then stops accepting, lets calls in flight finish within the drain deadline,
 * ends every client conversation, and returns 0; the run then closes the host.
 */
import { isStatusPath, parseListen, type GatewaySpec } from '../../config/gateway.js';
import { serve, type Relay, type StatusOptions } from '../../gateway/index.js';
import { serveOverStdio } from '../../gateway/stdio.js';
import type { Host } from '../../api.js';
import type { CliIo } from '../io.js';
import type { RunContext } from '../session.js';
import { SILENT_LOGGER } from '../../log/logger.js';

/** `berth serve`'s own options. */
export interface ServeCommandOptions {
  /** `HOST:PORT` to listen on, over the config's `gateway.listen`. */
  listen?: string;
  /** Serve one client on stdin/stdout instead of HTTP. */
  stdio?: boolean;
  /** Serve the live status page (`/status`), over the config's `gateway.status`. */
  status?: boolean;
  /** Serve Prometheus metrics: `true` beside the endpoint, or `HOST:PORT` for a listener of their own. */
  metrics?: boolean | string;
  /** HTTP: print `{"url": …}` on stdout once listening (and no notices). No effect with `stdio`. */
  json?: boolean;
}

/** The gateway spec with `--status` applied (it turns the page on; the config may narrow who sees it). */
export function withStatus(spec: GatewaySpec, status: boolean | undefined): GatewaySpec {
  if (!status || spec.status.enabled) return spec;
  if (isStatusPath(spec.path))
    throw new Error(
      `--status: the endpoint path ${spec.path} is where the status page goes; set gateway.path to another one`,
    );
  return { ...spec, status: { ...spec.status, enabled: true } };
}

/** The gateway spec with the command line's `--metrics` applied (over the config's `gateway.metrics`). */
export function withMetrics(spec: GatewaySpec, metrics: boolean | string | undefined): GatewaySpec {
  if (metrics === undefined || metrics === false) return spec;
  const path = spec.metrics?.path ?? '/metrics';
  if (metrics === true) return { ...spec, metrics: { path } };
  const parsed = parseListen(metrics);
  if (typeof parsed === 'string') throw new Error(`--metrics: ${parsed}`);
  return { ...spec, metrics: { path, listen: parsed } };
}

/** The gateway spec with the command line's `--listen` applied; throws a plain message when it is not one. */
export function withListen(spec: GatewaySpec, listen: string | undefined): GatewaySpec {
  if (listen === undefined) return spec;
  const parsed = parseListen(listen);
  if (typeof parsed === 'string') throw new Error(`--listen: ${parsed}`);
  return { ...spec, listen: parsed };
}

/** Runs the gateway until the run's signal (or the stdio client's leaving); returns the exit code. */
export async function serveCommand(
  host: Host,
  spec: GatewaySpec,
  relay: Relay,
  options: ServeCommandOptions,
  io: CliIo,
  context: RunContext,
  status: StatusOptions = {},
): Promise<number> {
  // The gateway's warnings, client sessions and auth failures go to the run's log.
  const log = context.log ?? SILENT_LOGGER;
  if (options.stdio) {
    if (spec.status.enabled) io.err('berth: the status page is served over HTTP only; not with --stdio');
    const gateway = serveOverStdio(host, { gateway: spec, relay, logger: log });
    // This line (and the one below) is the interface scripts read: always plain, whatever the log format.
    io.err('berth: serving on stdio');
    log.info({ transport: 'stdio' }, 'serving');
    await Promise.race([gateway.done, aborted(context.signal)]);
    await gateway.close();
    log.info({ transport: 'stdio' }, 'stopped serving');
    return 0;
  }
  const gateway = await serve(host, { gateway: spec, relay, logger: log, status });
  // With --json, one line a script can read the address from (port 0 picks a free one).
  if (options.json) io.out(JSON.stringify({ url: gateway.url.href }));
  else io.err(`berth: serving ${gateway.url.href}`);
  if (!options.json) {
    if (spec.status.enabled) io.err(`berth: status page at ${new URL('/status', gateway.url).href}`);
    if (gateway.metricsUrl) io.err(`berth: metrics at ${gateway.metricsUrl.href}`);
  }
  log.info({ url: gateway.url.href }, 'serving');
  await aborted(context.signal);
  await gateway.close();
  log.info({ url: gateway.url.href }, 'stopped serving');
  return 0;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
