/**
 * Contender (a reference, not a peer): the least an application on the SDK v2 client can spend per
 * call. The same `Client` + `StdioClientTransport` as `sdk-v2`, but each call is `client.request()`
 * for `tools/call` with a result schema that accepts anything: no result validation at all, no
 * output-schema check, none of `callTool`'s own work. What is left is the SDK's protocol layer and
 * its stdio transport, which every client built on SDK v2 (berth among them) goes through. Where
 * berth's cost per call is at this floor, the rest is the SDK's.
 *
 * Contract: as bench/contenders/sdk-v2.mjs.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { packageVersion } from '../lib/package-version.mjs';

export const description = 'SDK v2 Client.request() for tools/call with no result validation (a floor)';

export function versions() {
  const pkg = '@modelcontextprotocol/client';
  return { [pkg]: packageVersion(pkg, import.meta.resolve(pkg)) };
}

/** A Standard Schema that takes any value as it is. */
const ANY = { '~standard': { version: 1, vendor: 'bench', validate: (value) => ({ value }) } };

export async function open({ command, args }) {
  const transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
  const client = new Client({ name: 'bench-sdk-v2-floor', version: '0.0.0' });
  await client.connect(transport);
  await client.listTools();
  return {
    pid: transport.pid,
    async echo(value) {
      const result = await client.request(
        { method: 'tools/call', params: { name: 'echo', arguments: { value } } },
        ANY,
      );
      return result.content[0].text;
    },
    close: () => client.close(),
  };
}
