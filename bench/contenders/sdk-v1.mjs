/**
 * Contender: the official MCP TypeScript SDK v1 (`@modelcontextprotocol/sdk`: `Client` +
 * `StdioClientTransport`), the SDK most existing applications use, the same way as contenders/sdk-v2.mjs:
 * connect, list tools once, call. Several servers: one client per server, connected in parallel.
 * From bench/node_modules.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { packageVersion } from '../lib/package-version.mjs';

export const description = 'raw @modelcontextprotocol/sdk (v1) Client + StdioClientTransport';

export function versions() {
  const pkg = '@modelcontextprotocol/sdk';
  return { [pkg]: packageVersion(pkg, import.meta.resolve('@modelcontextprotocol/sdk/client/index.js')) };
}

async function connect(command, args) {
  const transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
  const client = new Client({ name: 'bench-sdk-v1', version: '0.0.0' });
  await client.connect(transport);
  await client.listTools();
  return { client, transport };
}

export async function open({ command, args }) {
  const { client, transport } = await connect(command, args);
  return {
    pid: transport.pid,
    async echo(value) {
      const result = await client.callTool({ name: 'echo', arguments: { value } });
      return result.content[0].text;
    },
    close: () => client.close(),
  };
}

export async function openFleet({ servers }) {
  const settled = await Promise.allSettled(servers.map(({ command, args }) => connect(command, args)));
  const opened = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  if (opened.length < servers.length) {
    await Promise.allSettled(opened.map(({ client }) => client.close()));
    throw settled.find((s) => s.status === 'rejected').reason;
  }
  const byName = new Map(servers.map(({ name }, i) => [name, opened[i].client]));
  return {
    pids: () => opened.map(({ transport }) => transport.pid),
    async call(server, tool, args) {
      const result = await byName.get(server).callTool({ name: tool, arguments: args });
      return result.content[0].text;
    },
    close: () => Promise.all(opened.map(({ client }) => client.close())),
  };
}
