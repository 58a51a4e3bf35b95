/**
 * The host: one `ServerRuntime` per configured server (which owns that server's sessions in its
 * scope), the aggregated catalog, and the call path (look up the name, validate the arguments, ask
 * the runtime). The host never opens or closes a session itself. Changes to the set of servers (add,
 * remove, replace, reload, watch) run one at a time; a replaced server's new runtime is started
 * before the old one is drained and closed, so calls land on one or the other and none is lost.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ClientCredentialsProvider,
  UriTemplate,
  type AuthProvider,
  type CallToolResult,
  type Client,
  type CompleteResult,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type FetchLike,
  type OAuthClientProvider,
  type Root,
  type GetPromptResult,
  type Implementation,
  type Progress,
  type ReadResourceResult,
  type Tool,
} from '@modelcontextprotocol/client';
import {
  Catalog,
  type CatalogPrompt,
  type CatalogResource,
  type CatalogResourceTemplate,
  type CatalogTool,
} from '../catalog/catalog.js';
import { storedOAuthProvider } from '../auth/oauth.js';
import { FileTokenStore, type TokenStore } from '../auth/store.js';
import { sanitizeNamePart } from '../catalog/naming.js';
import { suggestNames } from '../catalog/suggest.js';
import { argumentsValidator } from '../catalog/validate.js';
import {
  INLINE_SOURCE,
  loadConfig,
  resolveConfig,
  rootUri,
  type ConfigInput,
  type InvalidServer,
  type LoadOptions,
} from '../config/load.js';
import type { ServerSpec } from '../config/types.js';
import {
  ConfigError,
  HostClosedError,
  InvalidArgumentsError,
  ServerError,
  ServerUnavailableError,
  UnknownNameError,
  type ConfigIssue,
} from '../errors.js';
import { createRuntime, type RuntimeObserver, type ServerRuntime, type SessionInfo } from '../scope/index.js';
import { emptyListing, type ClientFeatures } from '../session/connection.js';
import type { ServerState } from '../session/owner.js';
import { safeEmit, type HostEvent, type HostEventHandler, type ReloadSummary } from './events.js';
import { compose, type InterceptedMethod, type Middleware, type RequestContext } from './middleware.js';
import { Toolset, type ToolsetOptions } from './toolset.js';

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
    context: { server: string },
  ) => Promise<CreateMessageResult>;
  /**
   * Answers servers' `elicitation/create` requests: form mode (a JSON schema to fill; schema defaults
   * are applied to accepted content) and URL mode. Offered only when set.
   */
  elicitation?: (params: ElicitRequest['params'], context: { server: string }) => Promise<ElicitResult>;
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
  oauth?: {
    redirectUrl: string;
    onAuthorizationUrl: (server: string, url: URL) => void | Promise<void>;
    store?: TokenStore;
    clientName?: string;
  };
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
  /** A per-call object handed to interceptors as `ctx.context` (an auth identity, a trace id, …). */
  context?: Record<string, unknown>;
}

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
  /** How many of its tools are in the catalog. */
  tools: number;
  /** How many times its session was reopened after a crash or a restart request. */
  restarts: number;
  /** When the current state began (ISO 8601). */
  since: string;
  /** The live sessions (one for shared; one per key for keyed; prewarmed and busy ones for per-call). */
  sessions?: SessionInfo[];
  lastError?: {
    code: string;
    message: string;
    phase?: string;
    exitCode?: number | null;
    signal?: string | null;
  };
  /** The last lines the server wrote to stderr. */
  stderrTail?: string;
  /** For an entry the config could not use: what is wrong with it. */
  configIssues?: ConfigIssue[];
}

const DEFAULT_CLIENT_INFO: Implementation = { name: 'berth', version: '0.1.0' };
/** How long the watcher waits for a burst of file events to end before reloading. */
const WATCH_DEBOUNCE_MS = 100;

