/**
 * Gateway contender: mcp-hub 4.x (ravitemer), `mcp-hub --port PORT --config FILE`. Its unified MCP
 * endpoint serves the legacy HTTP+SSE transport only (GET /mcp opens the stream, POST /messages),
 * so its clients use the SDK v2 `SSEClientTransport`; it has no Streamable HTTP endpoint. It runs
 * one upstream connection per configured server, shared by every client, and names tools
 * `<server>__<tool>`. It listens on every interface (no host option) and refuses port 0 (it keys a workspace cache by
 * port), so the port is one the runner found free just before. Its logs and workspace cache
 * go to XDG_STATE_HOME, pointed at the measurement's own directory.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/gateway-contender.mjs';
import { installedVersion } from '../lib/package-version.mjs';

const BIN = fileURLToPath(new URL('../node_modules/mcp-hub/dist/cli.js', import.meta.url));

export const description = 'mcp-hub --port PORT --config FILE (unified endpoint /mcp, HTTP+SSE)';
export const transport = 'sse';
export const sessionModel = 'one shared upstream session and process for every client';

export function versions() {
  return { 'mcp-hub': installedVersion('mcp-hub') };
}

export async function launch({ server, dir }) {
  const port = await freePort();
  const config = join(dir, 'mcp-hub.json');
  writeFileSync(
    config,
    JSON.stringify({ mcpServers: { bench: { command: server.command, args: server.args } } }, null, 2),
  );
  return {
    command: process.execPath,
    args: [BIN, '--port', String(port), '--config', config],
    env: {
      XDG_STATE_HOME: join(dir, 'state'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
    },
    ready: { path: '/mcp' },
  };
}
