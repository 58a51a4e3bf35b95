/**
 * Gateway contender: supergateway 4.x in its stateful stdio → Streamable HTTP mode
 * (`--outputTransport streamableHttp --stateful`): every client session gets its own upstream
 * process, spawned at initialize (through `sh -c`, in a process group of its own) and ended on
 * DELETE or after `--sessionTimeout` (default 30 min). `--logLevel none`: at its default level
 * (info) it logs every message in both directions to stdout, which would put a console write per
 * message on its path. It has no host option (it listens on every interface); `--port 0` works,
 * and the port is read from /proc.
 */
import { fileURLToPath } from 'node:url';
import { shellCommand } from '../lib/gateway-contender.mjs';
import { installedVersion } from '../lib/package-version.mjs';

const PKG = 'supergateway';
const BIN = fileURLToPath(new URL('../node_modules/supergateway/dist/index.js', import.meta.url));

export const description = 'supergateway --stdio … --outputTransport streamableHttp --stateful';
export const transport = 'streamable-http';
export const sessionModel = 'one upstream process per client session (spawned at initialize)';

export function versions() {
  return { [PKG]: installedVersion(PKG) };
}

/** supergateway serving `server` over Streamable HTTP on a free port; `mode` adds e.g. `--stateful`. */
export function supergatewayLaunch(server, mode = []) {
  return {
    command: process.execPath,
    args: [
      BIN,
      '--stdio',
      shellCommand([server.command, ...server.args]),
      '--outputTransport',
      'streamableHttp',
      ...mode,
      '--port',
      '0',
      '--logLevel',
      'none',
    ],
    ready: { path: '/mcp' },
  };
}

export function launch({ server }) {
  return supergatewayLaunch(server, ['--stateful']);
}
