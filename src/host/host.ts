/**
 * The host: the public face of berth. It wires its parts together and delegates to them: the
 * servers and their catalog (`servers.ts`), the call path (`calls.ts`, `dispatch.ts`), what it offers
 * servers as a client (`client-side.ts`), credentials (`credentials.ts`), status (`status.ts`) and
 * config watching (`watch.ts`). The host never opens or closes a session itself: each server's
 * runtime owns its sessions, and the host only asks.
 */
import { VERSION } from '../util/version.js';
import { resolve } from 'node:path';
import type {
  CallToolResult,
  CompleteResult,
  GetPromptResult,
  Implementation,
  ReadResourceResult,
  Root,
} from '@modelcontextprotocol/client';
import type { Skill, SkillFile } from '@modelcontextprotocol/client/ext/skills';
import type {
  CatalogPrompt,
  CatalogResource,
  CatalogResourceTemplate,
  CatalogTool,
} from '../catalog/catalog.js';
import {
  INLINE_SOURCE,
  loadConfig,
  resolveConfig,
  type ConfigInput,
  type LoadedConfig,
  type LoadOptions,
} from '../config/load.js';
import { ConfigError, HostClosedError, NotSupportedError, UnknownNameError } from '../errors.js';
import { defaultCacheDir, ListingCache } from '../cache/listing-cache.js';
import { createRuntime, type SharedSession } from '../scope/index.js';
import { Calls, type CompletionRef } from './calls.js';
import { ClientSide } from './client-side.js';
import { Credentials } from './credentials.js';
import { Dispatcher } from './dispatch.js';
import { safeEmit, type HostEvent, type HostEventHandler, type ReloadSummary } from './events.js';
import type { Middleware } from './middleware.js';
import type { CallOptions, CompleteOptions, HostOptions } from './options.js';
import { ServerSet } from './servers.js';
import { statusRows, type ServerStatus } from './status.js';
import { Toolset, type ToolsetOptions } from './toolset.js';
import { ConfigWatcher } from './watch.js';
import { acquireWatchdog, type WatchdogLease } from '../process/watchdog.js';
import { loadOtel } from '../telemetry/api.js';
import { createClientTelemetry } from '../telemetry/client.js';
import type { HostMetrics } from '../telemetry/types.js';
import { checkCallOptions, checkSkill, checkString } from './check.js';

export type {
  CallOptions,
  ClientRequestContext,
  CompleteOptions,
  HostOptions,
  OAuthOptions,
} from './options.js';
export type { ServerStatus } from './status.js';

const DEFAULT_CLIENT_INFO: Implementation = { name: 'berth', version: VERSION };

/** What `Host.appliedConfig()` returns. */
export interface AppliedConfig {
  /** The absolute path of the file it was read from, or `<inline>`. */
  readonly source: string;
  /** The config as written (parsed; `${VAR}` references not expanded). */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Options of `Host.reload`. */
export interface ReloadOptions {
  /**
   * For a config object: the file it counts as read from (or `<inline>`). Relative `cwd` entries and
   * `${workspaceFolder}` resolve against that file's directory, and a server it leaves as it was
   * keeps running untouched (a gateway replica applies another replica's config this way).
   */
  source?: string;
}

/** A running set of MCP servers behind one catalog. Create it with `createHost`. */
export class Host implements AsyncDisposable {
  readonly #onEvent: HostEventHandler | undefined;
  /** Handlers added with `on()`. */
  readonly #listeners = new Set<HostEventHandler>();
  readonly #loadOptions: LoadOptions;
  /** The config `reload()` rereads by default. */
  readonly #configSource: ConfigInput | undefined;
  /** The config the servers run now, as written, and where it was read from. */
  #applied: AppliedConfig | undefined;
  readonly #clientSide: ClientSide;
  readonly #servers: ServerSet;
  readonly #dispatcher: Dispatcher;
  readonly #calls: Calls;
  readonly #createdAt = Date.now();
  #watcher: ConfigWatcher | undefined;
  #closing: Promise<void> | undefined;
  /** berth's own metrics of this host (when OpenTelemetry is installed). */
  #metrics: HostMetrics | undefined;
  /** This host's hold on the watchdog, from its creation to the end of its close. */
  readonly #watchdog: WatchdogLease;

