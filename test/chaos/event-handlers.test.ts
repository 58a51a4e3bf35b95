/**
 * Event handlers that close the host: `onEvent` runs synchronously inside berth's state changes, so a
 * handler calling `host.close()` lands in the middle of whatever was changing state. Whatever the
 * event, `close()` resolves (it never rejects), the change in progress is refused with
 * `HostClosedError`, and nothing is left running.
 */
import { describe, expect, it } from 'vitest';
import { createHost, HostClosedError, type Host, type HostEvent } from '../../src/index.js';
import { alive, fixture, pidFile } from '../helpers.js';

type Trigger = 'starting' | 'ready' | 'session:opened' | 'tools:changed';

/** Whether `event` is `trigger` for server `x`. */
function matches(event: HostEvent, trigger: Trigger): boolean {
  if (event.type === 'server:state') return event.server === 'x' && event.state === trigger;
  return event.type === trigger && event.server === 'x';
}

describe('host.close() from an event handler, while add() starts the server', () => {
  for (const scope of ['shared', 'keyed', 'per-call'] as const) {
    for (const trigger of ['starting', 'ready', 'session:opened', 'tools:changed'] as const) {
      it(`${scope}, on ${trigger}`, async () => {
        const pids = pidFile();
        const ref: { host?: Host } = {};
        let closing: Promise<void> | undefined;
        const onEvent = (event: HostEvent) => {
          if (ref.host && !closing && matches(event, trigger)) closing = ref.host.close();
        };
        const host = await createHost({ mcpServers: { s: fixture([], {}, pids) } }, { onEvent });
        ref.host = host;
        const prewarm = scope === 'per-call' ? 1 : 0;
        const added = await host.add('x', fixture([], { session: scope, prewarm }, pids)).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (closing) {
          await expect(closing).resolves.toBeUndefined();
          if (added !== undefined) expect(added).toBeInstanceOf(HostClosedError);
        } else {
          await host.close(); // this scope has no such event while it starts
        }
        expect(alive(pids.pids())).toEqual([]);
      }, 20_000);
    }
  }
});
