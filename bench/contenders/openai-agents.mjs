/**
 * Contender: the OpenAI Agents SDK's `MCPServerStdio` (`@openai/agents`), one per server, as its docs
 * show: `new MCPServerStdio({ name, command, args })`, `connect()`, then what an `Agent` with
 * `mcpServers` does per tool call, `server.callTool(name, args)`; `close()` at the end. Tool lists
 * are cached (`cacheToolsList: true`, as the docs suggest for servers whose tools do not change).
 * Uses the v1 SDK client underneath. From bench/node_modules.
 */
import { MCPServerStdio } from '@openai/agents';
import { firstText } from '../lib/contender.mjs';
import { packageVersion } from '../lib/package-version.mjs';

export const description = '@openai/agents MCPServerStdio per server + connect() + callTool()';

export function versions() {
  return {
    '@openai/agents': packageVersion('@openai/agents', import.meta.resolve('@openai/agents')),
    '@openai/agents-core': packageVersion('@openai/agents-core', import.meta.resolve('@openai/agents-core')),
  };
}

export async function openFleet({ servers }) {
  const byName = new Map(
    servers.map(({ name, command, args }) => [
      name,
      new MCPServerStdio({ name, command, args, cacheToolsList: true }),
    ]),
  );
  const all = [...byName.values()];
  try {
    await Promise.all(
      all.map(async (s) => {
        await s.connect();
        await s.listTools();
      }),
    );
  } catch (error) {
    await Promise.allSettled(all.map((s) => s.close()));
    throw error;
  }
  return {
    async call(server, tool, args) {
      return firstText(await byName.get(server).callTool(tool, args));
    },
    close: () => Promise.all(all.map((s) => s.close())),
  };
}
