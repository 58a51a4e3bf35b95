#!/usr/bin/env node
/**
 * Summarizes a V8 CPU profile (from `node bench/run.mjs --profile`):
 *
 *   node bench/profile-summary.mjs bench/results/profiles/berth-run1.cpuprofile [--top N]
 *
 * Prints where the samples fall by origin (berth's dist, the MCP SDK, other packages, Node
 * internals, GC, idle), the functions with the most self time, and the berth functions with the
 * most inclusive time (self + everything they call), all as % of the profile's non-idle time.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '20' } },
});
if (positionals.length !== 1) {
  console.error('Usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]');
  process.exit(1);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const BERTH_DIST = new URL('../dist/', import.meta.url).href;

/** Which part of the stack a frame belongs to. */
function origin({ url, functionName }) {
  if (!url) return functionName.startsWith('(') ? functionName : 'native / V8';
  if (url.startsWith(BERTH_DIST)) return 'berth (dist)';
  if (url.includes('/@modelcontextprotocol/')) return 'MCP SDK';
  if (url.includes('/node_modules/')) return `package ${url.split('/node_modules/').pop().split('/')[0]}`;
  if (url.startsWith('node:')) return 'Node internals';
  return 'bench harness';
}

function label({ functionName, url, lineNumber }) {
  const where = url
    ? `${url.startsWith('file:') ? fileURLToPath(url).replace(/.*\/(node_modules|dist|bench)\//, '$1/') : url}:${lineNumber + 1}`
    : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const self = new Map();
const inclusive = new Map();
const origins = new Map();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  const leaf = byId.get(profile.samples[i]);
  if (leaf.callFrame.functionName === '(idle)') continue;
  total += dt;
  const key = label(leaf.callFrame);
  self.set(key, (self.get(key) ?? 0) + dt);
  const o = origin(leaf.callFrame);
  origins.set(o, (origins.get(o) ?? 0) + dt);
  const seen = new Set();
  for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id).callFrame;
    if (!frame.url.startsWith(BERTH_DIST)) continue;
    const k = label(frame);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
}

const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`  ${pct(us)}  ${key}`);
};
console.log(`${positionals[0]}: ${(total / 1000).toFixed(0)} ms of non-idle samples`);
print('By origin (self time):', origins, Infinity);
print(`Top ${top} functions by self time:`, self, top);
print(`Top ${top} berth functions by inclusive time:`, inclusive, top);
