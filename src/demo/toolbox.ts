/**
 * Demo MCP server (stdio): small stateless utilities, part of berth's embedded default config. Tools
 * `echo`, `add`, `now` and `uuid`, and the prompt `summarize`. Small on purpose: it starts fast and
 * gives a newcomer something to call at once.
 */
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

const server = new McpServer({ name: 'berth-demo-toolbox', version: '0.1.0' });

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

server.registerTool(
  'echo',
  {
    title: 'Echo',
    description: 'Return the text unchanged',
    inputSchema: z.object({ text: z.string().describe('The text to return') }),
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  async ({ text: input }) => text(input),
);

server.registerTool(
  'add',
  {
    title: 'Add',
    description: 'Add two numbers',
    inputSchema: z.object({
      a: z.number().describe('First addend'),
      b: z.number().describe('Second addend'),
    }),
    outputSchema: z.object({ sum: z.number() }),
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  async ({ a, b }) => ({ ...text(String(a + b)), structuredContent: { sum: a + b } }),
);

server.registerTool(
  'now',
  {
    title: 'Now',
    description: 'The current time, ISO 8601 in UTC',
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  async () => text(new Date().toISOString()),
);

server.registerTool(
  'uuid',
  {
    title: 'UUID',
    description: 'A random UUID (version 4)',
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  async () => text(randomUUID()),
);

server.registerPrompt(
  'summarize',
  {
    title: 'Summarize',
    description: 'Ask the model to summarize a text',
    argsSchema: z.object({ text: z.string().describe('The text to summarize') }),
  },
  ({ text: input }) => ({
    messages: [
      {
        role: 'user',
        content: { type: 'text', text: `Summarize the following text in a few sentences:\n\n${input}` },
      },
    ],
  }),
);

await server.connect(new StdioServerTransport());
