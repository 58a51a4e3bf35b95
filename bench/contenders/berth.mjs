/**
 * Contender: berth, from its built output (`../../dist/index.js`; `npm run bench` builds it first).
 * One host with one stdio server; every call goes through berth's full path: catalog lookup,
 * argument validation, the session owner, then the SDK client.
 *
 * See contenders/sdk-v2.mjs for the contract every contender follows.
 */
import { readFileSync } from 'node:fs';
import { createHost } from '../../dist/index.js';
import { packageVersion } from '../lib/package-version.mjs';
import { berthFleet } from '../lib/berth-contender.mjs';

export const description = 'berth createHost + host.callTool (dist build)';

export function versions() {
  const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const sdk = '@modelcontextprotocol/client';
  return { berth: `${root.version} (dist)`, [sdk]: packageVersion(sdk, import.meta.resolve(sdk)) };
}

export async function open({ command, args }) {
  const host = await createHost({ mcpServers: { bench: { command, args } } });
  const [status] = host.status();
  if (status?.state !== 'ready') {
    await host.close();
    throw new Error(`berth could not start the echo server: ${JSON.stringify(status)}`);
  }
  return {
    pid: status.pid,
    async echo(value) {
      const result = await host.callTool('bench__echo', { value });
      return result.content[0].text;
    },
    close: () => host.close(),
  };
}

/** Several servers in one host, every one `"session": "shared"` (the default). */
export const openFleet = berthFleet();
