/**
 * The resolved shape of a server's configuration: what the rest of berth consumes once a config file
 * (Claude Desktop / Cursor / Claude Code `mcpServers`, or VS Code `servers`) has been read, expanded
 * and validated. Every field has a value here; defaults are applied by the loader.
 */

/** Restart policy for a server whose process or connection dies. */
export interface RestartPolicy {
  /** Consecutive failed (re)starts allowed before the server is reported `failed`. 0 disables restarts. */
  maxRestarts: number;
  /** First backoff delay. Doubles each attempt, with jitter. */
  initialDelayMs: number;
  /** Ceiling for the backoff delay. */
  maxDelayMs: number;
  /** A session that stayed up this long resets the consecutive-failure count. */
  stableAfterMs: number;
}

/** Deadlines that apply to one server. */
export interface ServerTimeouts {
  /** Spawn + MCP handshake must finish within this. */
  startupMs: number;
  /** Default per-call deadline (a call may pass its own). Includes waiting for the server to be ready. */
  callMs: number;
  /** After stdin is closed, how long to wait for the process to exit before SIGTERM. */
  stdinGraceMs: number;
  /** After SIGTERM, how long to wait before SIGKILL. */
  termGraceMs: number;
}

/** Which of a server's tools appear in the catalog. Patterns are tool names with `*` wildcards. */
export interface ToolFilter {
  /** When non-empty, only tools matching one of these are exposed. */
  allow: string[];
  /** Tools matching one of these are hidden (applied after `allow`). */
  deny: string[];
}

/** How sessions to a server are scoped. */
export type SessionScope = 'shared' | 'keyed' | 'per-call';

/** Session scope and its limits. */
export interface SessionPolicy {
  /**
   * `shared`: one persistent session for every caller. `keyed`: one persistent session per key (a
   * conversation, thread or user id). `per-call`: a fresh session for each call.
   */
  scope: SessionScope;
  /** keyed: the most sessions alive at once; the least recently used idle one is evicted. */
  maxSessions: number;
  /** keyed: a session unused this long is closed. */
  idleTimeoutMs: number;
  /** per-call: sessions kept spawned and initialized ahead of need. */
  prewarm: number;
  /** How long closing a session (eviction, `closeKey`, removal, reload) waits for its in-flight calls. */
  drainTimeoutMs: number;
}

/** Liveness checks and recovery behaviour. */
export interface HealthPolicy {
  /** Send `ping` this often while a session is idle or busy; 0 turns health checks off. */
  pingIntervalMs: number;
  /** A ping not answered within this fails the check, and the session is restarted. */
  pingTimeoutMs: number;
  /**
   * Retry a call once after its session was lost mid-call, for every tool of this server. Without it,
   * only tools annotated `readOnlyHint` or `idempotentHint` are retried.
   */
  retrySafe: boolean;
  /** stdio: a single message larger than this closes the session with a clear error. */
  maxMessageBytes: number;
}

/** What berth offers this server as a client. */
export interface ClientPolicy {
  /** This server's own roots (file URIs), instead of the host's. */
  roots?: string[];
  /** Which client capabilities to offer it (each also needs the host to provide it). */
  offer: { roots: boolean; sampling: boolean; elicitation: boolean };
}

/** Which protocol era to speak: negotiate (`auto`), or the 2025 `initialize` handshake only (`legacy`). */
export type EraSetting = 'auto' | 'legacy';

/**
 * When berth starts a server. `eager`: with the host (the default). `lazy`: the host serves the
 * server's part of the catalog from the cached listing of its last start, and starts it on first
 * use (a call, a prompt, a read, a subscription, a restart); with no cached listing it starts as
 * `eager` does and caches what the server lists.
 */
export type StartMode = 'eager' | 'lazy';

/** Settings common to every transport. */
export interface ServerSpecBase {
  /** The key of the entry in the config (`mcpServers.<name>`). */
  name: string;
  /** A disabled server is listed in `status()` but never started. */
  disabled: boolean;
  timeouts: ServerTimeouts;
  tools: ToolFilter;
  restart: RestartPolicy;
  session: SessionPolicy;
  health: HealthPolicy;
  client: ClientPolicy;
  /**
   * `auto` (default): probe with `server/discover` once, fall back to `initialize`, remember the
   * verdict. `legacy`: skip the probe (for servers that misbehave on unknown requests before init).
   */
  era: EraSetting;
  /** When the server is started: with the host, or on first use from a cached catalog. */
  start: StartMode;
  /** Where the entry came from, for error messages: file path or `<inline>`. */
  source: string;
}

/** A server berth spawns and talks to over stdin/stdout. */
export interface StdioServerSpec extends ServerSpecBase {
  transport: 'stdio';
  command: string;
  args: string[];
  /** Variables set on top of the inherited environment. */
  env: Record<string, string>;
  /** Working directory; defaults to the host's. */
  cwd?: string;
  /**
   * `false` (default): the child gets only the SDK's safe variables (PATH, HOME, …) plus `env`.
   * `true`: the child inherits the host's whole environment plus `env`.
   */
  inheritEnv: boolean;
  /** How many bytes of stderr to keep for status and errors. */
  stderrBufferBytes: number;
}

/**
 * Credentials for a remote server, from its config entry: a static bearer token (usually from an
 * environment variable), an OAuth client-credentials grant, or the interactive OAuth code flow
 * (which needs the host's `oauth` options: where to send the user, where to keep tokens).
 */
export type AuthSpec =
  | { type: 'bearer'; token: string }
  | { type: 'client_credentials'; clientId: string; clientSecret: string; scope?: string }
  /** The authorization-code flow, with the host's `oauth` options (redirect URL, token store). */
  | { type: 'oauth'; scope?: string; clientId?: string; clientSecret?: string };

/** A remote server reached over Streamable HTTP or legacy SSE. */
export interface RemoteServerSpec extends ServerSpecBase {
  transport: 'http' | 'sse';
  url: string;
  headers: Record<string, string>;
  auth?: AuthSpec;
}

/** One fully resolved server entry. */
export type ServerSpec = StdioServerSpec | RemoteServerSpec;

/** Defaults applied to every entry unless the entry overrides them. */
export interface ServerDefaults {
  timeouts: ServerTimeouts;
  restart: RestartPolicy;
  session: SessionPolicy;
  health: HealthPolicy;
  inheritEnv: boolean;
  stderrBufferBytes: number;
  start: StartMode;
}

/** The defaults berth uses when a config says nothing. */
export const DEFAULTS: ServerDefaults = {
  timeouts: { startupMs: 30_000, callMs: 60_000, stdinGraceMs: 200, termGraceMs: 500 },
  restart: { maxRestarts: 5, initialDelayMs: 100, maxDelayMs: 10_000, stableAfterMs: 30_000 },
  session: { scope: 'shared', maxSessions: 16, idleTimeoutMs: 600_000, prewarm: 0, drainTimeoutMs: 30_000 },
  health: { pingIntervalMs: 0, pingTimeoutMs: 5_000, retrySafe: false, maxMessageBytes: 10 * 1024 * 1024 },
  inheritEnv: false,
  stderrBufferBytes: 16 * 1024,
  start: 'eager',
};
