/**
 * Protocol-era memory. berth connects with the SDK's version negotiation (`auto`): a first connect
 * asks the server with `server/discover` and falls back to the 2025 `initialize` handshake. The
 * verdict (the discovery result of a 2026-07-28 server, or "legacy") is kept per server configuration
 * and handed to every later connect of that server as `prior`, so a restart or a new session never
 * pays for the probe again. Likewise a remote server's transport: once it fell back from Streamable
 * HTTP to legacy HTTP+SSE, later connects go straight to SSE.
 */
import type { PriorDiscovery } from '@modelcontextprotocol/client';

/** What is known about how one server (configuration) negotiates. */
export class EraMemory {
  /** The verdict of the last successful connect, if any. */
  prior: PriorDiscovery | undefined;
  /** For a remote server: whether Streamable HTTP worked or it fell back to legacy HTTP+SSE. */
  remote: 'http' | 'sse' | undefined;
}
