/**
 * Contender: `mcp-use`'s `MCPClient` (1.x; 2.x requires Node ≥ 22), as its README shows:
 * (from its `mcp-use/client` entry: the main entry also loads its LangChain agent, which needs
 * `langchain`) `MCPClient.fromDict({ mcpServers })`, `createAllSessions()`, then `session.callTool(name, args)`
 * on `getSession(server)`; `close()` at the end. Its anonymous telemetry is turned off
 * (`MCP_USE_ANONYMIZED_TELEMETRY=false`) so the benchmark makes no network calls.
 * From bench/node_modules.
 */
import { firstText } from '../lib/contender.mjs';
import { packageVersion } from '../lib/package-version.mjs';

process.env.MCP_USE_ANONYMIZED_TELEMETRY = 'false';
const { MCPClient } = await import('mcp-use/client');

export const description = 'mcp-use MCPClient.fromDict + createAllSessions() + session.callTool()';

export function versions() {
  return { 'mcp-use': packageVersion('mcp-use', import.meta.resolve('mcp-use/client')) };
}

export async function openFleet({ servers }) {
  const client = MCPClient.fromDict({
    mcpServers: Object.fromEntries(servers.map(({ name, command, args }) => [name, { command, args }])),
  });
  try {
    await client.createAllSessions();
  } catch (error) {
    await client.close();
    throw error;
  }
  const sessions = new Map(servers.map(({ name }) => [name, client.getSession(name)]));
  return {
    async call(server, tool, args) {
      return firstText(await sessions.get(server).callTool(tool, args));
    },
    close: () => client.close(),
  };
}