/** A running set of MCP servers behind one catalog. Create it with `createHost`. */
export class Host implements AsyncDisposable {
  readonly #servers = new Map<string, ServerRuntime>();
  readonly #invalid = new Map<string, InvalidServer>();
  readonly #catalog = new Catalog();
  readonly #onEvent: HostEventHandler | undefined;
  readonly #clientInfo: Implementation;
  readonly #loadOptions: LoadOptions;
  /** The config `reload()` rereads by default. */
  readonly #configSource: ConfigInput | undefined;
  /** Runtimes started by a change and not yet installed; `close()` closes them too. */
  readonly #pending = new Set<ServerRuntime>();
  /** Changes to the set of servers, one at a time. */
  #changes: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #watcher: FSWatcher | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  readonly #middlewares: Middleware[] = [];
  #roots: Root[] | undefined;
  readonly #sampling: HostOptions['sampling'];
  readonly #elicitation: HostOptions['elicitation'];
  readonly #fetch: FetchLike | undefined;
  readonly #authProvider: HostOptions['authProvider'];
  readonly #oauth: HostOptions['oauth'];
  #tokenStore: TokenStore | undefined;
  #chain = compose([]);
  readonly #createdAt = Date.now();

  /** Use `createHost`; this only builds the (not yet started) runtimes. */
  constructor(
    servers: readonly ServerSpec[],
    invalid: readonly InvalidServer[],
    options: HostOptions & { configSource?: ConfigInput } = {},
  ) {
    this.#onEvent = options.onEvent;
    this.#clientInfo = options.clientInfo ?? DEFAULT_CLIENT_INFO;
    this.#loadOptions = { env: options.env, cwd: options.cwd };
    this.#configSource = options.configSource;
    this.#roots = options.roots && normalizeRoots(options.roots, this.#loadOptions.cwd);
    this.#sampling = options.sampling;
    this.#elicitation = options.elicitation;
    this.#fetch = options.fetch;
    this.#authProvider = options.authProvider;
    this.#oauth = options.oauth;
    for (const entry of invalid) this.#recordInvalid(entry);
    for (const spec of servers) this.#servers.set(spec.name, this.#createRuntime(spec));
  }

  #emit(event: HostEvent): void {
    safeEmit(this.#onEvent, event);
  }

