/**
 * The events a host reports through `onEvent`. Handlers are called synchronously and may call back
 * into the host (even `close()`); a handler that throws or rejects is reported as a warning and never
 * disturbs the host.
 */
import type { BerthError, ConfigIssue } from '../errors.js';
import type { ServerState } from '../session/owner.js';

/** Everything a host reports. Discriminated by `type`. */
export type HostEvent =
  | {
      type: 'server:state';
      server: string;
      state: ServerState;
      previous: ServerState;
      /** The error behind a `failed` or `restarting` state. */
      error?: BerthError;
    }
  | { type: 'server:restart-scheduled'; server: string; attempt: number; delayMs: number }
  | { type: 'server:invalid'; server: string; issues: ConfigIssue[] }
  | { type: 'tools:changed'; server: string };

/** A handler for host events. */
export type HostEventHandler = (event: HostEvent) => void | Promise<void>;

/** Calls `handler` so that nothing it does (throw, reject) can reach the host. */
export function safeEmit(handler: HostEventHandler | undefined, event: HostEvent): void {
  if (!handler) return;
  try {
    const result = handler(event);
    if (result && typeof result.then === 'function') result.then(undefined, warnHandlerFailed);
  } catch (error) {
    warnHandlerFailed(error);
  }
}

function warnHandlerFailed(error: unknown): void {
  process.emitWarning(
    `berth: onEvent handler failed: ${(error as Error)?.stack ?? String(error)}`,
    'BerthWarning',
  );
}
