/**
 * Contender: `@langchain/mcp-adapters`' `MultiServerMCPClient`, as its README recommends: one client
 * for all servers (stdio transport), `getTools()` to load them as LangChain tools, `tool.invoke(args)`
 * to call one (what an agent's tool node does), `client.close()` at the end. Tool names are prefixed
 * with the server's name (`prefixToolNameWithServerName`) because every bench server has the same
 * tools; `useStandardContentBlocks: true` as the README recommends for new applications. From
 * bench/node_modules.
 */
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { firstText } from '../lib/contender.mjs';
import { packageVersion } from '../lib/package-version.mjs';

export const description = '@langchain/mcp-adapters MultiServerMCPClient + getTools() + tool.invoke()';

export function versions() {
  const out = {};
  for (const pkg of ['@langchain/mcp-adapters', '@langchain/core', '@modelcontextprotocol/sdk'])
    out[pkg] = packageVersion(
      pkg,
      import.meta.resolve(pkg === '@modelcontextprotocol/sdk' ? `${pkg}/client/index.js` : pkg),
    );
  return out;
}

export async function openFleet({ servers }) {
  const client = new MultiServerMCPClient({
    throwOnLoadError: true,
    prefixToolNameWithServerName: true,
    additionalToolNamePrefix: '',
    useStandardContentBlocks: true,
    mcpServers: Object.fromEntries(
      servers.map(({ name, command, args }) => [
        name,
        { transport: 'stdio', command, args, stderr: 'inherit' },
      ]),
    ),
  });
  let tools;
  try {
    tools = new Map((await client.getTools()).map((tool) => [tool.name, tool]));
  } catch (error) {
    await client.close();
    throw error;
  }
  return {
    async call(server, tool, args) {
      const found = tools.get(`${server}__${tool}`);
      if (!found) throw new Error(`no tool ${server}__${tool} (have ${[...tools.keys()].slice(0, 5)}…)`);
      return firstText(await found.invoke(args));
    },
    close: () => client.close(),
  };
}
