/**
 * What the adapter tests share: whether this Node can run the frameworks' current releases (they
 * need Node 22 or newer), said aloud when it cannot, and a host with the counter fixture as a keyed
 * server (one session per conversation).
 */
import { FIXTURE, hostFixture, type HostFixture } from '../helpers.js';

const major = Number(process.versions.node.split('.')[0]);

/** True when the frameworks' current releases can run here (Node >= 22). */
export const frameworksRun = major >= 22;

/** Prints why a framework's tests are skipped on this Node; call once per test file. */
export function sayWhySkipped(framework: string): void {
  if (!frameworksRun)
    console.warn(
      `[skip] ${framework} adapter tests: its current release needs Node >= 22, this is ${process.version} (CI runs them on Node 24)`,
    );
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
