#!/usr/bin/env node
/**
 * The machine's floor for "20 servers ready in under 1.5× one": how long it takes just to start and
 * end 1 and then 20 Node processes at once, with no MCP at all (`node -e ""`), and processes that only
 * load the MCP SDK server package (what bench/servers/echo-server.mjs loads before it can answer).
 * Median of `--runs` (default 5) rounds; no client library is involved.
 *
 *   node bench/spawn-floor.mjs [--runs N]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);

/** Starts `count` processes at once; resolves with the ms until the last has exited. */
function startAll(count, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let left = count;
    for (let i = 0; i < count; i++) {
      spawn(process.execPath, args, { stdio: 'ignore' })
        .on('error', reject)
        .on('exit', (code) => {
          if (code !== 0) reject(new Error(`exit ${code}: node ${args.join(' ')}`));
          else if (--left === 0) resolve(performance.now() - started);
        });
    }
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const variants = [
  ['node -e ""', ['-e', '']],
  [
    'node, importing the SDK server',
    ['--input-type=module', '-e', "await import('@modelcontextprotocol/server/stdio');"],
  ],
];
console.log(`${runs} runs each, median; ${process.version}`);
for (const [label, args] of variants) {
  const one = [];
  const twenty = [];
  for (let run = 0; run < runs; run++) {
    one.push(await startAll(1, args));
    twenty.push(await startAll(20, args));
  }
  const ratio = median(twenty) / median(one);
  console.log(
    `${label}: 1 process ${median(one).toFixed(0)} ms, 20 at once ${median(twenty).toFixed(0)} ms (${ratio.toFixed(1)}×)`,
  );
}
