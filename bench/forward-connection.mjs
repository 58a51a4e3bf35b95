#!/usr/bin/env node
/**
 * What a connection per request costs against a kept-alive one: `fetch` POSTs from this process to
 * a bare Node HTTP server in a child, alternately with the default keep-alive and with
 * `Connection: close` (what a replica now does for each request it forwards to an owner,
 * src/cluster/forward.ts). Prints latency, and this process's and the server's CPU, per request.
 *
 *   node bench/forward-connection.mjs [--requests 3000] [--rounds 2]
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

if (process.argv[2] === '--server') {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  process.on('message', (m) => (m === 'cpu' ? process.send(process.cpuUsage()) : process.exit(0)));
} else {
  const { values } = parseArgs({
    options: { requests: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '2' } },
  });
  const server = fork(fileURLToPath(import.meta.url), ['--server']);
  const port = await new Promise((resolve) => server.once('message', resolve));
  const url = `http://127.0.0.1:${port}/`;
  const serverCpu = () =>
    new Promise((resolve) => {
      server.once('message', (u) => resolve(u.user + u.system));
      server.send('cpu');
    });
  const n = Number(values.requests);
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const mode of ['keep-alive', 'close']) {
        const headers = mode === 'close' ? { connection: 'close' } : {};
        const send = async () => (await fetch(url, { method: 'POST', body: '{}', headers })).text();
        for (let i = 0; i < 500; i++) await send(); // warm-up
        const s0 = await serverCpu();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await send();
        const elapsed = performance.now() - t0;
        const c = process.cpuUsage(c0);
        const s = (await serverCpu()) - s0;
        console.log(
          `${mode.padEnd(10)} ${((elapsed * 1000) / n).toFixed(0)} µs/request, ` +
            `client CPU ${((c.user + c.system) / n).toFixed(0)} µs, server CPU ${(s / n).toFixed(0)} µs`,
        );
      }
    }
  } finally {
    server.send('exit');
  }
}
