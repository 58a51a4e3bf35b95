/**
 * A round-robin HTTP proxy for the cluster tests: each request goes to the next replica in turn, with
 * no stickiness of any kind (what a plain load balancer does), streaming both ways.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy. */
export interface RoundRobin extends AsyncDisposable {
  /** The MCP endpoint through the proxy. */
  readonly url: URL;
  /** Requests each upstream has received, by its URL's host. */
  readonly counts: Map<string, number>;
  /** The upstream endpoints, in turn; replace entries to take one out. */
  upstreams: URL[];
  close(): Promise<void>;
}

/** Starts a proxy in front of `upstreams` (MCP endpoint URLs of one path). */
export async function roundRobin(upstreams: URL[]): Promise<RoundRobin> {
  let next = 0;
  const counts = new Map<string, number>();
  const state = { upstreams: [...upstreams] };
  const server: Server = createServer((req, res) => {
    const target = state.upstreams[next++ % state.upstreams.length]!;
    counts.set(target.host, (counts.get(target.host) ?? 0) + 1);
    const headers = { ...req.headers, host: target.host };
    const out = httpRequest(
      // A connection per request, as nginx does upstream by default: a kept-alive socket the replica
      // closes (idle past its keep-alive timeout) just as a late timer on a loaded machine reuses it
      // would fail a request that never reached the replica.
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', (error: NodeJS.ErrnoException) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'upstream unreachable', code: error.code, upstream: target.host }));
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: new URL(`http://127.0.0.1:${port}${upstreams[0]!.pathname}`),
    counts,
    get upstreams() {
      return state.upstreams;
    },
    set upstreams(value: URL[]) {
      state.upstreams = value;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