  #createRuntime(spec: ServerSpec): ServerRuntime {
    return createRuntime(spec, {
      clientInfo: this.#clientInfo,
      observer: this.#observer,
      features: this.#featuresFor(spec),
      fetch: this.#fetch,
      authProvider: this.#authFor(spec),
    });
  }

  /** The credentials of a remote server: its config entry's `auth`, or the host's provider. */
  #authFor(spec: ServerSpec): AuthProvider | OAuthClientProvider | undefined {
    if (spec.transport === 'stdio') return undefined;
    const { auth } = spec;
    if (auth?.type === 'bearer') return { token: async () => auth.token };
    if (auth?.type === 'client_credentials') {
      return new ClientCredentialsProvider({
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        scope: auth.scope,
      });
    }
    const oauth = this.#oauth;
    if (auth?.type === 'oauth' && oauth) {
      this.#tokenStore ??= oauth.store ?? new FileTokenStore();
      return storedOAuthProvider({
        store: this.#tokenStore,
        key: spec.url,
        redirectUrl: oauth.redirectUrl,
        clientName: oauth.clientName,
        scope: auth.scope,
        ...(auth.clientId && { client: { clientId: auth.clientId, clientSecret: auth.clientSecret } }),
        onAuthorizationUrl: (url) => oauth.onAuthorizationUrl(spec.name, url),
      });
    }
    return this.#authProvider?.(spec.name);
  }

  /** The client features one server is offered: the host's handlers, narrowed by the entry's settings. */
  #featuresFor(spec: ServerSpec): ClientFeatures {
    const server = spec.name;
    const { offer, roots: ownRoots } = spec.client;
    const sampling = this.#sampling;
    const elicitation = this.#elicitation;
    const serverRoots = ownRoots && normalizeRoots(ownRoots);
    return {
      ...(offer.roots && (serverRoots || this.#roots) && { roots: () => serverRoots ?? this.#roots ?? [] }),
      ...(offer.sampling && sampling && { sampling: (params) => sampling(params, { server }) }),
      ...(offer.elicitation && elicitation && { elicitation: (params) => elicitation(params, { server }) }),
      onLog: (params) =>
        this.#emit({
          type: 'server:log',
          server,
          level: params.level,
          logger: params.logger,
          data: params.data,
        }),
      onResourceUpdated: (uri) => this.#emit({ type: 'resource:updated', server, uri }),
    };
  }

  /**
   * Changes the roots offered to servers (those without roots of their own) and tells every live
   * session with `notifications/roots/list_changed`. Needs `roots` in the host options (even `[]`).
   */
  setRoots(roots: ReadonlyArray<string | Root>): void {
    this.#assertOpen();
    this.#roots = normalizeRoots(roots, this.#loadOptions.cwd);
    for (const runtime of this.#servers.values()) runtime.notifyRootsChanged();
  }

  /** The roots offered to servers without roots of their own. */
  roots(): readonly Root[] {
    return this.#roots ?? [];
  }

  /**
   * Subscribes to updates of a resource (`resource:updated` events). The subscription is kept across
   * restarts. Needs a shared-scope server that supports subscriptions.
   */
  async subscribeResource(uri: string, options: CallOptions & { server?: string } = {}): Promise<void> {
    this.#assertOpen();
    const server = options.server ?? this.#serverForUri(uri);
    if (!server) throw new UnknownNameError('resource', uri, []);
    await this.#runtime(server).subscribe(uri, options);
  }

  /** Ends a resource subscription. */
  async unsubscribeResource(uri: string, options: CallOptions & { server?: string } = {}): Promise<void> {
    const server = options.server ?? this.#serverForUri(uri);
    if (server) await this.#runtime(server).unsubscribe(uri, options);
  }

  readonly #observer: RuntimeObserver = {
    onState: (runtime, previous, error) =>
      this.#emit({ type: 'server:state', server: runtime.name, state: runtime.state, previous, error }),
    onListing: (runtime, listing) => {
      if (this.#servers.get(runtime.name) === runtime)
        this.#updateCatalog(runtime.name, listing, runtime.spec);
    },
    onRestartScheduled: (runtime, attempt, delayMs) =>
      this.#emit({ type: 'server:restart-scheduled', server: runtime.name, attempt, delayMs }),
    onSession: (runtime, change, key, reason) =>
      this.#emit(
        change === 'opened'
          ? { type: 'session:opened', server: runtime.name, key }
          : { type: 'session:closed', server: runtime.name, key, reason: reason ?? 'closed' },
      ),
  };

  #updateCatalog(name: string, listing: ServerRuntime['listing'], spec: ServerSpec): void {
    if (this.#catalog.setServer(name, listing ?? emptyListing(), spec.tools)) {
      this.#emit({ type: 'tools:changed', server: name });
    }
  }

  #recordInvalid(entry: InvalidServer): void {
    this.#invalid.set(entry.name, entry);
    this.#emit({ type: 'server:invalid', server: entry.name, issues: entry.issues });
  }

  /** Starts every enabled server in parallel; resolves when each is ready or has failed. */
  async start(): Promise<void> {
    for (const runtime of this.#servers.values()) runtime.start();
    await this.ready();
  }

  /** Resolves when no server is starting or restarting. */
  async ready(): Promise<void> {
    await Promise.all([...this.#servers.values(), ...this.#pending].map((runtime) => runtime.settled()));
  }

  /** Every server's state, including entries the config could not use. */
  status(): ServerStatus[] {
    const rows: ServerStatus[] = [];
    for (const runtime of this.#servers.values()) {
      const error = runtime.lastError;
      rows.push({
        name: runtime.name,
        state: runtime.state,
        transport: runtime.spec.transport,
        scope: runtime.spec.session.scope,
        pid: runtime.pid,
        protocolVersion: runtime.protocolVersion,
        tools: this.#catalog.tools().filter((tool) => tool.server === runtime.name).length,
        restarts: runtime.restarts,
        since: new Date(runtime.since).toISOString(),
        sessions: runtime.sessions(),
        lastError: error && {
          code: error.code,
          message: error.message,
          ...(error instanceof ServerError && {
            phase: error.phase,
            exitCode: error.exitCode,
            signal: error.signal,
          }),
        },
        stderrTail: runtime.stderrTail(),
      });
    }
    for (const entry of this.#invalid.values()) {
      if (this.#servers.has(entry.name)) continue;
      const error = new ConfigError(entry.issues);
      rows.push({
        name: entry.name,
        state: 'failed',
        transport: 'unknown',
        tools: 0,
        restarts: 0,
        since: new Date(this.#createdAt).toISOString(),
        lastError: { code: error.code, message: error.message, phase: 'config' },
        configIssues: entry.issues,
      });
    }
    return rows;
  }

  /** The aggregated tool catalog. */
  tools(): readonly CatalogTool[] {
    return this.#catalog.tools();
  }

  /** The catalog entry with this name, if there is one. */
  tool(name: string): CatalogTool | undefined {
    return this.#catalog.tool(name);
  }

  /** The aggregated prompts. */
  prompts(): readonly CatalogPrompt[] {
    return this.#catalog.prompts();
  }

  /** The aggregated resources (each tagged with its server). */
  resources(): readonly CatalogResource[] {
    return this.#catalog.resources();
  }

  /** The aggregated resource templates (each tagged with its server). */
  resourceTemplates(): readonly CatalogResourceTemplate[] {
    return this.#catalog.resourceTemplates();
  }

  /**
   * Adds interceptors around every request berth sends for a caller (tool calls, prompts, resource
   * reads, completions), outermost first. See `RequestContext` for what they can read and change.
   */
  use(...middlewares: Middleware[]): this {
    this.#middlewares.push(...middlewares);
    this.#chain = compose([...this.#middlewares]);
    return this;
  }

  /**
   * Calls a tool by its catalog name. Arguments are checked against the tool's `inputSchema` first;
   * a result with `isError` is returned, not thrown.
   */
  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    this.#assertOpen();
    const tool = this.#catalog.tool(name) ?? (await this.#lookupAfterStartup(() => this.#catalog.tool(name)));
    if (!tool) {
      throw (
        this.#downServerFor(name) ??
        new UnknownNameError(
          'tool',
          name,
          suggestNames(
            name,
            this.#catalog.tools().map((t) => t.name),
          ),
        )
      );
    }
    const problems = argumentsValidator(tool.inputSchema)(args);
    if (problems.length > 0) throw new InvalidArgumentsError(name, problems);
    const params = { name: tool.tool, arguments: args, ...(options.meta && { _meta: options.meta }) };
    const definition = this.#catalog.definition(name);
    const started = Date.now();
    try {
      return await this.#send(tool.server, 'tools/call', params, options, name, definition);
    } catch (error) {
      // A session lost mid-call: retry once, but only where running the tool twice is safe.
      if (!(error instanceof ServerError && error.outcomeUnknown && this.#retrySafe(tool))) throw error;
      const timeoutMs =
        (options.timeoutMs ?? this.#runtime(tool.server).spec.timeouts.callMs) - (Date.now() - started);
      if (timeoutMs <= 0) throw error;
      return this.#send(tool.server, 'tools/call', params, { ...options, timeoutMs }, name, definition);
    }
  }

  /**
   * For a name that is not in the catalog but starts with a server's `name__` prefix: that server's
   * unavailability (failed, unauthorized, disabled), which explains the miss better than "unknown".
   */
  #downServerFor(name: string): ServerUnavailableError | undefined {
    for (const runtime of this.#servers.values()) {
      if (runtime.state === 'ready' || !name.startsWith(`${sanitizeNamePart(runtime.name)}__`)) continue;
      return new ServerUnavailableError(runtime.name, runtime.state, { cause: runtime.lastError });
    }
    return undefined;
  }

  /** Whether a call of `tool` may be sent again after its outcome was lost. */
  #retrySafe(tool: CatalogTool): boolean {
    const { annotations } = tool;
    if (annotations?.readOnlyHint || annotations?.idempotentHint) return true;
    return this.#servers.get(tool.server)?.spec.health.retrySafe ?? false;
  }

  /** Gets a prompt by its catalog name. */
  async getPrompt(
    name: string,
    args: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    this.#assertOpen();
    const prompt =
      this.#catalog.prompt(name) ?? (await this.#lookupAfterStartup(() => this.#catalog.prompt(name)));
    if (!prompt) {
      throw new UnknownNameError(
        'prompt',
        name,
        suggestNames(
          name,
          this.#catalog.prompts().map((p) => p.name),
        ),
      );
    }
    const params = { name: prompt.prompt, arguments: args, ...(options.meta && { _meta: options.meta }) };
    return this.#send(prompt.server, 'prompts/get', params, options, name);
  }

  /**
   * Reads a resource by URI, from the server that lists it (or whose template matches it). Pass
   * `server` when several servers could serve the same URI.
   */
  async readResource(
    uri: string,
    options: CallOptions & { server?: string } = {},
  ): Promise<ReadResourceResult> {
    this.#assertOpen();
    const server = options.server ?? this.#serverForUri(uri);
    if (!server) {
      throw new UnknownNameError(
        'resource',
        uri,
        suggestNames(
          uri,
          this.#catalog.resources().map((r) => r.uri),
        ),
      );
    }
    return this.#send(
      server,
      'resources/read',
      { uri, ...(options.meta && { _meta: options.meta }) },
      options,
    );
  }

  /**
   * Asks a server to complete an argument of a prompt (by catalog name) or of a resource template (by
   * its URI template; pass `server` when several servers have it).
   */
  async complete(
    ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string },
    argument: { name: string; value: string },
    options: CallOptions & { server?: string; context?: { arguments?: Record<string, string> } } = {},
  ): Promise<CompleteResult> {
    this.#assertOpen();
    let server: string | undefined;
    let wireRef: typeof ref = ref;
    if (ref.type === 'ref/prompt') {
      const prompt = this.#catalog.prompt(ref.name);
      if (!prompt) {
        throw new UnknownNameError(
          'prompt',
          ref.name,
          suggestNames(
            ref.name,
            this.#catalog.prompts().map((p) => p.name),
          ),
        );
      }
      server = prompt.server;
      wireRef = { type: 'ref/prompt', name: prompt.prompt };
    } else {
      server =
        options.server ?? this.#catalog.resourceTemplates().find((t) => t.uriTemplate === ref.uri)?.server;
      if (!server) throw new UnknownNameError('resource', ref.uri, []);
    }
    const params = { ref: wireRef, argument, ...(options.context && { context: options.context }) };
    return this.#send(server, 'completion/complete', params, options);
  }

  /**
   * Sends one request through the interceptors to `server`'s runtime, which picks the session. Without
   * interceptors it goes straight to the runtime (the hot path allocates no context).
   */
  #send<T>(
    server: string,
    method: InterceptedMethod,
    params: Record<string, unknown>,
    options: CallOptions,
    name?: string,
    toolDefinition?: Tool,
  ): Promise<T> {
    const runtime = this.#runtime(server);
    const perform = (wire: Record<string, unknown>, headers?: Record<string, string>): Promise<T> =>
      runtime.request((connection, timeout) => {
        const sendOptions = {
          signal: options.signal,
          timeout,
          onprogress: options.onProgress,
          headers,
          // For tools/call: the catalog's definition spares the SDK a response-cache lookup per call
          // (not if an interceptor renamed the tool).
          toolDefinition: toolDefinition?.name === wire.name ? toolDefinition : undefined,
        };
        const { client } = connection;
        switch (method) {
          case 'tools/call':
            return client.callTool(wire as Parameters<Client['callTool']>[0], sendOptions) as Promise<T>;
          case 'prompts/get':
            return client.getPrompt(wire as Parameters<Client['getPrompt']>[0], sendOptions) as Promise<T>;
          case 'resources/read':
            return client.readResource(
              wire as Parameters<Client['readResource']>[0],
              sendOptions,
            ) as Promise<T>;
          case 'completion/complete':
            return client.complete(wire as Parameters<Client['complete']>[0], sendOptions) as Promise<T>;
        }
      }, options);
    if (this.#middlewares.length === 0) return perform(params);
    const ctx: RequestContext = {
      server,
      transport: runtime.spec.transport,
      method,
      params,
      headers: {},
      name,
      key: options.key,
      context: options.context ?? {},
    };
    return this.#chain(ctx, () =>
      perform(ctx.params, Object.keys(ctx.headers).length > 0 ? ctx.headers : undefined),
    ) as Promise<T>;
  }

  #serverForUri(uri: string): string | undefined {
    const listed = this.#catalog.resources().filter((r) => r.uri === uri);
    if (listed.length === 1) return listed[0]!.server;
    if (listed.length > 1) {
      throw new UnknownNameError(
        'resource',
        uri,
        listed.map((r) => `${r.server}: ${r.uri} (pass { server })`),
      );
    }
    const template = this.#catalog.resourceTemplates().find((t) => new UriTemplate(t.uriTemplate).match(uri));
    return template?.server;
  }

  /** Ends every keyed session of `key`, after its in-flight calls (within each server's drain deadline). */
  async closeKey(key: string): Promise<void> {
    await Promise.all([...this.#servers.values()].map((runtime) => runtime.closeKey(key)));
  }

  /**
   * A light, key-bound view for one agent run or conversation: its tools, `callTool`, and `close()`
   * that ends the key's sessions. Creating one opens nothing.
   */
  toolset(options: ToolsetOptions): Toolset {
    this.#assertOpen();
    return new Toolset(this, options);
  }

  /**
   * Finishes the OAuth code flow of an `unauthorized` server: pass the authorization code or the whole
   * redirect callback query; the server then reconnects with its new tokens.
   */
  async finishAuth(server: string, callback: string | URLSearchParams): Promise<void> {
    this.#assertOpen();
    await this.#runtime(server).finishAuthorization(callback);
  }

  /** Restarts one server: reopens a failed one, or recycles a running one. */
  async restart(name: string): Promise<void> {
    this.#assertOpen();
    await this.#runtime(name).restart();
  }

  /**
   * Adds a server at runtime from a config entry (as it would appear under `mcpServers`). Resolves
   * when it is ready or has failed. An invalid entry throws `ConfigError`; an existing name throws.
   */
  add(name: string, entry: Record<string, unknown>): Promise<void> {
    return this.#change(async () => {
      if (this.#servers.has(name)) {
        throw new ConfigError([
          {
            file: INLINE_SOURCE,
            path: `$.mcpServers.${name}`,
            message: `a server named "${name}" already exists; use replace()`,
            server: name,
          },
        ]);
      }
      await this.#add(this.#resolveEntry(name, entry));
    });
  }

  /** Removes a server: its tools leave the catalog first, then its in-flight calls drain, then it closes. */
  remove(name: string): Promise<void> {
    return this.#change(async () => {
      if (!this.#servers.has(name) && this.#invalid.delete(name)) return;
      this.#runtime(name); // throws for an unknown name
      await this.#remove(name);
    });
  }

  /**
   * Replaces a server with a new config entry: the new one is started (a new process, never the old
   * one), then takes over the name, then the old one drains its in-flight calls and closes.
   */
  replace(name: string, entry: Record<string, unknown>): Promise<void> {
    return this.#change(() => this.#replace(this.#resolveEntry(name, entry)));
  }

  /**
   * Rereads the config (the original file by default) and applies the difference: unchanged servers
   * keep running untouched, changed ones are replaced, removed ones stop, added ones start. An entry
   * that became invalid leaves its running server as it is. A file that cannot be used throws
   * `ConfigError` and changes nothing.
   */
  reload(config?: ConfigInput): Promise<ReloadSummary> {
    return this.#change(async () => {
      const source = config ?? this.#configSource;
      if (source === undefined)
        throw new Error('reload() needs a config: this host was not created from one');
      const loaded = await loadConfig(source, this.#loadOptions);
      this.#assertOpen();
      const summary: ReloadSummary = { added: [], removed: [], replaced: [], unchanged: [], invalid: [] };
      const next = new Map(loaded.servers.map((spec) => [spec.name, spec]));
      const invalid = new Map(loaded.invalid.map((entry) => [entry.name, entry]));
      const work: Promise<void>[] = [];
      for (const name of this.#servers.keys()) {
        if (!next.has(name) && !invalid.has(name)) {
          summary.removed.push(name);
          work.push(this.#remove(name));
        }
      }
      for (const spec of next.values()) {
        const current = this.#servers.get(spec.name);
        if (!current) {
          summary.added.push(spec.name);
          work.push(this.#add(spec));
        } else if (canonical(current.spec) !== canonical(spec)) {
          summary.replaced.push(spec.name);
          work.push(this.#replace(spec));
        } else {
          summary.unchanged.push(spec.name);
        }
      }
      for (const name of [...this.#invalid.keys()]) if (!invalid.has(name)) this.#invalid.delete(name);
      for (const entry of invalid.values()) {
        summary.invalid.push(entry.name);
        this.#recordInvalid(entry);
      }
      await Promise.all(work);
      this.#emit({ type: 'config:reloaded', summary });
      return summary;
    });
  }

  /** Runs one change to the set of servers after the ones before it. */
  #change<T>(change: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new HostClosedError()); // a rejection, never a throw
    const result = this.#changes.then(change);
    this.#changes = result.catch(() => {});
    return result;
  }

  #resolveEntry(name: string, entry: Record<string, unknown>): ServerSpec {
    const { servers, invalid } = resolveConfig(
      { mcpServers: { [name]: entry } },
      INLINE_SOURCE,
      this.#loadOptions,
    );
    if (invalid.length > 0) throw new ConfigError(invalid.flatMap((i) => i.issues));
    return servers[0]!;
  }

  /** Starts a runtime for `spec` and waits until it is ready or failed; closes it if the host closed meanwhile. */
  async #startRuntime(spec: ServerSpec): Promise<ServerRuntime> {
    const runtime = this.#createRuntime(spec);
    this.#pending.add(runtime);
    try {
      runtime.start();
      await runtime.settled();
    } finally {
      this.#pending.delete(runtime);
    }
    if (this.#closing) {
      await runtime.close('host closed');
      throw new HostClosedError();
    }
    return runtime;
  }

  #install(runtime: ServerRuntime): void {
    this.#servers.set(runtime.name, runtime);
    this.#invalid.delete(runtime.name);
    this.#updateCatalog(runtime.name, runtime.listing, runtime.spec);
  }

  async #add(spec: ServerSpec): Promise<void> {
    this.#install(await this.#startRuntime(spec));
    this.#emit({ type: 'server:added', server: spec.name });
  }

  async #remove(name: string): Promise<void> {
    const runtime = this.#servers.get(name);
    if (!runtime) return;
    this.#servers.delete(name);
    if (this.#catalog.removeServer(name)) this.#emit({ type: 'tools:changed', server: name });
    await runtime.close('server removed', { drain: true });
    this.#emit({ type: 'server:removed', server: name });
  }

  async #replace(spec: ServerSpec): Promise<void> {
    const next = await this.#startRuntime(spec);
    const previous = this.#servers.get(spec.name);
    this.#install(next);
    this.#emit({ type: previous ? 'server:replaced' : 'server:added', server: spec.name });
    await previous?.close('server replaced', { drain: true });
  }

  /** Starts watching the config file; every change (after a short quiet period) triggers `reload()`. */
  watchConfig(): void {
    const source = this.#configSource;
    if (typeof source !== 'string' || this.#watcher) return;
    const file = resolve(this.#loadOptions.cwd ?? process.cwd(), source);
    // Watch the directory: editors often replace the file, which ends a watch on the file itself.
    this.#watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== basename(file)) return;
      clearTimeout(this.#watchTimer);
      this.#watchTimer = setTimeout(() => {
        if (this.#closing) return;
        this.reload().catch((error: unknown) => {
          if (error instanceof ConfigError) this.#emit({ type: 'config:error', error });
        });
      }, WATCH_DEBOUNCE_MS);
    });
    this.#watcher.on('error', () => this.#stopWatching());
  }

  #stopWatching(): void {
    clearTimeout(this.#watchTimer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** Stops every server and waits until every process is gone. Idempotent; concurrent calls share one close. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopWatching();
      const runtimes = [...this.#servers.values(), ...this.#pending];
      await Promise.all(runtimes.map((runtime) => runtime.close('host closed')));
      await this.#changes; // a change in progress sees the close and stops
    })();
    return this.#closing;
  }

  /** `await using host = await createHost(…)` closes the host at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closing) throw new HostClosedError();
  }

  #runtime(name: string): ServerRuntime {
    const runtime = this.#servers.get(name);
    if (!runtime) throw new UnknownNameError('server', name, suggestNames(name, this.#servers.keys()));
    return runtime;
  }

  /** If some server is still starting, waits for startup to settle and looks again. */
  async #lookupAfterStartup<T>(find: () => T | undefined): Promise<T | undefined> {
    const starting =
      this.#pending.size > 0 || [...this.#servers.values()].some((r) => r.state === 'starting');
    if (!starting) return undefined;
    await this.ready();
    return find();
  }
}

/** Roots as the protocol wants them: `file://` URIs with a name. */
function normalizeRoots(roots: ReadonlyArray<string | Root>, cwd = process.cwd()): Root[] {
  return roots.map((root) => {
    if (typeof root !== 'string') return root;
    const uri = rootUri(root, cwd);
    return { uri, name: basename(fileURLToPath(uri)) || uri };
  });
}

/** A stable text form of a spec (keys sorted), so reload compares configurations, not key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * Loads a config (a file path or an object), starts every server in parallel, and resolves once each
 * is ready or has failed. A file that cannot be used at all throws `ConfigError`; an invalid entry or
 * a server that fails to start is reported in `status()` and never keeps the others from starting.
 */
export async function createHost(config: ConfigInput, options: HostOptions = {}): Promise<Host> {
  const { signal } = options;
  signal?.throwIfAborted();
  const loaded = await loadConfig(config, options);
  const host = new Host(loaded.servers, loaded.invalid, { ...options, configSource: config });
  const abort = () => void host.close();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await host.start();
  } finally {
    signal?.removeEventListener('abort', abort);
  }
  if (signal?.aborted) {
    await host.close();
    throw signal.reason;
  }
  if (options.watch) host.watchConfig();
  return host;
}
