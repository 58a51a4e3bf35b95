/**
 * Gateway contender: the npm `mcp-proxy` 6.x (punkpeye), its CLI with default options on
 * 127.0.0.1, port 0 (read from /proc): Streamable HTTP at /mcp (and HTTP+SSE at /sse). It spawns
 * the server once and multiplexes every client session onto that single upstream connection (an
 * SDK server object per client session, one shared SDK client upstream); sessions are kept with a
 * resumability event store (its default) until DELETE or 30 min idle.
 */
import { fileURLToPath } from 'node:url';
import { installedVersion } from '../lib/package-version.mjs';

const PKG = 'mcp-proxy';
const BIN = fileURLToPath(new URL('../node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs', import.meta.url));

export const description = 'mcp-proxy --host 127.0.0.1 --port 0 -- <server>';
export const transport = 'streamable-http';
export const sessionModel = 'one shared upstream session and process for every client';

export function versions() {
  return { [PKG]: installedVersion(PKG) };
}

export function launch({ server }) {
  return {
    command: process.execPath,
    args: [BIN, '--host', '127.0.0.1', '--port', '0', '--', server.command, ...server.args],
    ready: { path: '/mcp' },
  };
}
