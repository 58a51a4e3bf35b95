#!/usr/bin/env node
/**
 * How a contender's client CPU per call falls as its call path warms up: opens it, makes N
 * sequential calls in windows of W, and prints the CPU time per call of each window (µs, user +
 * system). Shows when a call path reaches its steady state (V8's tier-up), which the calls part's
 * single warm-up hides. Run it with the Node to measure (node flags such as --no-maglev apply).
 *
 *   node bench/warmup-curve.mjs CONTENDER [--server floor|echo] [--calls 24000] [--window 2000]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    server: { type: 'string', default: 'floor' },
    calls: { type: 'string', default: '24000' },
    window: { type: 'string', default: '2000' },
  },
});
const [name = 'berth'] = positionals;
const contender = await import(`./contenders/${name}.mjs`);
const server = fileURLToPath(new URL(`./servers/${values.server}-server.mjs`, import.meta.url));
const handle = await contender.open({ command: process.execPath, args: [server] });
const window = Number(values.window);
const perCall = [];
try {
  for (let done = 0; done < Number(values.calls); done += window) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < window; i++) await handle.echo(`w${done + i}`);
    const used = process.cpuUsage(cpu);
    perCall.push(Math.round((used.user + used.system) / window));
  }
} finally {
  await handle.close();
}
console.log(
  `${name} on Node ${process.version}, µs of CPU per call by window of ${window}: ${perCall.join(' ')}`,
);
