/**
 * berth's typed errors. Each is branded with a string `code` so callers can branch on it without
 * `instanceof` across package copies, and each carries the context that explains it as fields
 * (server, phase, exit status, stderr tail, reason), so no caller parses a message: messages are
 * one short line, and the stderr tail is a field of its own. An error a server returned (or the SDK
 * raised for a request) reaches callers as a `RequestFailedError` naming the server, with the SDK's
 * error as its `cause`. A tool result with `isError` is a result, not an error.
 */
import type { ServerState } from './state.js';

/** Every berth error code, once: the type and the runtime check both come from this list. */
const CODES = [
  'CONFIG_INVALID',
  'SERVER_FAILED',
  'SERVER_UNAVAILABLE',
  'SERVER_UNAUTHORIZED',
  'REQUEST_FAILED',
  'AMBIGUOUS_RESOURCE',
  'SESSION_CLOSED',
  'CALL_TIMEOUT',
  'CALL_ABORTED',
  'UNKNOWN_TOOL',
  'UNKNOWN_PROMPT',
  'UNKNOWN_RESOURCE',
  'UNKNOWN_SERVER',
  'INVALID_ARGUMENTS',
  'INVALID_OPTION',
  'KEY_REQUIRED',
  'POLICY_DENIED',
  'HOST_CLOSED',
  'TOOLSET_CLOSED',
  'INTERCEPTOR_FAILED',
  'NOT_SUPPORTED',
] as const;

/** Every berth error code. */
export type BerthErrorCode = (typeof CODES)[number];

/** Base class of every error berth throws itself. */
export class BerthError extends Error {
  /** Stable string code; branch on this rather than on the message. */
  readonly code: BerthErrorCode;

  constructor(code: BerthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** True for any berth error, even one from another copy of the package. */
  static is(value: unknown): value is BerthError {
    return value instanceof Error && isBerthCode((value as Partial<BerthError>).code);
  }
}

const CODE_SET: ReadonlySet<string> = new Set(CODES);
function isBerthCode(code: unknown): code is BerthErrorCode {
  return typeof code === 'string' && CODE_SET.has(code);
}

/** One problem found in a config file. */
export interface ConfigIssue {
  /** The file the problem is in, or `<inline>` for a config object. */
  file: string;
  /** JSON path of the offending value, e.g. `$.mcpServers.github.args[2]`. */
  path: string;
  /** What was expected there, in words. */
  message: string;
  /** The server the problem belongs to, when it belongs to one. */
  server?: string;
  /** The environment variable the problem is about: a `${VAR}` that is not set (never its value). */
  variable?: string;
}

/** Formats a config issue as `file: $.path: message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.file}: ${issue.path}: ${issue.message}`;
}

/** A config file (or one entry of it) is invalid. Names the file, the JSON path and what was expected. */
export class ConfigError extends BerthError {
  /** Every problem found, not only the first. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super('CONFIG_INVALID', issues.map(formatConfigIssue).join('\n') || 'invalid config', options);
    this.issues = issues;
  }
}

/** The lifecycle phase a server was in when something went wrong. */
export type ServerPhase = 'config' | 'spawn' | 'connect' | 'call' | 'idle' | 'close';

/** What berth knows about a server's failure: who, when, how it ended, and what it said. */
export interface ServerFailureDetails {
  /** The server's configured name. */
  server: string;
  /** What berth was doing with it. */
  phase: ServerPhase;
  /** Process exit code, when the process exited by itself. */
  exitCode?: number | null;
  /** Signal that ended the process, when one did. */
  signal?: NodeJS.Signals | null;
  /** The last lines the server wrote to stderr. */
  stderrTail?: string;
  /** The process id, for stdio servers. */
  pid?: number;
  /** True when a request had been sent when the session was lost: it may or may not have run. */
  outcomeUnknown?: boolean;
  /** True when the server refused us with HTTP 401: it needs authorization, not a restart. */
  needsAuthorization?: boolean;
}

/** One line: who, what happened, in which phase, how it ended. The stderr tail is not in it. */
function describeFailure(d: ServerFailureDetails, what: string): string {
  const facts = [`phase: ${d.phase}`];
  if (d.exitCode !== undefined && d.exitCode !== null) facts.push(`exit code ${d.exitCode}`);
  if (d.signal) facts.push(`signal ${d.signal}`);
  let message = `server "${d.server}" ${what} (${facts.join(', ')})`;
  if (d.outcomeUnknown) message += '; the request was sent, so it may or may not have run';
  return message;
}

/** A server failed: it could not start, crashed, exited, or broke the protocol. */
export class ServerError extends BerthError implements ServerFailureDetails {
  readonly server: string;
  /** What happened, in a few words (`exited unexpectedly`), without the server's name or the facts. */
  readonly reason: string;
  readonly phase: ServerPhase;
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly stderrTail?: string;
  readonly pid?: number;
  readonly outcomeUnknown?: boolean;
  readonly needsAuthorization?: boolean;

