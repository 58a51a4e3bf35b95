/**
 * Gateway contender: supergateway 4.x in its default stdio → Streamable HTTP mode (stateless, no
 * `--stateful`): every POST gets a fresh upstream process, initialized by the gateway on the
 * request's behalf and ended once that request is answered. No state survives between calls, and
 * each call pays a process start. Otherwise as gateways/supergateway.mjs.
 */
import { fileURLToPath } from 'node:url';
import { shellCommand } from '../lib/gateway-contender.mjs';
import { installedVersion } from '../lib/package-version.mjs';

const PKG = 'supergateway';
const BIN = fileURLToPath(new URL('../node_modules/supergateway/dist/index.js', import.meta.url));

export const description = 'supergateway --stdio … --outputTransport streamableHttp (default: stateless)';
export const transport = 'streamable-http';
export const sessionModel = 'one upstream process per HTTP request (stateless; no session kept)';

export function versions() {
  return { [PKG]: installedVersion(PKG) };
}

export function launch({ server }) {
  return {
    command: process.execPath,
    args: [
      BIN,
      '--stdio',
      shellCommand([server.command, ...server.args]),
      '--outputTransport',
      'streamableHttp',
      '--port',
      '0',
      '--logLevel',
      'none',
    ],
    ready: { path: '/mcp' },
  };
}
