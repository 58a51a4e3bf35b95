/**
 * `ServerRuntime`: what the host holds for one configured server, whatever its session scope. A
 * runtime owns the `SessionOwner`s of its scope (one shared, one per key, or one per call): it alone
 * creates them and alone closes them; the host only asks it for requests, key closes and its own close.
 */
import type { ClientTelemetry } from '../telemetry/types.js';
import type { FetchLike, Implementation } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../config/types.js';
import type { BerthError } from '../errors.js';
import type { Listing } from '../session/connection.js';
import type { AuthSource, RequestOptions, ServerState, SessionOwner } from '../session/owner.js';
import type { ClientFeatures } from '../session/connection.js';
import type { SendRequest } from '../session/handle.js';

/** One live session of a runtime, for `status()`. */
export interface SessionInfo {
  /** The key of a keyed session. */
  key?: string;
  state: ServerState;
  pid?: number;
  inFlight: number;
  /** When it was last used (ISO 8601). */
  lastUsed: string;
}

/** How `status()` shows one session owner. */
export function sessionInfo(owner: SessionOwner, key?: string): SessionInfo {
  return {
    ...(key !== undefined && { key }),
    state: owner.state,
    pid: owner.state === 'ready' ? owner.pid : undefined,
    inFlight: owner.inFlight,
    lastUsed: new Date(owner.lastUsed).toISOString(),
  };
}

/** A session that can no longer serve a call (it crashed past its restarts, or was closed). */
export function isDead(owner: SessionOwner): boolean {
  return owner.state === 'failed' || owner.state === 'stopped';
}

/** How a `lazy` server stands, for `status()`. */
export interface LazyInfo {
  /** Whether the server was started (its scope's runtime created); false while only its cache serves. */
  started: boolean;
  /** When the cached listing it serves was written (ISO 8601), until the server lists itself. */
  cachedAt?: string;
}

/** What a runtime reports to the host. Called synchronously; must not throw. */
export interface RuntimeObserver {
  onState(runtime: ServerRuntime, previous: ServerState, error: BerthError | undefined): void;
  onListing(runtime: ServerRuntime, listing: Listing): void;
  onRestartScheduled(runtime: ServerRuntime, attempt: number, delayMs: number): void;
  onSession(
    runtime: ServerRuntime,
    change: 'opened' | 'closed',
    key: string | undefined,
    reason?: string,
  ): void;
}

/** What a runtime needs to build owners. */
export interface RuntimeDeps {
  clientInfo: Implementation;
  observer: RuntimeObserver;
  /** Client-side features offered on every session of this server. */
  features?: ClientFeatures;
  /** The `fetch` for remote transports. */
  fetch?: FetchLike;
  /** Credentials for this (remote) server, shared by all its sessions. */
  authProvider?: AuthSource;
  /** Traces and measures every session's requests (absent without `@opentelemetry/api`). */
  telemetry?: ClientTelemetry;
}

/** Options of one request: the owner's, plus the key that selects a keyed session. */
export type ScopedRequestOptions = RequestOptions & { key?: string };

/** Keyed scope: sessions that belong to a key, which callers may end. */
export interface KeyedSessions {
  /** Ends the sessions of `key`, after their in-flight calls (within the drain deadline). */
  closeKey(key: string): Promise<void>;
}

/** Shared scope: one session that lives on, so subscriptions and authorizations can outlast a call. */
export interface SharedSession {
  /** The pid of the session's process (stdio), while one runs. */
  readonly pid: number | undefined;
  /** The protocol version the session negotiated. */
  readonly protocolVersion: string | undefined;
  /** The protocol era of the session (`legacy`: `initialize`; `modern`: `server/discover`). */
  readonly protocolEra: 'legacy' | 'modern' | undefined;
  /** How the server introduced itself (its `serverInfo`: name, version, …). */
  readonly serverInfo: Implementation | undefined;
  /** How long the current (or last) session took to open, in ms (spawn or connect, handshake, listing). */
  readonly openMs: number | undefined;
  /** Subscribes to a resource's updates, now and on every session reopened after it. */
  subscribe(uri: string, options: ScopedRequestOptions): Promise<void>;
  /** Ends a resource subscription. */
  unsubscribe(uri: string, options: ScopedRequestOptions): Promise<void>;
  /** Finishes a pending OAuth authorization and reconnects. */
  finishAuthorization(callback: string | URLSearchParams): Promise<void>;
}

/**
 * One configured server, behind its session scope. What every scope does is here; what only some
 * scopes can do is a capability that is present only on those (`keys`, `shared`), so no scope has
 * methods that do nothing or only throw.
 */
export interface ServerRuntime {
  readonly spec: ServerSpec;
  readonly name: string;
  /** The server's state: its shared session's, or (keyed, per-call) whether its listing is known. */
  readonly state: ServerState;
  /** When the current state began (ms since epoch). */
  readonly since: number;
  readonly lastError: BerthError | undefined;
  readonly restarts: number;
  /** The server's tools, prompts and resources: fetched once per configuration, shared by all sessions. */
  readonly listing: Listing | undefined;
  /** The name and version the server reported, once a session of it opened. */
  readonly serverInfo: Implementation | undefined;
  /** Present on a `lazy` server: whether it was started yet. */
  readonly lazy?: LazyInfo;
  /** The keyed scope's key-bound sessions. */
  readonly keys?: KeyedSessions;
  /** The shared scope's one session. */
  readonly shared?: SharedSession;
  stderrTail(): string | undefined;
  /** The live sessions. */
  sessions(): SessionInfo[];
  /**
   * Calls waiting for a session they do not hold yet: for a keyed slot, for a key's session another
   * call is opening, for a new session's restart backoff. They are in no session's `inFlight`.
   */
  readonly waiting: number;
  /** Begins starting; idempotent. */
  start(): void;
  /** Resolves when the server is ready, failed or stopped. */
  settled(): Promise<void>;
  /** Runs `send` on the session the scope selects. */
  request<T>(send: SendRequest<T>, options: ScopedRequestOptions): Promise<T>;
  /** Reopens a failed server, or recycles a running one. */
  restart(): Promise<void>;
  /** Tells every live session that the client's roots changed. */
  notifyRootsChanged(): void;
  /** Closes every session, after in-flight calls when `drain` is set (within the drain deadline). */
  close(reason: string, options?: { drain?: boolean }): Promise<void>;
}
