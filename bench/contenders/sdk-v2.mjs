/**
 * Contender: the raw MCP TypeScript SDK v2 client (`Client` + `StdioClientTransport`), used the way
 * a plain application would: connect, list tools once, call. This is berth's baseline: berth's own
 * call path ends in this same `client.callTool`.
 *
 * Resolved from the root node_modules (berth's own dependency), so the version always matches berth's.
 *
 * Contender contract (every file in bench/contenders/ follows it; the file name is the contender's name):
 *   description                one line for the results file
 *   versions()                 { package: version } of what is being measured
 *   open({ command, args })    spawns its own server process; resolves to
 *                              { pid, echo(value) → Promise<text>, close() → Promise }
 * A contender whose packages are not in the root node_modules declares them in bench/package.json.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { packageVersion } from '../lib/package-version.mjs';

export const description = 'raw @modelcontextprotocol/client Client + StdioClientTransport';

export function versions() {
  const pkg = '@modelcontextprotocol/client';
  return { [pkg]: packageVersion(pkg, import.meta.resolve(pkg)) };
}

export async function open({ command, args }) {
  const transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
  const client = new Client({ name: 'bench-sdk-v2', version: '0.0.0' });
  await client.connect(transport);
  await client.listTools();
  return {
    pid: transport.pid,
    async echo(value) {
      const result = await client.callTool({ name: 'echo', arguments: { value } });
      return result.content[0].text;
    },
    close: () => client.close(),
  };
}

/**
 * Several servers: one Client + StdioClientTransport per server, connected in parallel, the way an
 * application without a host does it; close() closes every client.
 */
export async function openFleet({ servers }) {
  const clients = new Map();
  const transports = [];
  try {
    await Promise.all(
      servers.map(async ({ name, command, args }) => {
        const transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
        const client = new Client({ name: 'bench-sdk-v2', version: '0.0.0' });
        transports.push(transport);
        clients.set(name, client);
        await client.connect(transport);
        await client.listTools();
      }),
    );
  } catch (error) {
    await Promise.allSettled([...clients.values()].map((c) => c.close()));
    throw error;
  }
  return {
    pids: () => transports.map((t) => t.pid),
    async call(server, tool, args) {
      const result = await clients.get(server).callTool({ name: tool, arguments: args });
      return result.content[0].text;
    },
    close: () => Promise.all([...clients.values()].map((c) => c.close())),
  };
}
