/**
 * The options a host is created with and the options of one call: the public shapes of what callers
 * hand to `createHost` and to `callTool`/`getPrompt`/`readResource`/`complete`.
 */
import type {
  AuthProvider,
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
  FetchLike,
  Implementation,
  OAuthClientProvider,
  Progress,
  Root,
} from '@modelcontextprotocol/client';
import type { TokenStore } from '../auth/store.js';
import type { LoadOptions } from '../config/load.js';
import type { TelemetryOptions } from '../telemetry/types.js';
import type { HostEventHandler } from './events.js';

/** Options for `createHost`. */
export interface HostOptions extends LoadOptions {
  /** Receives every lifecycle and catalog event. */
  onEvent?: HostEventHandler;
  /** How berth introduces itself to servers. */
  clientInfo?: Implementation;
  /**
   * Aborts start-up: `createHost` then closes whatever it started (no need to wait out a slow server's
   * startup deadline) and rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Reload whenever the config file changes (only when the config is a file path). */
  watch?: boolean;
  /**
   * The directories (paths or `file://` URIs) servers may use, offered as the `roots` capability.
   * Pass `[]` to offer roots now and set them later with `setRoots()`. An entry's own `roots` win.
   */
  roots?: ReadonlyArray<string | Root>;
  /** Answers servers' `sampling/createMessage` requests (with your LLM). Offered only when set. */
  sampling?: (
    params: CreateMessageRequest['params'],
    context: ClientRequestContext,
  ) => Promise<CreateMessageResult>;
  /**
   * Answers servers' `elicitation/create` requests: form mode (a JSON schema to fill; schema defaults
   * are applied to accepted content) and URL mode. Offered only when set.
   */
  elicitation?: (params: ElicitRequest['params'], context: ClientRequestContext) => Promise<ElicitResult>;
  /** The `fetch` remote (Streamable HTTP, SSE) transports use: for proxies, custom agents, tests. */
  fetch?: FetchLike;
  /**
   * Credentials for remote servers whose config entry has no `auth`: return an SDK `AuthProvider`
   * (bearer tokens) or `OAuthClientProvider` (OAuth, incl. the SDK's client-credentials and JWT
   * providers) for a server, or undefined. A code flow leaves the server `unauthorized` until
   * `finishAuth()`.
   */
  authProvider?: (server: string) => AuthProvider | OAuthClientProvider | undefined;
  /**
   * The OAuth code flow for entries with `"auth": { "type": "oauth" }`: where the user is sent back,
   * what to do with the authorization URL (open a browser, print it), and where tokens persist
   * (default: a `FileTokenStore` at `~/.config/berth/auth.json`). Finish with `finishAuth()`.
   */
  oauth?: OAuthOptions;
  /**
   * The start cache's directory: where `lazy` servers' listings persist between runs (one 0600 JSON
   * file per server entry, no env or header values). Default: `$BERTH_CACHE_DIR`, else
   * `$XDG_CACHE_HOME/berth`, else `~/.cache/berth`.
   */
  cacheDir?: string;
  /**
   * The process-wide watchdog that reaps server processes if this process dies without closing the
   * host (default true). Pass false when something else supervises the process tree (a container
   * runtime, systemd). `BERTH_NO_WATCHDOG=1` turns it off for the whole process.
   */
  watchdog?: boolean;
  /**
   * OpenTelemetry traces and metrics (needs the optional peer `@opentelemetry/api` and a provider you
   * register; without them nothing is recorded). See docs/observability.md.
   */
  telemetry?: TelemetryOptions;
}

/** Which server (and, for a `keyed` server, which key's session) sent a sampling or elicitation request. */
export interface ClientRequestContext {
  server: string;
  /** The key whose session asked (keyed servers only). */
  key?: string;
}

/** The OAuth code-flow settings of a host (`HostOptions.oauth`). */
export interface OAuthOptions {
  redirectUrl: string;
  onAuthorizationUrl: (server: string, url: URL) => void | Promise<void>;
  store?: TokenStore;
  clientName?: string;
}

/** Options for one call. */
export interface CallOptions {
  /** Cancels the call; the server is told with `notifications/cancelled`. */
  signal?: AbortSignal;
  /** Deadline for the call, including any wait for the server to become ready. Defaults to the server's `callTimeoutMs`. */
  timeoutMs?: number;
  /** Receives the server's progress notifications for this call. */
  onProgress?: (progress: Progress) => void;
  /** Sent as the request's `_meta`. */
  meta?: Record<string, unknown>;
  /** Selects the session of a `keyed` server: a conversation, thread or user id. Ignored by other scopes. */
  key?: string;
  /** A per-call object handed to interceptors as `ctx.context` (an auth identity, a trace id, …). Never sent. */
  context?: Record<string, unknown>;
  /**
   * What to do when a 2026-07-28 server answers `tools/call`, `prompts/get` or `resources/read` with an
   * `input_required` result: `answer` it with the host's sampling and elicitation handlers and retry
   * (the default), or `return` it to the caller as is (a gateway passing it on to its client, who
   * answers and calls again with `retry`).
   */
  inputRequired?: 'answer' | 'return';
  /** Continues a call that returned `input_required`: the answers, and the `requestState` it carried. */
  retry?: { inputResponses?: Record<string, unknown>; requestState?: string };
}

/** Options of `complete()`: a call's options, plus what the completion needs. */
export interface CompleteOptions extends CallOptions {
  /** The server, when several have the resource template. */
  server?: string;
  /** The prompt's or template's other arguments, already chosen (sent as the completion `context`). */
  arguments?: Record<string, string>;
}
