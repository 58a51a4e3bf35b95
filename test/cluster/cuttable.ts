/**
 * A TCP relay for the cluster tests that can be cut and mended: put between one replica and Redis,
 * it is that replica's network to Redis failing while every other replica still reaches it.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A running relay. */
export interface Cuttable {
  /** The Redis URL through the relay. */
  readonly url: string;
  /** Drops every connection, and every new one, until `mend()`. */
  cut(): void;
  /** Lets connections through again. */
  mend(): void;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** Starts a relay on a free loopback port to the Redis at `redisUrl`. */
export async function cuttable(redisUrl: string): Promise<Cuttable> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  let isCut = false;
  const drop = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  const server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(redisUrl);
  url.port = String(port);
  return {
    url: url.toString(),
    cut() {
      isCut = true;
      drop();
    },
    mend() {
      isCut = false;
    },
    close() {
      drop();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
