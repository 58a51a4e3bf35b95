#!/usr/bin/env node
/**
 * The SDK v2 gateway floor: the least a gateway built on the MCP SDK v2 packages does, in the
 * pattern of the SDK's own Streamable HTTP server examples. One upstream stdio server behind one SDK
 * v2 `Client`, shared by every client; per client session an SDK `Server` and a
 * `NodeStreamableHTTPServerTransport` (`@modelcontextprotocol/node`) with JSON answers
 * (`enableJsonResponse`), kept in a map by session id. `tools/list` answers the listing taken at
 * start; `tools/call` is `client.request()` upstream with a result schema that accepts anything.
 * No auth, no Host/Origin checks, no progress, no cancellation, no limits: what is left is the SDK's
 * HTTP transport and protocol layers on both sides, so it shows what any gateway on SDK v2 pays per
 * call before doing anything of its own.
 *
 *   node bench/servers/sdk-v2-gateway.mjs -- <command> [args…]
 *
 * Listens on 127.0.0.1, port 0; prints `sdk-v2-gateway: serving http://127.0.0.1:PORT/mcp` to
 * stderr once it can serve. Ends on SIGTERM/SIGINT (closing the upstream client) or when the
 * upstream server exits.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { Server, isInitializeRequest } from '@modelcontextprotocol/server';

const [command, ...args] = process.argv.slice(process.argv.indexOf('--') + 1);
const upstream = new Client({ name: 'sdk-v2-gateway', version: '0.0.0' });
const stdio = new StdioClientTransport({ command, args, stderr: 'inherit' });
stdio.onclose = () => process.exit(0);
await upstream.connect(stdio);
const { tools } = await upstream.listTools();

/** A Standard Schema that takes any value as it is. */
const ANY = { '~standard': { version: 1, vendor: 'bench', validate: (value) => ({ value }) } };

/** Client sessions: session id → transport. */
const transports = new Map();

async function openSession() {
  const server = new Server({ name: 'sdk-v2-gateway', version: '0.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools }));
  server.setRequestHandler('tools/call', (request) =>
    upstream.request({ method: 'tools/call', params: request.params }, ANY),
  );
  const transport = new NodeStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: true,
    onsessioninitialized: (id) => transports.set(id, transport),
    onsessionclosed: (id) => transports.delete(id),
  });
  await server.connect(transport);
  return transport;
}

/** Reads a request's body as JSON (undefined when it is empty or not JSON). */
async function jsonBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

const http = createServer(async (req, res) => {
  try {
    const id = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? await jsonBody(req) : undefined;
    let transport = typeof id === 'string' ? transports.get(id) : undefined;
    if (!transport && id === undefined && req.method === 'POST' && isInitializeRequest(body)) {
      transport = await openSession();
    }
    if (!transport) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }),
        );
      return;
    }
    await transport.handleRequest(req, res, body);
  } catch (error) {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(error));
  }
});
http.listen(0, '127.0.0.1', () => {
  process.stderr.write(`sdk-v2-gateway: serving http://127.0.0.1:${http.address().port}/mcp\n`);
});

const stop = async () => {
  http.close();
  http.closeAllConnections();
  await Promise.allSettled([...transports.values()].map((t) => t.close()));
  await upstream.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
