#!/usr/bin/env node
/**
 * The gateway floor: a hand-written Streamable HTTP front for one stdio server, no SDK and no
 * framework, doing the least a gateway can: one upstream process, initialized once at start and
 * shared by every client; each client session is an id in a Set; every request is forwarded with
 * a fresh upstream id and its answer returned as the POST's `application/json` body. No SSE (GET
 * is answered 405, which the spec allows), no batches, no server-to-client requests, no auth: what
 * is left is the HTTP round trip and the JSON work, so it shows how much of a gateway's latency the
 * client's HTTP transport alone costs.
 *
 *   node bench/servers/floor-gateway.mjs [--sse | --sse-stream] -- <command> [args…]
 *
 * Listens on 127.0.0.1, port 0; prints `floor-gateway: serving http://127.0.0.1:PORT/mcp` to
 * stderr once it can serve. Ends on SIGTERM/SIGINT (closing the server's stdin, then waiting for it)
 * or when its server exits.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const [command, ...args] = process.argv.slice(process.argv.indexOf('--') + 1);
// `--sse` (before `--`): answer each request as a one-event SSE stream, the way SDK servers answer by
// default, instead of a JSON body; the same bytes otherwise, to measure what that framing costs a client.
// `--sse-stream`: the same, but as SDK servers send it: headers first, then the event, then the end
// of a chunked body, each its own write.
const flags = process.argv.slice(2, process.argv.indexOf('--'));
const sse = flags.includes('--sse') || flags.includes('--sse-stream');
const streamed = flags.includes('--sse-stream');
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
const pending = new Map(); // upstream id → (message) => void
const sessions = new Set();
let nextId = 1;
let buffer = '';

child.stdout.setEncoding('utf8').on('data', (chunk) => {
  buffer += chunk;
  for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    const answer = pending.get(message.id);
    if (answer && message.method === undefined) {
      pending.delete(message.id);
      answer(message);
    }
  }
});
child.on('exit', () => process.exit(0));

/** Sends `message` upstream with a fresh id; resolves to the answer. */
function upstream(method, params) {
  const id = nextId++;
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  return new Promise((resolve) => pending.set(id, resolve));
}

const init = await upstream('initialize', {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'floor-gateway', version: '0.0.0' },
});
child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}

const error = (id, code, message) => ({ jsonrpc: '2.0', id, error: { code, message } });

const server = createServer((req, res) => {
  const session = req.headers['mcp-session-id'];
  if (req.method === 'DELETE') {
    send(res, sessions.delete(session) ? 200 : 404);
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, undefined, { allow: 'POST, DELETE' });
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    let message;
    try {
      message = JSON.parse(body);
    } catch {
      send(res, 400, error(null, -32700, 'Parse error'));
      return;
    }
    if (message?.method === 'initialize') {
      const id = randomUUID();
      sessions.add(id);
      const result = {
        ...init.result,
        protocolVersion: message.params?.protocolVersion ?? init.result.protocolVersion,
      };
      send(res, 200, { jsonrpc: '2.0', id: message.id, result }, { 'mcp-session-id': id });
      return;
    }
    if (!sessions.has(session)) {
      send(res, session ? 404 : 400, error(message?.id ?? null, -32000, 'No valid session'));
      return;
    }
    if (message?.id === undefined || message.id === null) {
      send(res, 202); // a notification (or a response): nothing to forward for this floor
      return;
    }
    upstream(message.method, message.params).then((answer) => {
      answer.id = message.id;
      if (!sse) return send(res, 200, answer);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const event = `event: message\ndata: ${JSON.stringify(answer)}\n\n`;
      if (!streamed) return res.end(event);
      res.flushHeaders();
      res.write(event, () => res.end());
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`floor-gateway: serving http://127.0.0.1:${server.address().port}/mcp\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  child.stdin.end();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
