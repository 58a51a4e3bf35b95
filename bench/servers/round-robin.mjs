#!/usr/bin/env node
/**
 * A round-robin HTTP load balancer for the cluster part (cluster-worker.mjs): each request goes to
 * the next upstream in turn, with no stickiness of any kind (what a plain Kubernetes Service does),
 * streaming both ways. A process of its own, so that its CPU is not the clients'. The same proxy as
 * test/cluster/round-robin.ts, on a keep-alive agent (a real balancer keeps its upstream connections).
 *
 *   node bench/servers/round-robin.mjs <upstream URL>…
 *
 * Listens on 127.0.0.1, port 0; prints `round-robin: serving http://127.0.0.1:PORT<path>` (the path
 * of the first upstream) to stderr once it can serve. Ends on SIGTERM/SIGINT.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';

const upstreams = process.argv.slice(2).map((u) => new URL(u));
if (upstreams.length === 0) {
  process.stderr.write('usage: round-robin.mjs <upstream URL>…\n');
  process.exit(2);
}
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let next = 0;

const server = createServer((req, res) => {
  const target = upstreams[next++ % upstreams.length];
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => send(target, req, res, Buffer.concat(chunks), true));
});

/**
 * Sends one request (its body read: MCP requests are small) upstream and streams the answer back.
 * A request on a kept-alive socket that the upstream closed meanwhile (ECONNRESET before any answer)
 * is sent once more on a new one, as Node's documentation advises (`request.reusedSocket`).
 */
function send(target, req, res, body, mayRetry) {
  const out = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: { ...req.headers, host: target.host },
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', (error) => {
    if (mayRetry && out.reusedSocket && error.code === 'ECONNRESET' && !res.headersSent)
      return send(target, req, res, body, false);
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `upstream unreachable: ${error.code ?? error.message}` }));
  });
  // The client went away before its answer ended: stop the upstream request (a finished one keeps
  // its socket for the next request).
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  out.end(body);
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stderr.write(`round-robin: serving http://127.0.0.1:${port}${upstreams[0].pathname}\n`);
});

for (const name of ['SIGTERM', 'SIGINT']) {
  process.once(name, () => {
    server.closeAllConnections();
    server.close(() => {
      agent.destroy();
      process.exit(0);
    });
  });
}
