/**
 * Forwarding a request to its owner replica (`src/cluster/forward.ts`), against a real HTTP server
 * standing in for the owner: the route header it can verify, and a connection of its own per request.
 * A kept-alive connection the owner closes (idle past its keep-alive timeout) just as the forwarder
 * reuses it fails a request the owner never read, which the forwarder cannot tell from an owner dying
 * mid-call ("it may have run there"). The stand-in owner here cuts every connection on its second
 * request, the outcome of that race made certain.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ROUTE_HEADER, forwardTo, verifyRoute } from '../../src/cluster/forward.js';

const SECRET = 'forward-test-secret';

interface Seen {
  socket: number;
  connection: string | undefined;
  key: string | undefined;
}

/** An owner that answers each request's body back, and cuts a connection on its second request. */
async function owner(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new Map<Socket, { id: number; requests: number }>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let socket = sockets.get(req.socket);
      if (!socket) sockets.set(req.socket, (socket = { id: sockets.size + 1, requests: 0 }));
      socket.requests += 1;
      if (socket.requests > 1) {
        // Closed as the request arrived, as an idle timeout would: the request is never read.
        req.socket.destroy();
        return;
      }
      const header = req.headers[ROUTE_HEADER];
      seen.push({
        socket: socket.id,
        connection: req.headers.connection,
        key:
          typeof header === 'string'
            ? verifyRoute(SECRET, header, { method: req.method ?? '', path: req.url ?? '', body })
            : undefined,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/mcp`, seen };
}

describe('forwarding a request to its owner replica', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const running = server;
    server = undefined;
    if (!running) return;
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  });

  it('goes on a connection of its own, signed for its key, and never on one kept from before', async () => {
    const target = await owner();
    server = target.server;
    const gone = new AbortController().signal;
    for (let i = 0; i < 4; i++) {
      const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo' } });
      const request = new Request('http://replica-a.test/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'keep-alive' },
        body,
      });
      const answer = await forwardTo(target.url, request, body, `alice\0conversation-${i}`, SECRET, gone);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe(body);
      expect(answer.headers.get('connection')).toBeNull(); // a hop's header is not passed back
    }
    expect(target.seen.map((s) => s.socket)).toEqual([1, 2, 3, 4]);
    expect(target.seen.every((s) => s.connection === 'close')).toBe(true);
    expect(target.seen.map((s) => s.key)).toEqual([0, 1, 2, 3].map((i) => `alice\0conversation-${i}`));
  });
});
