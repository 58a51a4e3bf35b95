/**
 * berth as a contender in a given session scope (contenders/berth*.mjs): one host, from the built
 * output (`../../dist/index.js`; `npm run bench` builds it first), with every server of the fleet
 * in its config under `entry` (`session`, `prewarm`), called through `host.callTool` (catalog
 * lookup, argument validation, the session owner, then the SDK client). `key` is passed with every
 * call (keyed scope).
 */
import { readFileSync } from 'node:fs';
import { createHost } from '../../dist/index.js';
import { packageVersion } from './package-version.mjs';

export function berthVersions() {
  const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const sdk = '@modelcontextprotocol/client';
  return { berth: `${root.version} (dist)`, [sdk]: packageVersion(sdk, import.meta.resolve(sdk)) };
}

export function berthFleet(entry = {}, key = undefined) {
  return async function openFleet({ servers }) {
    const mcpServers = Object.fromEntries(
      servers.map(({ name, command, args }) => [name, { command, args, ...entry }]),
    );
    const host = await createHost({ mcpServers });
    const failed = host.status().filter((s) => s.state !== 'ready');
    if (failed.length > 0) {
      await host.close();
      throw new Error(`berth could not start ${failed.length} server(s): ${JSON.stringify(failed[0])}`);
    }
    const options = key === undefined ? undefined : { key };
    return {
      pids: () => host.status().map((s) => s.pid),
      async call(server, tool, args) {
        const result = await host.callTool(`${server}__${tool}`, args, options);
        return result.content[0].text;
      },
      close: () => host.close(),
    };
  };
}