  /** Use `createHost`; this only builds the (not yet started) runtimes. */
  constructor(loaded: LoadedConfig, options: HostOptions & { configSource?: ConfigInput } = {}) {
    this.#onEvent = options.onEvent;
    this.#watchdog = acquireWatchdog({ watchdog: options.watchdog });
    this.#loadOptions = {
      env: options.env,
      cwd: options.cwd,
      only: options.only,
      maxStartupMs: options.maxStartupMs,
    };
    this.#configSource = options.configSource;
    if (loaded.raw) this.#applied = { source: loaded.source, raw: loaded.raw };
    const emit = (event: HostEvent) => {
      this.#metrics?.event(event);
      safeEmit(this.#onEvent, event);
      for (const listener of this.#listeners) safeEmit(listener, event);
    };
    this.#clientSide = new ClientSide(options, emit);
    const credentials = new Credentials(options);
    const clientInfo = options.clientInfo ?? DEFAULT_CLIENT_INFO;
    const telemetry = createClientTelemetry(options.telemetry);
    // berth.* gauges read status() when a reader collects; removed when the host closes.
    this.#metrics = telemetry?.observeHost(() => this.status());
    // Touches no file until a `lazy` server reads or writes its listing.
    const cache = new ListingCache(options.cacheDir ?? defaultCacheDir());
    this.#servers = new ServerSet(loaded, {
      emit,
      loadOptions: this.#loadOptions,
      factory: (spec, observer) =>
        createRuntime(spec, {
          clientInfo,
          observer,
          features: this.#clientSide.featuresFor(spec),
          fetch: options.fetch,
          authProvider: credentials.for(spec),
          telemetry,
          cache,
        }),
    });
    this.#dispatcher = new Dispatcher(this.#servers);
    this.#calls = new Calls(this.#servers, this.#dispatcher);
  }

  /**
   * Receives every event from now on, as `onEvent` does; returns the function that stops it. For
   * code that gets a host it did not create (a gateway, an adapter).
   */
  on(handler: HostEventHandler): () => void {
    this.#listeners.add(handler);
    return () => void this.#listeners.delete(handler);
  }

