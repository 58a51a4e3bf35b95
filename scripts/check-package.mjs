#!/usr/bin/env node
/**
 * Package shape check (CI, after `npm run build`): every subpath export of package.json points at
 * built files, then `npm pack` the library and lint the tarball with publint (warnings fail) and
 * Are-the-types-wrong (profile `esm-only`: berth ships ESM only, so only the node16-ESM and bundler
 * resolutions count). Prints every problem, then exits 1 if there was any.
 *
 * Usage: node scripts/check-package.mjs
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const problems = [];

/** Runs a command in the package root, printing its output; returns its exit status and stdout. */
function run(command, args, { quiet = false } = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (!quiet && result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  if (result.error) problems.push(`${command} ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout ?? '' };
}

// 1. Every subpath export resolves to a built file (a missing adapter is named, with what to do).
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
  const entries = typeof target === 'string' ? { default: target } : target;
  for (const [condition, file] of Object.entries(entries)) {
    if (!existsSync(join(root, file))) {
      const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`;
      problems.push(
        `subpath export "${subpath}" (${name}), condition "${condition}": ${file} does not exist. ` +
          `Run \`npm run build\`; if it still is missing, its source (src/${file.replace(/^\.\/dist\//, '').replace(/\.d\.ts$|\.js$/, '.ts')}) has not landed yet.`,
      );
    }
  }
}

// 2. Pack, then lint the tarball as it would be published.
const out = mkdtempSync(join(tmpdir(), 'berth-pack-'));
try {
  const packed = run('npm', ['pack', '--json', '--pack-destination', out, '--loglevel=error'], {
    quiet: true,
  });
  let tarball;
  try {
    tarball = join(out, JSON.parse(packed.stdout)[0].filename);
  } catch {
    problems.push(`npm pack failed (exit ${packed.status}); see its output above`);
  }
  if (tarball && existsSync(tarball)) {
    console.log(`== publint ${tarball}`);
    if (run(bin('publint'), ['run', tarball, '--strict']).status !== 0)
      problems.push('publint reported problems (above)');
    console.log(`== attw --profile esm-only ${tarball}`);
    const attw = run(bin('attw'), [
      tarball,
      '--profile',
      'esm-only',
      '--format',
      'table-flipped',
      '--no-emoji',
      '--no-color',
    ]);
    if (attw.status !== 0) problems.push('Are-the-types-wrong reported problems (above)');
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`\npackage check: ${problems.length} problem(s):`);
  for (const problem of problems) console.error(`- ${problem}`);
  process.exit(1);
}
console.log('package check: every subpath export is built, publint and attw found no problem');
