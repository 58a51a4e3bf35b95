/**
 * `serve` as the public entry point exports it: the gateway's modules (and with them the MCP server
 * SDK, about 5 MiB of heap) are loaded on its first call, so a program that only hosts servers never
 * loads them. `berth/gateway` exports the gateway itself.
 */
import type { Host } from '../host/host.js';
import type { GatewayOptions, RunningGateway } from './serve.js';

/**
 * Serves `host` over Streamable HTTP at `gateway.listen` (default `127.0.0.1:7077`, path `/mcp`).
 * Refuses a non-loopback address without `auth` unless `insecure` is set, and a tool name collision the
 * prefix mode cannot resolve. The gateway is loaded on the first call.
 */
export async function serve(host: Host, options: GatewayOptions = {}): Promise<RunningGateway> {
  const gateway = await import('./serve.js');
  return gateway.serve(host, options);
}
