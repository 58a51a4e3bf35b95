/**
 * Demo MCP server (stdio): a stateful counter, part of berth's embedded default config. It owns one
 * integer for the life of the process: tools `increment`, `get` and `reset`, and the resource
 * `counter://value`. Small on purpose: it starts fast and shows state surviving across calls.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

let value = 0;

const server = new McpServer({ name: 'berth-demo-counter', version: '0.1.0' });

/** A tool result carrying the counter as text (for people) and structured content (for programs). */
const result = () => ({
  content: [{ type: 'text' as const, text: String(value) }],
  structuredContent: { value },
});
const output = z.object({ value: z.number().int().describe('The counter after the call') });

server.registerTool(
  'increment',
  {
    title: 'Increment',
    description: 'Add to the counter and return its new value',
    inputSchema: z.object({ by: z.number().int().default(1).describe('How much to add (default 1)') }),
    outputSchema: output,
  },
  async ({ by }) => {
    value += by;
    return result();
  },
);

server.registerTool(
  'get',
  {
    title: 'Get',
    description: 'Return the current value of the counter',
    outputSchema: output,
    annotations: { readOnlyHint: true },
  },
  async () => result(),
);

server.registerTool(
  'reset',
  {
    title: 'Reset',
    description: 'Set the counter back to 0',
    outputSchema: output,
    annotations: { destructiveHint: true, idempotentHint: true },
  },
  async () => {
    value = 0;
    return result();
  },
);

server.registerResource(
  'value',
  'counter://value',
  { title: 'Counter value', description: 'The current value of the counter', mimeType: 'text/plain' },
  async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: String(value) }] }),
);

await server.connect(new StdioServerTransport());
