#!/usr/bin/env node
/**
 * A stateful MCP stdio server (SDK v2 server package) for the state check: `increment` adds one to
 * a counter kept in this process and returns it, `get` returns it. A client whose calls all reach
 * the same session sees increment, increment, get == 2; one that opens a fresh session (process)
 * per call sees 0. It keeps no timers and exits by itself once its client closes stdin.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

let counter = 0;
const text = (t) => ({ content: [{ type: 'text', text: String(t) }] });
const server = new McpServer({ name: 'bench-counter', version: '1.0.0' });
server.registerTool(
  'increment',
  { description: 'Add one to the counter', inputSchema: z.object({}) },
  async () => text(++counter),
);
server.registerTool('get', { description: 'Read the counter', inputSchema: z.object({}) }, async () =>
  text(counter),
);
server.registerTool(
  'echo',
  { description: 'Echo a text value', inputSchema: z.object({ value: z.string() }) },
  async ({ value }) => text(value),
);
await server.connect(new StdioServerTransport());
