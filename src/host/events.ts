/**
 * The events a host reports through `onEvent`. Handlers are called synchronously and may call back
 * into the host (even `close()` or `reload()`); a handler that throws or rejects is reported as a
 * warning and never disturbs the host.
 */
import type { BerthError, ConfigError, ConfigIssue } from '../errors.js';
import type { CatalogInvalidTool } from '../catalog/catalog.js';
import type { ServerState } from '../state.js';

/** What a reload changed. */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  replaced: string[];
  unchanged: string[];
  /** Entries of the new config that are invalid (a running server of that name keeps running). */
  invalid: string[];
}

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
  | { type: 'server:added'; server: string }
  | { type: 'server:removed'; server: string }
  | { type: 'server:replaced'; server: string }
  | { type: 'session:opened'; server: string; key?: string }
  | { type: 'session:closed'; server: string; key?: string; reason: string }
  | { type: 'tools:changed'; server: string }
  /** A server's prompts, resources or resource templates changed in the catalog. */
  | { type: 'catalog:changed'; server: string }
  /** Tools a server listed that were left out as malformed (the rest of its tools are served). */
  | { type: 'tools:invalid'; server: string; tools: CatalogInvalidTool[] }
  /** A server's log message (`notifications/message`). */
  | { type: 'server:log'; server: string; level: string; logger?: string; data: unknown }
  /** A subscribed resource changed (`notifications/resources/updated`). */
  | { type: 'resource:updated'; server: string; uri: string }
  | { type: 'config:reloaded'; summary: ReloadSummary }
  | { type: 'config:error'; error: ConfigError };

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
