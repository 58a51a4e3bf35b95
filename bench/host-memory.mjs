#!/usr/bin/env node
/**
 * What a host costs in memory beyond the raw SDK v2 client, for the same thin servers: each figure
 * in a fresh Node (run with --expose-gc, which this script passes on), after a full GC. `raw` is one
 * SDK v2 Client + StdioClientTransport per server, `host` is berth's createHost over the same servers;
 * both list tools and make one call per server first. Needs dist/ (`npm run build`).
 *
 * Then, per session: the heap each further session adds, one thin server's worth opened 1 + N
 * times (N = --sessions): the raw client as one Client per session, the host as one `keyed` server
 * called with N + 1 keys (each key its own session and process). Server processes are not counted:
 * only the measuring process's own heap is (RSS is not reported: per session it is not steady, as
 * the allocator hands back pages freed after start-up, so it can come out below zero).
 *
 *   node bench/host-memory.mjs [--servers 1,20] [--sessions 100]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const SERVER = here('./servers/floor-server.mjs');

if (process.argv[2] === '--per-session') {
  // The child: what each session beyond the first adds, raw clients or keyed host sessions.
  const [, , , mode, n] = process.argv;
  const settle = () => {
    gc();
    gc();
    return process.memoryUsage();
  };
  const open = [];
  let host;
  const openOne = async (i) => {
    if (mode === 'raw') {
      const { Client } = await import('@modelcontextprotocol/client');
      const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
      const client = new Client({ name: 'raw', version: '1' });
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [SERVER] }));
      await client.listTools();
      await client.callTool({ name: 'echo', arguments: { value: 'x' } });
      open.push(client);
    } else {
      if (!host) {
        const { createHost } = await import('../dist/index.js');
        host = await createHost({
          mcpServers: {
            thin: { command: process.execPath, args: [SERVER], session: 'keyed', maxSessions: Number(n) + 1 },
          },
        });
      }
      await host.callTool('thin__echo', { value: 'x' }, { key: `k${i}` });
    }
  };
  await openOne(0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const first = settle();
  for (let i = 1; i <= Number(n); i++) await openOne(i);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = settle();
  const kib = (bytes) => Number((bytes / 1024 / Number(n)).toFixed(1));
  console.log(JSON.stringify({ heap: kib(after.heapUsed - first.heapUsed) }));
  await (mode === 'raw' ? Promise.all(open.map((c) => c.close())) : host.close());
} else if (process.argv[2] === '--one') {
  // The child: one measurement.
  const [, , , mode, n] = process.argv;
  const settle = () => {
    gc();
    gc();
    return process.memoryUsage();
  };
  const before = settle();
  let close;
  if (mode === 'raw') {
    const { Client } = await import('@modelcontextprotocol/client');
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    const clients = [];
    for (let i = 0; i < Number(n); i++) {
      const client = new Client({ name: 'raw', version: '1' });
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [SERVER] }));
      await client.listTools();
      await client.callTool({ name: 'echo', arguments: { value: 'x' } });
      clients.push(client);
    }
    close = () => Promise.all(clients.map((c) => c.close()));
  } else {
    const { createHost } = await import('../dist/index.js');
    const mcpServers = {};
    for (let i = 0; i < Number(n); i++) mcpServers[`s${i}`] = { command: process.execPath, args: [SERVER] };
    const host = await createHost({ mcpServers });
    for (let i = 0; i < Number(n); i++) await host.callTool(`s${i}__echo`, { value: 'x' });
    close = () => host.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = settle();
  const mib = (bytes) => Number((bytes / 2 ** 20).toFixed(2));
  console.log(
    JSON.stringify({ heap: mib(after.heapUsed - before.heapUsed), rss: mib(after.rss - before.rss) }),
  );
  await close();
} else {
  const { values } = parseArgs({
    options: { servers: { type: 'string', default: '1,20' }, sessions: { type: 'string', default: '100' } },
  });
  const child = (...args) =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...args], {
        encoding: 'utf8',
      }),
    );
  console.log('servers  raw heap MiB  host heap MiB  host - raw  |  raw RSS MiB  host RSS MiB  host - raw');
  for (const n of values.servers.split(',')) {
    const one = (mode) => child('--one', mode, n);
    const raw = one('raw');
    const host = one('host');
    const row = [
      n,
      raw.heap,
      host.heap,
      (host.heap - raw.heap).toFixed(2),
      raw.rss,
      host.rss,
      (host.rss - raw.rss).toFixed(2),
    ];
    console.log(row.map((v) => String(v).padStart(12)).join(' '));
  }
  const n = values.sessions;
  const raw = child('--per-session', 'raw', n);
  const keyed = child('--per-session', 'keyed', n);
  console.log(`\nper session, ${n} sessions beyond the first: heap KiB`);
  console.log(`raw SDK v2 client, one Client each        ${raw.heap}`);
  console.log(`host, one keyed server, one key each      ${keyed.heap}`);
}
