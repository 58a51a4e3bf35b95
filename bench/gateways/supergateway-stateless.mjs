/**
 * Gateway contender: supergateway 4.x in its default stdio → Streamable HTTP mode (stateless, no
 * `--stateful`): every POST gets a fresh upstream process, initialized by the gateway on the
 * request's behalf and ended once that request is answered. No state survives between calls, and
 * each call pays a process start. Otherwise as gateways/supergateway.mjs.
 */
import { installedVersion } from '../lib/package-version.mjs';
import { supergatewayLaunch } from './supergateway.mjs';

const PKG = 'supergateway';

export const description = 'supergateway --stdio … --outputTransport streamableHttp (default: stateless)';
export const transport = 'streamable-http';
export const sessionModel = 'one upstream process per HTTP request (stateless; no session kept)';

export function versions() {
  return { [PKG]: installedVersion(PKG) };
}

export function launch({ server }) {
  return supergatewayLaunch(server);
}
