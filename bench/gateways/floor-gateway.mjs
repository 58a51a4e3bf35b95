/**
 * Gateway contender: the floor of an HTTP gateway (bench/servers/floor-gateway.mjs): hand-written,
 * no SDK, no framework, one shared upstream, JSON responses only. Not something to deploy; it
 * separates what the client's HTTP transport costs (the same for every gateway) from what a real
 * gateway adds on top.
 */
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../servers/floor-gateway.mjs', import.meta.url));

export const description = 'hand-written Streamable HTTP floor (bench/servers/floor-gateway.mjs), no SDK';
export const transport = 'streamable-http';
export const sessionModel = 'one shared upstream session and process for every client (a session is an id)';

export function versions() {
  return { 'floor-gateway': 'bench' };
}

export function launch({ server }) {
  return {
    command: process.execPath,
    args: [SCRIPT, '--', server.command, ...server.args],
    ready: { stderr: /floor-gateway: serving (http:\/\/\S+)/ },
  };
}
