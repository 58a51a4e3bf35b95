#!/usr/bin/env node
// @ts-check
/**
 * Serves conformance/server-fixture.mjs over Streamable HTTP, without berth, so the fixture itself can
 * be checked against the conformance suite's server scenarios (`node conformance/server.mjs --direct`).
 * What `berth serve` does in front of the fixture, done here with the SDK's own parts:
 *
 * - 2026-07-28 traffic: the SDK's `createMcpHandler` (one fixture instance per request; list changes
 *   go out on its `subscriptions/listen` bus).
 * - 2025 traffic: a session per client (`Mcp-Session-Id`), each with its own fixture instance on a
 *   `WebStandardStreamableHTTPServerTransport` with an event store (SSE resumption), routed with the
 *   SDK's `isLegacyRequest` in front of the strict modern handler, as the SDK documents for keeping
 *   sessionful 2025 serving next to it. (createMcpHandler's own 2025 fallback is stateless.)
 * - Host and Origin validation for loopback (DNS rebinding), 403 otherwise.
 *
 *   node conformance/fixture-http.mjs [--port N]   # prints "fixture-http: serving http://127.0.0.1:N/mcp" on stderr
 *
 * SIGTERM or SIGINT closes every session and the listener, then exits 0.
 */
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
  hostHeaderValidationResponse,
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createFixtureServer } from './server-fixture.mjs';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`fixture-http: --port must be 0..65535, got ${args.port}\n`);
  process.exit(2);
}

/** @param {Error} error */
const reportError = (error) => process.stderr.write(`fixture-http: ${error.message}\n`);

const modern = createMcpHandler(
  () =>
    createFixtureServer({
      listChanged: (kind) => {
        if (kind === 'tools') modern.notify.toolsChanged();
        else if (kind === 'prompts') modern.notify.promptsChanged();
        else modern.notify.resourcesChanged();
      },
    }),
  { legacy: 'reject', onerror: reportError },
);

/**
 * An in-memory event store per session: SSE events kept so a client that reconnects with
 * Last-Event-ID gets what it missed (SEP-1699).
 * @returns {import('@modelcontextprotocol/server').EventStore}
 */
function memoryEventStore() {
  /** @type {Map<string, { streamId: string, message: import('@modelcontextprotocol/server').JSONRPCMessage }>} */
  const events = new Map();
  let next = 0;
  return {
    async storeEvent(streamId, message) {
      const eventId = `${streamId}::${String(next++).padStart(12, '0')}`;
      events.set(eventId, { streamId, message });
      return eventId;
    },
    async getStreamIdForEventId(eventId) {
      return events.get(eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const streamId = events.get(lastEventId)?.streamId ?? lastEventId.split('::')[0];
      for (const [eventId, event] of events) {
        if (event.streamId === streamId && eventId > lastEventId) await send(eventId, event.message);
      }
      return streamId;
    },
  };
}

/** 2025 sessions: Mcp-Session-Id → its transport (which owns its fixture instance). */
/** @type {Map<string, WebStandardStreamableHTTPServerTransport>} */
const sessions = new Map();

/** @param {number} status @param {number} code @param {string} message */
const jsonRpcError = (status, code, message) =>
  Response.json({ jsonrpc: '2.0', id: null, error: { code, message } }, { status });

/** @param {Request} request @returns {Promise<Response>} */
async function serveLegacy(request) {
  const sessionId = request.headers.get('mcp-session-id');
  if (sessionId) {
    const transport = sessions.get(sessionId);
    if (!transport) return jsonRpcError(404, -32001, 'Session not found');
    return transport.handleRequest(request);
  }
  if (request.method !== 'POST')
    return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
  const body = await request
    .clone()
    .json()
    .catch(() => undefined);
  if (body?.method !== 'initialize')
    return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    eventStore: memoryEventStore(),
    retryInterval: 500,
    onsessioninitialized: (id) => void sessions.set(id, transport),
    onsessionclosed: (id) => void sessions.delete(id),
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  const server = createFixtureServer();
  await server.connect(transport);
  return transport.handleRequest(request);
}

/** @param {Request} request @returns {Promise<Response>} */
async function serve(request) {
  const rejected =
    hostHeaderValidationResponse(request, localhostAllowedHostnames()) ??
    originValidationResponse(request, localhostAllowedOrigins());
  if (rejected) return rejected;
  if (new URL(request.url).pathname !== '/mcp') return new Response('Not Found', { status: 404 });
  if (request.method === 'POST' && !(await isLegacyRequest(request))) return modern.fetch(request);
  return serveLegacy(request);
}

const nodeHandler = toNodeHandler({ fetch: serve });
const httpServer = createServer((req, res) => {
  nodeHandler(req, res).catch((/** @type {unknown} */ error) => {
    reportError(error instanceof Error ? error : new Error(String(error)));
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
httpServer.listen(port, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (httpServer.address());
  process.stderr.write(`fixture-http: serving http://127.0.0.1:${address.port}/mcp\n`);
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  const closed = new Promise((resolve) => httpServer.close(resolve));
  httpServer.closeAllConnections();
  await Promise.allSettled([...sessions.values()].map((transport) => transport.close()));
  await modern.close();
  await closed;
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
