/**
 * What the status page shows, as one JSON-ready object: the host's servers (state, processes,
 * restarts, last error and stderr tail), their sessions labelled by client (a principal and a short
 * keyed hash of its session id, never the id: a 2025-era session id is a bearer credential), and the
 * recent calls. Every string in it passes the redactor. It reads; it never asks a server anything.
 */
import { createHmac } from 'node:crypto';
import type { ServerStatus } from '../../host/status.js';
import type { CallRecord } from '../gateway.js';
import type { Redactor } from './redact.js';

/** Sessions listed per server at most (the rest are counted). */
export const MAX_SESSIONS_SHOWN = 50;
/** Characters of a stderr tail shown at most (its end). */
export const MAX_STDERR_SHOWN = 4096;

/** One session of a server, as shown. */
export interface SessionView {
  /** Who it belongs to: `alice · 3f9a1c2e` (principal and hashed session), or `shared`. */
  client: string;
  state: string;
  pid?: number;
  inFlight: number;
  lastUsed: string;
}

/** One server, as shown. */
export interface ServerView {
  name: string;
  state: string;
  transport: string;
  scope?: string;
  pid?: number;
  protocolVersion?: string;
  tools: number;
  restarts: number;
  since: string;
  /** Calls waiting for a session (`ServerStatus.waiting`). */
  waiting: number;
  sessions: SessionView[];
  /** Sessions beyond {@link MAX_SESSIONS_SHOWN}. */
  moreSessions: number;
  /** A `lazy` server: whether it was started, and when the cached catalog it serves was written. */
  lazy?: { started: boolean; cachedAt?: string };
  /** As the host reports it (redacted with the rest of the snapshot). */
  lastError?: ServerStatus['lastError'];
  stderrTail?: string;
  configIssues?: string[];
}

/** One recent call (a tool call, a prompt get, a resource read), as shown. */
export interface CallView {
  at: string;
  principal: string;
  method: CallRecord['method'];
  /** The tool or prompt name, or the resource's URI (or the URI template it matched). */
  target: string;
  server: string;
  durationMs: number;
  outcome: CallRecord['outcome'];
  code?: string;
}

/** The whole page state. */
export interface StatusSnapshot {
  gateway: { version: string; clientSessions: number; statusStreams: number };
  servers: ServerView[];
  calls: CallView[];
}

/** Labels host session keys without revealing them. */
export class ClientLabels {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /**
   * A gateway conversation's key is `["principal"]` or `["principal", "<session id or berth/key>"]`:
   * shown as the principal, and 8 hex digits of an HMAC of the id (stable while the gateway runs,
   * useless to anyone who has not the id already). Any other key is shown as its hash only.
   */
  label(key: string | undefined): string {
    if (key === undefined) return 'shared';
    try {
      const parsed: unknown = JSON.parse(key);
      if (Array.isArray(parsed) && typeof parsed[0] === 'string' && parsed.length <= 2) {
        if (parsed.length === 1) return parsed[0];
        if (typeof parsed[1] === 'string') return `${parsed[0]} · ${this.#hash(parsed[1])}`;
      }
    } catch {
      // not a gateway key
    }
    return `key ${this.#hash(key)}`;
  }

  #hash(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('hex').slice(0, 8);
  }
}

/** Builds the page state from the host's rows and the recorded calls; every string redacted. */
export function buildSnapshot(input: {
  rows: readonly ServerStatus[];
  calls: readonly CallRecord[];
  labels: ClientLabels;
  redactor: Redactor;
  gateway: StatusSnapshot['gateway'];
}): StatusSnapshot {
  const { labels } = input;
  const servers = input.rows.map((row): ServerView => {
    const sessions = row.sessions ?? [];
    return {
      name: row.name,
      state: row.state,
      transport: row.transport,
      ...(row.scope && { scope: row.scope }),
      ...(row.pid !== undefined && { pid: row.pid }),
      ...(row.protocolVersion && { protocolVersion: row.protocolVersion }),
      tools: row.tools,
      restarts: row.restarts,
      since: row.since,
      waiting: row.waiting,
      sessions: sessions.slice(0, MAX_SESSIONS_SHOWN).map((s) => ({
        client: labels.label(s.key),
        state: s.state,
        ...(s.pid !== undefined && { pid: s.pid }),
        inFlight: s.inFlight,
        lastUsed: s.lastUsed,
      })),
      moreSessions: Math.max(0, sessions.length - MAX_SESSIONS_SHOWN),
      ...(row.lazy && {
        lazy: { started: row.lazy.started, ...(row.lazy.cachedAt && { cachedAt: row.lazy.cachedAt }) },
      }),
      ...(row.lastError && { lastError: row.lastError }),
      ...(row.stderrTail && { stderrTail: row.stderrTail.slice(-MAX_STDERR_SHOWN) }),
      ...(row.configIssues && { configIssues: row.configIssues.map((i) => `${i.path}: ${i.message}`) }),
    };
  });
  const calls = input.calls.map((call): CallView => ({
    at: new Date(call.at).toISOString(),
    principal: call.principal,
    method: call.method,
    target: call.target,
    server: call.server,
    durationMs: Math.round(call.durationMs * 10) / 10,
    outcome: call.outcome,
    ...(call.code !== undefined && { code: call.code }),
  }));
  const snapshot: StatusSnapshot = { gateway: input.gateway, servers, calls };
  return redactStrings(snapshot, input.redactor);
}

/** A deep copy with every string passed through the redactor. */
function redactStrings<T>(value: T, redactor: Redactor): T {
  return JSON.parse(
    JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'string' ? redactor.text(inner) : inner,
    ),
  ) as T;
}
