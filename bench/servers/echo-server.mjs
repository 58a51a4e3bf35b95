#!/usr/bin/env node
/**
 * The benchmark server: a minimal MCP stdio server (SDK v2 server package) with one tool, `echo`,
 * that returns its `value` argument as text. Every contender spawns its own copy of this script.
 * It keeps no timers, so it exits by itself once its client closes stdin. A second tool,
 * `echo_readonly`, does the same but is annotated `readOnlyHint`, so berth may send it again after
 * a crash (the soak uses both; `echo` stays unannotated).
 *
 * With 1,000 calls in flight, replies back up on stdout and the SDK's stdio transport waits for
 * 'drain' once per blocked write, which trips Node's listener-leak warning (10 listeners). That is
 * expected here, so the limit is lifted to keep the output readable; it costs nothing per call.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

process.stdout.setMaxListeners(0);

const server = new McpServer({ name: 'bench-echo', version: '1.0.0' });

server.registerTool(
  'echo',
  { description: 'Echo a text value', inputSchema: z.object({ value: z.string() }) },
  async ({ value }) => ({ content: [{ type: 'text', text: value }] }),
);

server.registerTool(
  'echo_readonly',
  {
    description: 'Echo a text value (read-only: safe to run twice)',
    inputSchema: z.object({ value: z.string() }),
    annotations: { readOnlyHint: true },
  },
  async ({ value }) => ({ content: [{ type: 'text', text: value }] }),
);

await server.connect(new StdioServerTransport());