  constructor(details: ServerFailureDetails & { reason?: string }, options?: { cause?: unknown }) {
    const reason = details.reason ?? (options?.cause instanceof Error ? options.cause.message : 'failed');
    const code = details.needsAuthorization ? 'SERVER_UNAUTHORIZED' : 'SERVER_FAILED';
    super(code, describeFailure(details, reason), options);
    this.server = details.server;
    this.reason = reason;
    this.phase = details.phase;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderrTail = details.stderrTail;
    this.pid = details.pid;
    this.outcomeUnknown = details.outcomeUnknown;
    this.needsAuthorization = details.needsAuthorization;
  }
}

/** A server is not available for calls: disabled, failed past its restart limit, or removed. */
export class ServerUnavailableError extends BerthError {
  readonly server: string;
  /** The state that keeps it from serving: `failed`, `unauthorized` (code `SERVER_UNAUTHORIZED`), `disabled`… */
  readonly state: ServerState;

  constructor(server: string, state: ServerState, options?: { cause?: unknown; detail?: string }) {
    const why = options?.detail ?? (options?.cause instanceof Error ? options.cause.message : undefined);
    const code = state === 'unauthorized' ? 'SERVER_UNAUTHORIZED' : 'SERVER_UNAVAILABLE';
    super(code, `server "${server}" is ${state}${why ? `: ${why}` : ''}`, options);
    this.server = server;
    this.state = state;
  }
}

/**
 * A request to a server failed with an error the server returned over the wire (or the SDK raised
 * for it, such as a result that does not match the tool's output schema). `cause` is the SDK's error;
 * `rpcCode` and `data` are its JSON-RPC error code and data, when it had them.
 */
export class RequestFailedError extends BerthError {
  readonly server: string;
  readonly method: string;
  /** The JSON-RPC error code (`-32602` invalid params, …), when the error had one. */
  readonly rpcCode?: number;
  /** The JSON-RPC error's `data`, when it had some. */
  readonly data?: unknown;

  constructor(server: string, method: string, cause: unknown) {
    // A message that already names this server (berth's own transport checks) is not named twice.
    const said = (cause instanceof Error ? cause.message : String(cause)).replace(`server "${server}" `, '');
    super('REQUEST_FAILED', `server "${server}": ${method} failed: ${said}`, { cause });
    this.server = server;
    this.method = method;
    const { code, data } = (cause ?? {}) as { code?: unknown; data?: unknown };
    if (typeof code === 'number') this.rpcCode = code;
    if (data !== undefined) this.data = data;
  }
}

/** A resource URI that several servers list: pass `{ server }` to say which one to ask. */
export class AmbiguousResourceError extends BerthError {
  readonly uri: string;
  /** The servers that list it. */
  readonly servers: readonly string[];

  constructor(uri: string, servers: readonly string[]) {
    super(
      'AMBIGUOUS_RESOURCE',
      `resource "${uri}" is listed by ${servers.map((s) => `"${s}"`).join(', ')}; pass { server } to choose one`,
    );
    this.uri = uri;
    this.servers = servers;
  }
}

/** A session was closed while a request on it was pending; `reason` says who closed it and why. */
export class SessionClosedError extends BerthError {
  readonly server: string;
  readonly reason: string;
  /** True when the request was refused before anything was sent: it may be sent elsewhere unchanged. */
  readonly notSent: boolean;

  constructor(server: string, reason: string, options?: { cause?: unknown; notSent?: boolean }) {
    super('SESSION_CLOSED', `server "${server}": ${reason}`, options);
    this.server = server;
    this.reason = reason;
    this.notSent = options?.notSent ?? false;
  }
}

/** The host was closed; nothing more can be asked of it. */
export class HostClosedError extends BerthError {
  constructor(message = 'host is closed') {
    super('HOST_CLOSED', message);
  }
}

/** The toolset was closed: its key's sessions are ended, and it takes no more calls. */
export class ToolsetClosedError extends BerthError {
  readonly key: string;

