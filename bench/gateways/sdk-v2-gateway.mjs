/**
 * Gateway contender: the floor of a gateway on the MCP SDK v2 packages
 * (bench/servers/sdk-v2-gateway.mjs): the SDK's server, Node HTTP transport and client, wired the way
 * the SDK's examples do, and nothing else. A reference, not a peer: it separates what the SDK v2
 * stack costs per call (the same for every gateway built on it, berth among them) from what a
 * gateway adds on top.
 */
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../lib/package-version.mjs';

const SCRIPT = fileURLToPath(new URL('../servers/sdk-v2-gateway.mjs', import.meta.url));

export const description =
  'SDK v2 server + Node transport + client, the SDK examples pattern (bench/servers/sdk-v2-gateway.mjs)';
export const transport = 'streamable-http';
export const sessionModel =
  'one shared upstream session and process for every client (an SDK server object per client session)';

export function versions() {
  const out = {};
  for (const pkg of ['@modelcontextprotocol/server', '@modelcontextprotocol/node']) {
    out[pkg] = packageVersion(pkg, import.meta.resolve(pkg));
  }
  return out;
}

export function launch({ server }) {
  return {
    command: process.execPath,
    args: [SCRIPT, '--', server.command, ...server.args],
    ready: { stderr: /sdk-v2-gateway: serving (http:\/\/\S+)/ },
  };
}
