/**
 * What the adapter tests share: whether this Node can run a framework's current release (most need
 * Node 22 or newer), said aloud when it cannot, and a host with the counter fixture as a keyed
 * server (one session per conversation).
 */
import { FIXTURE, hostFixture, type HostFixture } from '../helpers.js';

/** Whether this Node is `minimum` (`major.minor.patch`) or newer. */
function nodeAtLeast(minimum: string): boolean {
  const have = process.versions.node.split('.').map(Number);
  const need = minimum.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * True when `framework`'s current release runs on this Node (its `engines`: `minimum` or newer);
 * otherwise prints why its tests are skipped. Call once per test file.
 */
export function frameworkRuns(framework: string, minimum: string): boolean {
  if (nodeAtLeast(minimum)) return true;
  console.warn(
    `[skip] ${framework} adapter tests: its current release needs Node >= ${minimum}, this is ${process.version} (CI runs them on Node 24 too)`,
  );
  return false;
}

/**
 * A host with the fixture server as `counter` (keyed: a session, and a process, per conversation)
 * and as `tools` (shared): `counter__increment`, `counter__get`, `counter__sleep`, `tools__media`…
 */
export function counterHost(): Promise<HostFixture> {
  return hostFixture({
    counter: { command: process.execPath, args: [FIXTURE], session: 'keyed' },
    tools: { command: process.execPath, args: [FIXTURE] },
  });
}

/** The kinds of result the fixture's `hostile` tool gives (`--hostile-results`; see the fixture). */
export const HOSTILE_KINDS = [
  'many',
  'bad-base64',
  'unknown-type',
  'no-content',
  'structured-array',
  'error-no-content',
] as const;

/** A host with the fixture as `bad`, whose `bad__hostile` tool answers each of {@link HOSTILE_KINDS}. */
export function hostileHost(): Promise<HostFixture> {
  return hostFixture({ bad: { command: process.execPath, args: [FIXTURE, '--hostile-results'] } });
}
