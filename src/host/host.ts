/**
 * The host: one `SessionOwner` per configured server, the aggregated catalog, and the call path
 * (look up the name, validate the arguments, ask the owner). The host never opens or closes a
 * connection itself; it starts owners and, on `close()`, asks each to stop and awaits them all.
 */
import {
  UriTemplate,
  type CallToolResult,
  type GetPromptResult,
  type Implementation,
  type Progress,
  type ReadResourceResult,
} from '@modelcontextprotocol/client';
import {
  Catalog,
  type CatalogPrompt,
  type CatalogResource,
  type CatalogResourceTemplate,
  type CatalogTool,
} from '../catalog/catalog.js';
import { suggestNames } from '../catalog/suggest.js';
import { argumentsValidator } from '../catalog/validate.js';
import { loadConfig, type ConfigInput, type InvalidServer, type LoadOptions } from '../config/load.js';
import type { ServerSpec } from '../config/types.js';
import {
  ConfigError,
  HostClosedError,
  InvalidArgumentsError,
  ServerError,
  UnknownNameError,
  type ConfigIssue,
} from '../errors.js';
import { SessionOwner, type OwnerObserver, type ServerState } from '../session/owner.js';
import { safeEmit, type HostEventHandler } from './events.js';

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
}

/** One server's state, as `status()` reports it. */
export interface ServerStatus {
  name: string;
  state: ServerState;
  transport: ServerSpec['transport'] | 'unknown';
  /** The server process id (stdio), while one runs. */
  pid?: number;
  /** How many of its tools are in the catalog. */
  tools: number;
  /** How many times its session was reopened after a crash or a restart request. */
  restarts: number;
  /** When the current state began (ISO 8601). */
  since: string;
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

/** A running set of MCP servers behind one catalog. Create it with `createHost`. */
export class Host implements AsyncDisposable {
  readonly #owners = new Map<string, SessionOwner>();
  readonly #invalid = new Map<string, InvalidServer>();
  readonly #catalog = new Catalog();
  readonly #onEvent: HostEventHandler | undefined;
  readonly #clientInfo: Implementation;
  #closing: Promise<void> | undefined;
  readonly #createdAt = Date.now();

  /** Use `createHost`; this only builds the (not yet started) owners. */
  constructor(servers: readonly ServerSpec[], invalid: readonly InvalidServer[], options: HostOptions = {}) {
    this.#onEvent = options.onEvent;
    this.#clientInfo = options.clientInfo ?? DEFAULT_CLIENT_INFO;
    for (const entry of invalid) {
      this.#invalid.set(entry.name, entry);
      safeEmit(this.#onEvent, { type: 'server:invalid', server: entry.name, issues: entry.issues });
    }
    for (const spec of servers) this.#owners.set(spec.name, this.#createOwner(spec));
  }

  #createOwner(spec: ServerSpec): SessionOwner {
    return new SessionOwner(spec, { clientInfo: this.#clientInfo, observer: this.#observer });
  }

  readonly #observer: OwnerObserver = {
    onState: (owner, previous, error) =>
      safeEmit(this.#onEvent, {
        type: 'server:state',
        server: owner.name,
        state: owner.state,
        previous,
        error,
      }),
    onListing: (owner, listing) => {
      if (this.#owners.get(owner.name) !== owner) return;
      if (this.#catalog.setServer(owner.name, listing, owner.spec.tools)) {
        safeEmit(this.#onEvent, { type: 'tools:changed', server: owner.name });
      }
    },
    onRestartScheduled: (owner, attempt, delayMs) =>
      safeEmit(this.#onEvent, { type: 'server:restart-scheduled', server: owner.name, attempt, delayMs }),
  };

  /** Starts every enabled server in parallel; resolves when each is ready or has failed. */
  async start(): Promise<void> {
    for (const owner of this.#owners.values()) owner.start();
    await this.ready();
  }

  /** Resolves when no server is starting or restarting. */
  async ready(): Promise<void> {
    await Promise.all([...this.#owners.values()].map((owner) => owner.settled()));
  }

  /** Every server's state, including entries the config could not use. */
  status(): ServerStatus[] {
    const rows: ServerStatus[] = [];
    for (const owner of this.#owners.values()) {
      const error = owner.lastError;
      rows.push({
        name: owner.name,
        state: owner.state,
        transport: owner.spec.transport,
        pid: owner.state === 'ready' ? owner.pid : undefined,
        tools: this.#catalog.tools().filter((tool) => tool.server === owner.name).length,
        restarts: owner.restarts,
        since: new Date(owner.since).toISOString(),
        lastError: error && {
          code: error.code,
          message: error.message,
          ...(error instanceof ServerError && {
            phase: error.phase,
            exitCode: error.exitCode,
            signal: error.signal,
          }),
        },
        stderrTail: owner.stderrTail(),
      });
    }
    for (const entry of this.#invalid.values()) {
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
      throw new UnknownNameError(
        'tool',
        name,
        suggestNames(
          name,
          this.#catalog.tools().map((t) => t.name),
        ),
      );
    }
    const problems = argumentsValidator(tool.inputSchema)(args);
    if (problems.length > 0) throw new InvalidArgumentsError(name, problems);
    return this.#owner(tool.server).callTool(
      { name: tool.tool, arguments: args, ...(options.meta && { _meta: options.meta }) },
      options,
    );
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
    return this.#owner(prompt.server).request(
      (connection, timeout) =>
        connection.client.getPrompt(
          { name: prompt.prompt, arguments: args, ...(options.meta && { _meta: options.meta }) },
          requestOptions(options, timeout),
        ),
      options,
    );
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
    if (!server || !this.#owners.has(server)) {
      const known = [...this.#catalog.resources().map((r) => r.uri), ...this.#owners.keys()];
      throw new UnknownNameError(
        'resource',
        options.server ?? uri,
        suggestNames(options.server ?? uri, known),
      );
    }
    return this.#owner(server).request(
      (connection, timeout) =>
        connection.client.readResource(
          { uri, ...(options.meta && { _meta: options.meta }) },
          requestOptions(options, timeout),
        ),
      options,
    );
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

  /** Restarts one server: reopens a failed one, or recycles a running one. */
  async restart(name: string): Promise<void> {
    this.#assertOpen();
    await this.#owner(name).restart();
  }

  /** Stops every server and waits until every process is gone. Idempotent; concurrent calls share one close. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([...this.#owners.values()].map((owner) => owner.close('host closed'))).then(
      () => undefined,
    );
    return this.#closing;
  }

  /** `await using host = await createHost(…)` closes the host at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closing) throw new HostClosedError();
  }

  #owner(name: string): SessionOwner {
    const owner = this.#owners.get(name);
    if (!owner) throw new UnknownNameError('resource', name, suggestNames(name, this.#owners.keys()));
    return owner;
  }

  /** If some server is still starting, waits for startup to settle and looks again. */
  async #lookupAfterStartup<T>(find: () => T | undefined): Promise<T | undefined> {
    const starting = [...this.#owners.values()].some((o) => o.state === 'starting');
    if (!starting) return undefined;
    await this.ready();
    return find();
  }
}

function requestOptions(options: CallOptions, timeout: number) {
  return { signal: options.signal, timeout, onprogress: options.onProgress };
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
  const host = new Host(loaded.servers, loaded.invalid, options);
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
  return host;
}
