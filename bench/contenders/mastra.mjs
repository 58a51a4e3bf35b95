/**
 * Contender: Mastra's MCP client (`@mastra/mcp` `MCPClient`, with its peer `@mastra/core`), as its
 * docs recommend for stdio servers: one client for all servers, `new MCPClient({ servers: { name:
 * { command, args } } })`, `listTools()` for the tools an agent gets (named `server_tool`), then
 * `tool.execute(args)` (what an agent's tool call runs: Mastra's input validation, then the MCP SDK
 * v2 client's `callTool`); `disconnect()` at the end. Every release of @mastra/mcp and @mastra/core
 * requires Node ≥ 22.13, so this contender's workers run on Node 24 (`node` below, see
 * lib/node-binary.mjs). @mastra/mcp pins its own copy of the SDK v2 client (2.0.0), nested under it
 * in bench/node_modules. From bench/node_modules.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MCPClient } from '@mastra/mcp';
import { firstText } from '../lib/contender.mjs';
import { packageVersion } from '../lib/package-version.mjs';

/** Run this contender's workers on Node 24 (read by run.mjs from this source, see lib/node-binary.mjs). */
export const node = 24;

export const description = '@mastra/mcp MCPClient + listTools() + tool.execute()';

export function versions() {
  const mcp = import.meta.resolve('@mastra/mcp');
  const out = {
    '@mastra/mcp': packageVersion('@mastra/mcp', mcp),
    '@mastra/core': packageVersion('@mastra/core', import.meta.resolve('@mastra/core/tools')),
  };
  // The SDK client that @mastra/mcp itself resolves (its own pinned copy), looked up from its files.
  const sdk = '@modelcontextprotocol/client';
  const resolved = createRequire(mcp).resolve(sdk);
  out[sdk] = packageVersion(sdk, pathToFileURL(resolved).href);
  return out;
}

let clients = 0;

async function connect(servers) {
  // A unique id per client: Mastra refuses two clients with the same configuration without one.
  const client = new MCPClient({
    id: `bench-mastra-${process.pid}-${++clients}`,
    servers: Object.fromEntries(servers.map(({ name, command, args }) => [name, { command, args }])),
  });
  let tools;
  try {
    tools = await client.listTools(); // connects every server; a server that fails is logged and skipped
    const missing = servers.filter(({ name }) => !tools[`${name}_echo`] && !tools[`${name}_get`]);
    if (missing.length > 0) throw new Error(`mastra: no tools from ${missing.map((s) => s.name)}`);
  } catch (error) {
    await client.disconnect();
    throw error;
  }
  const call = async (server, tool, args) => {
    const found = tools[`${server}_${tool}`];
    if (!found) throw new Error(`no tool ${server}_${tool} (have ${Object.keys(tools).slice(0, 5)}…)`);
    const result = await found.execute(args, {});
    if (result?.error === true) throw new Error(`mastra: ${result.message}`); // input validation failed
    return firstText(result);
  };
  // The server's pid, for the calls part's cleanup and CPU checks: Mastra does not expose it, so it
  // is read from its internal per-server client's SDK transport (undefined if that ever moves).
  const pid = (name) => client.mcpClientsById?.get(name)?.transport?.pid ?? null;
  return { client, call, pid };
}

export async function open({ command, args }) {
  const { client, call, pid } = await connect([{ name: 'bench', command, args }]);
  return {
    pid: pid('bench'),
    echo: (value) => call('bench', 'echo', { value }),
    close: () => client.disconnect(),
  };
}

export async function openFleet({ servers }) {
  const { client, call, pid } = await connect(servers);
  return {
    pids: () => servers.map(({ name }) => pid(name)),
    call,
    close: () => client.disconnect(),
  };
}
