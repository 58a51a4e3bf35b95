#!/usr/bin/env node
/**
 * Profiles `berth serve`'s own process under load: a host and `serve()` in this process (the thin
 * floor server behind it, shared), N SDK v2 clients (2025 era) in a child process calling `echo` in
 * closed loops for S seconds. Prints calls/s and the gateway process's CPU time per call, and writes
 * a V8 CPU profile of the gateway for profile-summary.mjs. Needs dist/ (`npm run build`).
 *
 *   node bench/gateway-profile.mjs [--clients 100] [--seconds 5] [--out FILE]
 *   node bench/profile-summary.mjs FILE
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

if (process.argv[2] === '--load') {
  // The child: the clients.
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const [, , , url, n, seconds] = process.argv;
  const clients = [];
  for (let i = 0; i < Number(n); i++) {
    const client = new Client({ name: 'load', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    clients.push(client);
  }
  process.send('ready');
  await new Promise((resolve) => process.once('message', resolve));
  let calls = 0;
  const end = Date.now() + Number(seconds) * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (Date.now() < end) {
        await client.callTool({ name: 'echo', arguments: { value: 'hello, gateway' } });
        calls += 1;
      }
    }),
  );
  process.send({ calls });
  await Promise.all(clients.map((client) => client.close()));
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '5' },
    out: { type: 'string', default: here('./results/profiles/gateway.cpuprofile') },
    // Only the figures: a profiler's sampling costs CPU of its own.
    'no-profile': { type: 'boolean', default: false },
  },
});
const { createHost, serve } = await import('../dist/index.js');
const host = await createHost({
  mcpServers: { bench: { command: process.execPath, args: [here('./servers/floor-server.mjs')] } },
});
const served = await serve(host, {
  gateway: {
    listen: '127.0.0.1:0',
    prefix: 'never',
    limits: { maxInFlightPerPrincipal: 1000, maxClientSessions: 2000 },
  },
});
const child = fork(here('./gateway-profile.mjs'), [
  '--load',
  String(served.url),
  values.clients,
  values.seconds,
]);
try {
  await new Promise((resolve) => child.once('message', resolve));
  const profiling = !values['no-profile'];
  const session = new Session();
  session.connect();
  if (profiling) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
  }
  const before = process.cpuUsage();
  if (profiling) await session.post('Profiler.start');
  const started = performance.now();
  child.send('go');
  const { calls } = await new Promise((resolve) => child.once('message', resolve));
  const profile = profiling ? (await session.post('Profiler.stop')).profile : undefined;
  const cpu = process.cpuUsage(before);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${values.clients} clients: ${calls} calls, ${(calls / seconds).toFixed(0)} calls/s, ` +
      `gateway CPU ${((cpu.user + cpu.system) / calls).toFixed(0)} µs/call` +
      (profile ? `; profile: ${values.out}` : ''),
  );
  if (profile) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, JSON.stringify(profile));
  }
  await new Promise((resolve) => child.once('exit', resolve));
} finally {
  child.kill();
  await served.close();
  await host.close();
}
