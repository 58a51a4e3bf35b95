#!/usr/bin/env node
/**
 * Profiles one contender's steady state only: opens it, makes the warm-up calls unprofiled, then
 * records a V8 CPU profile (node:inspector) over N sequential calls or over batches of concurrent
 * calls, and writes it for profile-summary.mjs.
 *
 *   node bench/steady-profile.mjs CONTENDER [--mode sequential|concurrent] [--calls N] [--out FILE]
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'sequential' },
    calls: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '5000' },
    server: { type: 'string', default: 'echo' },
    out: { type: 'string' },
  },
});
const [name] = positionals;
const contender = await import(`./contenders/${name}.mjs`);
const server = fileURLToPath(new URL(`./servers/${values.server}-server.mjs`, import.meta.url));
const handle = await contender.open({ command: process.execPath, args: [server] });

for (let i = 0; i < Number(values.warmup); i++) await handle.echo(`w${i}`);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const cpu = process.cpuUsage();
const started = performance.now();
const calls = Number(values.calls);
if (values.mode === 'sequential') {
  for (let i = 0; i < calls; i++) await handle.echo(`s${i}`);
} else {
  for (let done = 0; done < calls; done += 1000) {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => handle.echo(`c${done + i}`)));
  }
}
const elapsed = performance.now() - started;
const used = process.cpuUsage(cpu);
const { profile } = await session.post('Profiler.stop');
session.disconnect();
const out = values.out ?? `bench/results/profiles/steady-${name}-${values.mode}.cpuprofile`;
writeFileSync(out, JSON.stringify(profile));
console.log(
  `${name} ${values.mode}: ${calls} calls in ${elapsed.toFixed(0)} ms, ` +
    `${((used.user + used.system) / calls).toFixed(1)} µs CPU/call ` +
    `(user ${(used.user / calls).toFixed(1)}, system ${(used.system / calls).toFixed(1)}) → ${out}`,
);
await handle.close();