  /**
   * Changes the roots offered to servers (those without roots of their own) and tells every live
   * session with `notifications/roots/list_changed`. Needs `roots` in the host options (even `[]`).
   */
  setRoots(roots: ReadonlyArray<string | Root>): void {
    this.#assertOpen();
    this.#clientSide.setRoots(roots);
    for (const runtime of this.#servers.runtimes()) runtime.notifyRootsChanged();
  }

  /** The roots offered to servers without roots of their own. */
  roots(): readonly Root[] {
    return this.#clientSide.roots;
  }

  /**
   * Subscribes to updates of a resource (`resource:updated` events). The subscription is kept across
   * restarts. Needs a shared-scope server that supports subscriptions.
   */
  async subscribeResource(uri: string, options: CallOptions & { server?: string } = {}): Promise<void> {
    this.#assertCall(options);
    const server = options.server ?? (await this.#calls.serverForUri(uri));
    if (!server) throw new UnknownNameError('resource', uri, []);
    const deadline = this.#calls.deadlineFor(server, options);
    await this.#shared(server, 'resource subscriptions').subscribe(uri, { ...options, deadline });
  }

  /** Ends a resource subscription. */
  async unsubscribeResource(uri: string, options: CallOptions & { server?: string } = {}): Promise<void> {
    const server = options.server ?? (await this.#calls.serverForUri(uri));
    if (server) {
      const deadline = this.#calls.deadlineFor(server, options);
      await this.#shared(server, 'resource subscriptions').unsubscribe(uri, { ...options, deadline });
    }
  }

  /** Starts every enabled server in parallel; resolves when each is ready or has failed. */
  start(): Promise<void> {
    return this.#servers.start();
  }

  /** Resolves when no server is starting or restarting. */
  ready(): Promise<void> {
    return this.#servers.ready();
  }

  /** Every server's state, including entries the config could not use. */
  status(): ServerStatus[] {
    return statusRows(
      this.#servers.runtimes(),
      this.#servers.invalid(),
      this.#servers.catalog,
      this.#createdAt,
    );
  }

  /** The aggregated tool catalog. */
  tools(): readonly CatalogTool[] {
    return this.#servers.catalog.tools();
  }

  /** The catalog entry with this name, if there is one. */
  tool(name: string): CatalogTool | undefined {
    return this.#servers.catalog.tool(name);
  }

  /** The aggregated prompts. */
  prompts(): readonly CatalogPrompt[] {
    return this.#servers.catalog.prompts();
  }

  /** The aggregated resources (each tagged with its server). */
  resources(): readonly CatalogResource[] {
    return this.#servers.catalog.resources();
  }

  /** The aggregated resource templates (each tagged with its server). */
  resourceTemplates(): readonly CatalogResourceTemplate[] {
    return this.#servers.catalog.resourceTemplates();
  }

  /**
   * Adds interceptors around every request berth sends for a caller (tool calls, prompts, resource
   * reads, completions), outermost first. See `RequestContext` for what they can read and change.
   */
  use(...middlewares: Middleware[]): this {
    this.#dispatcher.use(middlewares);
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
    this.#assertCall(options);
    checkString(name, 'name');
    return this.#calls.callTool(name, args, options);
  }

  /** Gets a prompt by its catalog name. */
  async getPrompt(
    name: string,
    args: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    this.#assertCall(options);
    checkString(name, 'name');
    return this.#calls.getPrompt(name, args, options);
  }

  /**
   * Reads a resource by URI, from the server that lists it (or whose template matches it). Pass
   * `server` when several servers could serve the same URI.
   */
  async readResource(
    uri: string,
    options: CallOptions & { server?: string } = {},
  ): Promise<ReadResourceResult> {
    this.#assertCall(options);
    checkString(uri, 'uri');
    return this.#calls.readResource(uri, options);
  }

  /**
   * Asks a server to complete an argument of a prompt (by catalog name) or of a resource template (by
   * its URI template; pass `server` when several servers have it).
   */
  async complete(
    ref: CompletionRef,
    argument: { name: string; value: string },
    options: CompleteOptions = {},
  ): Promise<CompleteResult> {
    this.#assertCall(options);
    return this.#calls.complete(ref, argument, options);
  }

  /**
   * Lists the skills a server offers (the Skills extension, SEP-2640): their entries (URI,
   * frontmatter, files with sizes and digests). No skill file is read until you ask for it with
   * `readSkill`. A server without the extension has none.
   */
  async listSkills(server: string, options: CallOptions = {}): Promise<Skill[]> {
    this.#assertCall(options);
    checkString(server, 'server');
    return this.#calls.listSkills(server, options);
  }

  /**
   * Reads one file of a skill from `listSkills` (`ref`: a path in the skill such as
   * `references/FORMS.md`, or a URI; default the skill's `SKILL.md`), verified against the skill's
   * entry: it must be listed there, with the listed size and digest, and a `SKILL.md` must carry the
   * entry's frontmatter. A file that fails is never returned: the call fails (`RequestFailedError`,
   * its cause a `SkillVerificationError` saying which check).
   */
  async readSkill(server: string, skill: Skill, ref?: string, options: CallOptions = {}): Promise<SkillFile> {
    this.#assertCall(options);
    checkString(server, 'server');
    checkSkill(skill);
    if (ref !== undefined) checkString(ref, 'ref');
    return this.#calls.readSkill(server, skill, ref, options);
  }

  /** Ends every keyed session of `key`, after its in-flight calls (within each server's drain deadline). */
  async closeKey(key: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const runtime of this.#servers.runtimes())
      if (runtime.keys) closing.push(runtime.keys.closeKey(key));
    await Promise.all(closing);
  }

  /**
   * A light, key-bound view for one agent run or conversation: its tools, `callTool`, and `close()`
   * that ends the key's sessions. Creating one opens nothing.
   */
  toolset(options: ToolsetOptions): Toolset {
    this.#assertOpen();
    return new Toolset(
      {
        tools: () => this.tools(),
        callTool: (name, args, callOptions, allow) => {
          this.#assertCall(callOptions);
          return this.#calls.callTool(name, args, callOptions, allow);
        },
        closeKey: (key) => this.closeKey(key),
      },
      options,
    );
  }

  /**
   * Finishes the OAuth code flow of an `unauthorized` server: pass the authorization code or the whole
   * redirect callback query; the server then reconnects with its new tokens.
   */
  async finishAuth(server: string, callback: string | URLSearchParams): Promise<void> {
    this.#assertOpen();
    await this.#shared(server, 'interactive authorization').finishAuthorization(callback);
  }

  /** Restarts one server: reopens a failed one, or recycles a running one. */
  async restart(name: string): Promise<void> {
    this.#assertOpen();
    await this.#servers.runtime(name).restart();
  }

  /**
   * Adds a server at runtime from a config entry (as it would appear under `mcpServers`). Resolves
   * when it is ready or has failed. An invalid entry throws `ConfigError`; an existing name throws.
   */
  add(name: string, entry: Record<string, unknown>): Promise<void> {
    return this.#servers.add(name, entry);
  }

  /** Removes a server: its tools leave the catalog first, then its in-flight calls drain, then it closes. */
  remove(name: string): Promise<void> {
    return this.#servers.remove(name);
  }

  /**
   * Replaces a server with a new config entry: the new one is started (a new process, never the old
   * one), then takes over the name, then the old one drains its in-flight calls and closes.
   */
  replace(name: string, entry: Record<string, unknown>): Promise<void> {
    return this.#servers.replace(name, entry);
  }

  /**
   * Rereads the config (the original file by default) and applies the difference: unchanged servers
   * keep running untouched, changed ones are replaced, removed ones stop, added ones start. An entry
   * that became invalid leaves its running server as it is. A file that cannot be used throws
   * `ConfigError` and changes nothing.
   */
  reload(config?: ConfigInput, options: ReloadOptions = {}): Promise<ReloadSummary> {
    return this.#servers.reload(async () => {
      const loaded = await this.#load(config, options);
      if (loaded.raw) this.#applied = { source: loaded.source, raw: loaded.raw };
      return loaded;
    });
  }

  /**
   * The config the servers run now, as written (`${VAR}` references not expanded), and where it was
   * read from (a file's absolute path, or `<inline>`): the last one loaded, by `createHost` or a
   * `reload()`. Undefined for a host built from a config without its raw form.
   */
  appliedConfig(): AppliedConfig | undefined {
    return this.#applied;
  }

  async #load(config: ConfigInput | undefined, options: ReloadOptions): Promise<LoadedConfig> {
    if (options.source !== undefined && config !== undefined && typeof config !== 'string') {
      const source =
        options.source === INLINE_SOURCE
          ? INLINE_SOURCE
          : resolve(this.#loadOptions.cwd ?? process.cwd(), options.source);
      return resolveConfig(config, source, this.#loadOptions);
    }
    const source = config ?? this.#configSource;
    if (source === undefined) {
      throw new ConfigError([
        {
          file: INLINE_SOURCE,
          path: '$',
          message: 'reload() needs a config: this host was created without one; pass it to reload(config)',
        },
      ]);
    }
    return loadConfig(source, this.#loadOptions);
  }

  /** Starts watching the config file; every change (after a short quiet period) triggers `reload()`. */
  watchConfig(): void {
    const source = this.#configSource;
    if (typeof source !== 'string' || this.#watcher || this.#closing) return;
    const file = resolve(this.#loadOptions.cwd ?? process.cwd(), source);
    this.#watcher = new ConfigWatcher(file, () => {
      this.reload().catch((error: unknown) => {
        if (error instanceof HostClosedError) return; // closed while the reload waited its turn
        // Every failed reload is reported, never swallowed: as it is, or wrapped to name the file.
        const reported =
          error instanceof ConfigError
            ? error
            : new ConfigError(
                [
                  {
                    file,
                    path: '$',
                    message: `reload failed: ${error instanceof Error ? error.message : String(error)}`,
                  },
                ],
                { cause: error },
              );
        safeEmit(this.#onEvent, { type: 'config:error', error: reported });
      });
    });
  }

  /** Stops every server and waits until every process is gone. Idempotent; concurrent calls share one close. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#watcher?.close();
      this.#watcher = undefined;
      try {
        await this.#servers.close();
      } finally {
        this.#watchdog.release(); // the last host to close ends the watchdog
        this.#listeners.clear();
        this.#metrics?.stop();
      }
    })();
    return this.#closing;
  }

  /** `await using host = await createHost(…)` closes the host at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The shared session of `server`, for what only a shared session can do (`what`). */
  #shared(server: string, what: string): SharedSession {
    const runtime = this.#servers.runtime(server);
    if (runtime.shared) return runtime.shared;
    throw new NotSupportedError(
      server,
      `${what} need a shared session, and its scope is "${runtime.spec.session.scope}"`,
    );
  }

  #assertOpen(): void {
    if (this.#closing) throw new HostClosedError();
  }

  /** Refuses a call on a closed host, or with options of the wrong type or range (see `check.ts`). */
  #assertCall(options: CallOptions): void {
    this.#assertOpen();
    checkCallOptions(options);
  }
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
  await loadOtel(); // an optional peer: found once, or not
  signal?.throwIfAborted(); // aborted while the config loaded: nothing was spawned yet
  const host = new Host(loaded, { ...options, configSource: config });
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
