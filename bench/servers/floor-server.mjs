#!/usr/bin/env node
/**
 * The floor's server: a hand-written MCP stdio server with no SDK. It reads newline-delimited
 * JSON-RPC from stdin and answers `initialize`, `ping`, `tools/list` and `tools/call` for three
 * tools: `echo` (returns its `value` as text), `increment` and `get` (a counter kept in this
 * process, for the state check). Notifications are ignored. It keeps no timers, so it exits by
 * itself once stdin closes. Just enough MCP for every client in the suite to talk to it; no argument
 * validation, no schemas beyond what the clients need to see.
 */
import { createInterface } from 'node:readline';

const TOOLS = [
  {
    name: 'echo',
    description: 'Echo a text value',
    inputSchema: {
      type: 'object',
      properties: { value: { type: 'string' } },
      required: ['value'],
    },
  },
  {
    name: 'increment',
    description: 'Add one to the counter',
    inputSchema: { type: 'object', properties: {} },
  },
  { name: 'get', description: 'Read the counter', inputSchema: { type: 'object', properties: {} } },
];

let counter = 0;
const text = (t) => ({ content: [{ type: 'text', text: String(t) }] });

function handle(message) {
  const { method, params } = message;
  switch (method) {
    case 'initialize':
      return {
        protocolVersion: params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'bench-floor', version: '1.0.0' },
      };
    case 'ping':
      return {};
    case 'tools/list':
      return { tools: TOOLS };
    case 'tools/call': {
      const name = params?.name;
      if (name === 'echo') return text(params.arguments?.value ?? '');
      if (name === 'increment') return text(++counter);
      if (name === 'get') return text(counter);
      return { content: [{ type: 'text', text: `unknown tool ${name}` }], isError: true };
    }
    default:
      return undefined;
  }
}

process.stdout.setMaxListeners(0);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  if (message.id === undefined || message.id === null || !message.method) return; // notification or response
  const result = handle(message);
  const reply =
    result === undefined
      ? {
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32601, message: `Method not found: ${message.method}` },
        }
      : { jsonrpc: '2.0', id: message.id, result };
  process.stdout.write(`${JSON.stringify(reply)}\n`);
});
