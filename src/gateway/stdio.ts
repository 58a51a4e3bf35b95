/**
 * The gateway over stdin/stdout: one client (what desktop apps spawn), served with the SDK's stdio
 * entry in either era. The connection is one conversation (a 2026-era client may name others with
 * `_meta["berth/key"]`); when the client closes stdin, the gateway ends and says so.
 */
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Host } from '../host/host.js';
import { createClientServer, envelopeCapabilities } from './client-server.js';
import { CONVERSATION_META_KEY } from './keys.js';
import { conversationKey } from './conversations.js';
import { Gateway } from './gateway.js';
import { serverSessionStarted } from '../telemetry/server.js';
import { gatewayWarn, specOf, type GatewayOptions } from './serve.js';

/** The principal of the stdio client: whoever started berth. */
export const STDIO_PRINCIPAL = 'stdio';

/** A gateway serving one client on stdin/stdout. */
export interface StdioGateway {
  /** Resolves when the client has gone (stdin closed) or `close()` was called. */
  readonly done: Promise<void>;
  /** Ends the conversation(s) and stops serving. */
  close(): Promise<void>;
}

/** Serves `host` to the one client on this process's stdin/stdout. */
export function serveOverStdio(
  host: Host,
  options: GatewayOptions & { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream } = {},
): StdioGateway {
  const spec = specOf(options.gateway);
  const gateway = new Gateway(host, spec, {
    ...(options.relay && { relay: options.relay }),
    warn: gatewayWarn(options),
    ...(options.logger && { logger: options.logger }),
  });
  const stopEvents = host.on((event) => gateway.handleHostEvent(event));
  const caller = { name: STDIO_PRINCIPAL, scopes: [] as string[] };
  const measured = serverSessionStarted('pipe'); // mcp.server.session.duration: the connection's life
  let ended!: () => void;
  const done = new Promise<void>((resolve) => {
    ended = () => {
      measured();
      resolve();
    };
  });
  const transport = new StdioServerTransport(
    options.stdin as ConstructorParameters<typeof StdioServerTransport>[0],
    options.stdout as ConstructorParameters<typeof StdioServerTransport>[1],
  );
  const handle = serveStdio(
    () => {
      const server = createClientServer(gateway, {
        caller,
        conversation: async (meta) => {
          const id = meta?.[CONVERSATION_META_KEY];
          const opened = await gateway.conversations.open(
            conversationKey(STDIO_PRINCIPAL, typeof id === 'string' ? id : undefined),
            STDIO_PRINCIPAL,
          );
          if (typeof opened === 'string')
            throw new Error(`berth gateway: cannot open a conversation (${opened})`);
          return opened;
        },
        capabilities: (ctx) => envelopeCapabilities(ctx) ?? server.getClientCapabilities(),
      });
      return server;
    },
    { transport },
  );
  // serveStdio installs its own onclose on the transport (a hook set before is lost): chain ours.
  const served = transport.onclose;
  transport.onclose = () => {
    served?.();
    ended();
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopEvents();
      await gateway.close();
      await handle.close().catch(() => undefined);
      ended();
    })());
  return { done, close };
}
