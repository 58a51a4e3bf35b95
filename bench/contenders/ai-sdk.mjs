/**
 * Contender: the Vercel AI SDK's MCP client (`@ai-sdk/mcp` 1.x: `createMCPClient` with its stdio
 * transport `Experimental_StdioMCPTransport` from `@ai-sdk/mcp/mcp-stdio`), one client per server as
 * its docs show; `client.tools()` once, then `tools[name].execute(args, …)` (what `generateText`
 * does per tool call); `client.close()` at the end. 1.x because 2.x requires Node ≥ 22.
 * From bench/node_modules.
 */
import { createMCPClient } from '@ai-sdk/mcp';
import { Experimental_StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { firstText } from '../lib/contender.mjs';
import { packageVersion } from '../lib/package-version.mjs';

export const description = '@ai-sdk/mcp createMCPClient + stdio transport per server + tools().execute()';

export function versions() {
  return { '@ai-sdk/mcp': packageVersion('@ai-sdk/mcp', import.meta.resolve('@ai-sdk/mcp')) };
}

let callId = 0;

export async function openFleet({ servers }) {
  const opened = new Map();
  try {
    await Promise.all(
      servers.map(async ({ name, command, args }) => {
        const client = await createMCPClient({
          transport: new Experimental_StdioMCPTransport({ command, args, stderr: 'inherit' }),
        });
        opened.set(name, { client });
        opened.get(name).tools = await client.tools();
      }),
    );
  } catch (error) {
    await Promise.allSettled([...opened.values()].map(({ client }) => client.close()));
    throw error;
  }
  return {
    async call(server, tool, args) {
      const result = await opened
        .get(server)
        .tools[tool].execute(args, { toolCallId: `c${++callId}`, messages: [] });
      return firstText(result);
    },
    close: () => Promise.all([...opened.values()].map(({ client }) => client.close())),
  };
}
