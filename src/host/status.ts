/**
 * `status()`: one row per server, running or not (including config entries berth could not use),
 * built from the runtimes and the catalog. It reads; it never asks a server anything.
 */
import type { Catalog, CatalogInvalidTool } from '../catalog/catalog.js';
import type { InvalidServer } from '../config/load.js';
import type { ServerSpec } from '../config/types.js';
import { ConfigError, ServerError, type ConfigIssue } from '../errors.js';
import type { LazyInfo, ServerRuntime, SessionInfo } from '../scope/index.js';
import type { ServerState } from '../state.js';

/** One server's state, as `status()` reports it. */
export interface ServerStatus {
  name: string;
  state: ServerState;
  transport: ServerSpec['transport'] | 'unknown';
  /** The session scope (`shared`, `keyed`, `per-call`). */
  scope?: ServerSpec['session']['scope'];
  /** The shared session's process id (stdio, shared scope), while one runs. */
  pid?: number;
  /** The protocol version the shared session negotiated (`2025-11-25`, `2026-07-28`, …). */
  protocolVersion?: string;
  /**
   * The protocol era of the shared session: `legacy` (the 2025 `initialize` handshake) or `modern`
   * (2026-07-28 `server/discover`). Shared scope, while ready.
   */
  era?: 'legacy' | 'modern';
  /** How the server introduced itself in the handshake (its `serverInfo`). Shared scope, while ready. */
  serverInfo?: { name: string; version: string; title?: string };
  /**
   * How long the shared session's last successful open took, in milliseconds: spawning the process
   * (or connecting), the MCP handshake and the first listing of tools, prompts and resources.
   */
  startupMs?: number;
  /**
   * A `lazy` server (`start: "lazy"`): `started` is false while its catalog comes from the start
   * cache and no process was started (its state is then `ready`: a call starts it); `cachedAt` is
   * when that cached listing was written, until the server lists itself.
   */
  lazy?: LazyInfo;
  /** How many of its tools are in the catalog. */
  tools: number;
  /** How many times its session was reopened after a crash or a restart request. */
  restarts: number;
  /** When the current state began (ISO 8601). */
  since: string;
  /** The live sessions (one for shared; one per key for keyed; prewarmed and busy ones for per-call). */
  sessions?: SessionInfo[];
  /**
   * Calls waiting for a session: those in flight on a session that is still starting or restarting,
   * and those that have no session yet (waiting for a keyed slot under `maxSessions`, for a key's
   * session another call is opening, or for a new session's restart backoff). What the
   * `berth.calls.waiting` gauge reports.
   */
  waiting: number;
  lastError?: {
    code: string;
    message: string;
    phase?: string;
    exitCode?: number | null;
    signal?: string | null;
    /**
     * The code of the innermost cause that has one: a Node.js system or TLS error code such as
     * `ECONNREFUSED`, `ENOTFOUND`, `DEPTH_ZERO_SELF_SIGNED_CERT` or `CERT_HAS_EXPIRED`, so network and
     * TLS failures can be told apart without reading the message.
     */
    causeCode?: string;
  };
  /** The last lines the server wrote to stderr. */
  stderrTail?: string;
  /** For an entry the config could not use: what is wrong with it. */
  configIssues?: ConfigIssue[];
  /** Tools the server listed that were left out as malformed, and why (its other tools are served). */
  invalidTools?: CatalogInvalidTool[];
}

/** The status rows of running servers, then of config entries that could not be used. */
export function statusRows(
  runtimes: Iterable<ServerRuntime>,
  invalid: Iterable<InvalidServer>,
  catalog: Catalog,
  createdAt: number,
): ServerStatus[] {
  const toolCounts = new Map<string, number>();
  for (const tool of catalog.tools()) toolCounts.set(tool.server, (toolCounts.get(tool.server) ?? 0) + 1);
  const rows: ServerStatus[] = [];
  const running = new Set<string>();
  for (const runtime of runtimes) {
    running.add(runtime.name);
    const error = runtime.lastError;
    const invalidTools = catalog.invalidTools(runtime.name);
    const sessions = runtime.sessions();
    rows.push({
      name: runtime.name,
      state: runtime.state,
      transport: runtime.spec.transport,
      scope: runtime.spec.session.scope,
      pid: runtime.shared?.pid,
      protocolVersion: runtime.shared?.protocolVersion,
      ...handshake(runtime),
      ...(runtime.lazy && { lazy: runtime.lazy }),
      tools: toolCounts.get(runtime.name) ?? 0,
      restarts: runtime.restarts,
      since: new Date(runtime.since).toISOString(),
      sessions,
      waiting: runtime.waiting + sessions.reduce((n, s) => n + (s.state === 'ready' ? 0 : s.inFlight), 0),
      lastError: error && {
        code: error.code,
        message: error.message,
        ...(error instanceof ServerError && {
          phase: error.phase,
          exitCode: error.exitCode,
          signal: error.signal,
        }),
        ...causeCodeOf(error),
      },
      stderrTail: runtime.stderrTail(),
      ...(invalidTools.length > 0 && { invalidTools }),
    });
  }
  for (const entry of invalid) {
    if (running.has(entry.name)) continue;
    const error = new ConfigError(entry.issues);
    rows.push({
      name: entry.name,
      state: 'failed',
      transport: 'unknown',
      tools: 0,
      restarts: 0,
      waiting: 0,
      since: new Date(createdAt).toISOString(),
      lastError: { code: error.code, message: error.message, phase: 'config' },
      configIssues: entry.issues,
    });
  }
  return rows;
}

/** The shared session's handshake facts (era, serverInfo, open time), only those known. */
function handshake(runtime: ServerRuntime): Pick<ServerStatus, 'era' | 'serverInfo' | 'startupMs'> {
  const shared = runtime.shared;
  if (!shared) return {};
  const info = shared.serverInfo;
  return {
    ...(shared.protocolEra && { era: shared.protocolEra }),
    ...(info && {
      serverInfo: {
        name: String(info.name),
        version: String(info.version),
        ...(typeof info.title === 'string' && { title: info.title }),
      },
    }),
    ...(shared.openMs !== undefined && { startupMs: shared.openMs }),
  };
}

/** `{ causeCode }` from the innermost error of the cause chain with a string `code` (not berth's own). */
function causeCodeOf(error: Error): { causeCode?: string } {
  let found: string | undefined;
  let current: unknown = error.cause;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') found = code;
    current = current.cause;
  }
  return found === undefined ? {} : { causeCode: found };
}