  constructor(key: string) {
    super('TOOLSET_CLOSED', `the toolset for key "${key}" is closed; create a new one with host.toolset()`);
    this.key = key;
  }
}

/** A call (or the wait for its server to be ready) ran past its deadline. */
export class CallTimeoutError extends BerthError {
  readonly server: string;
  readonly timeoutMs: number;
  /** Whether the request had already been sent: if so, the server may or may not have run it. */
  readonly sent: boolean;

  constructor(server: string, timeoutMs: number, sent: boolean, options?: { cause?: unknown }) {
    super(
      'CALL_TIMEOUT',
      `server "${server}": call timed out after ${timeoutMs} ms ${sent ? '(the request was sent; it may or may not have run)' : 'before the request was sent (waiting for the server, a session or an interceptor; it did not run)'}`,
      options,
    );
    this.server = server;
    this.timeoutMs = timeoutMs;
    this.sent = sent;
  }
}

/** The caller aborted the call through its `AbortSignal`. */
export class CallAbortedError extends BerthError {
  readonly server: string;

  constructor(server: string, options?: { cause?: unknown }) {
    super('CALL_ABORTED', `server "${server}": call aborted by the caller`, options);
    this.server = server;
  }
}

/** No tool, prompt or resource by that name; `suggestions` lists the nearest names. */
export class UnknownNameError extends BerthError {
  readonly requested: string;
  readonly suggestions: readonly string[];

  constructor(
    kind: 'tool' | 'prompt' | 'resource' | 'server',
    requested: string,
    suggestions: readonly string[],
  ) {
    const hint = suggestions.length ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
    const codes = {
      tool: 'UNKNOWN_TOOL',
      prompt: 'UNKNOWN_PROMPT',
      resource: 'UNKNOWN_RESOURCE',
      server: 'UNKNOWN_SERVER',
    } as const;
    const code = codes[kind];
    super(code, `unknown ${kind} "${requested}"${hint}`);
    this.requested = requested;
    this.suggestions = suggestions;
  }
}

/** One way the arguments failed the tool's input schema. */
export interface ArgumentProblem {
  /** JSON pointer into the arguments, e.g. `/by` (empty for the whole object). */
  path: string;
  message: string;
}

/** Arguments failed the tool's `inputSchema`; nothing was sent to the server. */
export class InvalidArgumentsError extends BerthError {
  readonly tool: string;
  readonly problems: readonly ArgumentProblem[];

  constructor(tool: string, problems: readonly ArgumentProblem[]) {
    const list = problems.map((p) => `${p.path || '(root)'} ${p.message}`).join('; ');
    super('INVALID_ARGUMENTS', `invalid arguments for "${tool}": ${list}`);
    this.tool = tool;
    this.problems = problems;
  }
}

/** An option given to berth (a call's `timeoutMs`, say) is out of range or of the wrong type; nothing was done. */
export class InvalidOptionError extends BerthError {
  /** The option, as the caller wrote it: `timeoutMs`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super('INVALID_OPTION', `invalid ${option}: ${problem}`);
    this.option = option;
  }
}

/** A keyed server was called without a key. */
export class KeyRequiredError extends BerthError {
  readonly server: string;

  constructor(server: string) {
    super(
      'KEY_REQUIRED',
      `server "${server}" has session scope "keyed": pass a key (a conversation, thread or user id) with the call`,
    );
    this.server = server;
  }
}

/**
 * An interceptor (`host.use`) failed: it threw, or misused `next()`. Errors that only pass through an
 * interceptor from the request (a server's own error, a timeout) are not wrapped; `cause` holds what
 * the interceptor threw.
 */
export class InterceptorError extends BerthError {
  readonly server: string;
  readonly method: string;

  constructor(server: string, method: string, reason: string, options?: { cause?: unknown }) {
    super('INTERCEPTOR_FAILED', `server "${server}": an interceptor failed on ${method}: ${reason}`, options);
    this.server = server;
    this.method = method;
  }
}

/** What was asked needs something this server's session scope does not have (a shared session). */
export class NotSupportedError extends BerthError {
  readonly server: string;

  constructor(server: string, what: string) {
    super('NOT_SUPPORTED', `server "${server}": ${what}`);
    this.server = server;
  }
}

/** A policy interceptor refused the call; nothing was sent. */
export class PolicyDeniedError extends BerthError {
  readonly tool: string;

  constructor(tool: string, reason: string) {
    super('POLICY_DENIED', `call to "${tool}" refused: ${reason}`);
    this.tool = tool;
  }
}
