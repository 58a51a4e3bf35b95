/**
 * The gateway's core, whatever the transport: what each principal sees of the host's catalog under
 * the served names, the conversations that own clients' keyed sessions, the relay of server-to-client
 * requests, resource subscriptions shared by clients, and the list-change signal every connected
 * client hears. Transports (HTTP, stdio) build one SDK server per client from it (`client-server.ts`).
 */
import type { Logger } from '../log/logger.js';
import { randomBytes } from 'node:crypto';
import { createRequestStateCodec, type RequestStateCodec } from '@modelcontextprotocol/server';
import type { GatewaySpec } from '../config/gateway.js';
import type { CatalogPrompt, CatalogTool } from '../catalog/catalog.js';
import { wildcardMatcher } from '../catalog/wildcard.js';
import { serverNamePart } from '../catalog/naming.js';
import type { HostEvent } from '../host/events.js';
import type { Host } from '../host/host.js';
import { Conversations } from './conversations.js';
import { describeCollision, serveNames, type ServedNames } from './names.js';
import { Relay } from './relay.js';

/** Who is calling: a principal name and the scopes its credentials hold. */
export interface Caller {
  readonly name: string;
  readonly scopes: readonly string[];
}

/** A server's log message as relayed to clients: the logger is the server's own, else its name. */
export interface ServerLog {
  /** The server that logged it. */
  readonly server: string;
  readonly level: string;
  readonly logger: string;
  readonly data: unknown;
}

/**
 * One call the gateway handled (a tool call, a prompt get, a resource read), as the status page
 * records it: who, what, how long, how it ended. Never its arguments or its result.
 */
export interface CallRecord {
  /** When it started (ms since epoch). */
  readonly at: number;
  readonly principal: string;
  readonly method: 'tools/call' | 'prompts/get' | 'resources/read';
  /**
   * What was called: the served tool or prompt name; for a resource, its URI when the server lists
   * it, else the URI template it matched (the parameters a client filled in are its data).
   */
  readonly target: string;
  /** The server that served it (`''` for a resource URI no server lists or matches). */
  readonly server: string;
  readonly durationMs: number;
  /** `ok`, `tool_error` (a result with `isError`), `input_required` (a round for the client), or `error`. */
  readonly outcome: 'ok' | 'tool_error' | 'input_required' | 'error';
  /** The error's code when it failed: berth's (`SERVER_CRASHED`, …) or the JSON-RPC one. */
  readonly code?: string;
}

/** What changed in the served lists. */
export type ListChange = 'tools' | 'prompts' | 'resources';

/** A tool under its served name. */
export interface ServedTool {
  readonly served: string;
  readonly tool: CatalogTool;
}

/** A prompt under its served name. */
export interface ServedPrompt {
  readonly served: string;
  readonly prompt: CatalogPrompt;
}

/**
 * The state `requestState` carries between rounds of a call, sealed (HMAC) and bound to the caller
 * and method: the relayed call still running (a 2025 server's request), or the upstream server's own
 * state (a 2026 server's `input_required`, passed on); a nonce makes every round's state unique.
 */
export interface RoundState {
  /** The relayed call's id. */
  call?: string;
  /** The upstream server's `requestState`, to send back with the client's answers. */
  upstream?: string;
  /** What the round belongs to (a served tool or prompt name, a resource URI). */
  target: string;
  nonce: string;
}

/** Options beyond the `gateway` section. */
export interface GatewayCoreOptions {
  /** Decides whether a caller may see a catalog tool beyond the principal filters (OAuth tool scopes). */
  toolAllowed?: (caller: Caller, catalogName: string) => boolean;
  /** How long an upstream server's request may wait for the client's answer (default 10 minutes). */
  askTimeoutMs?: number;
  /** Reports what the gateway notices (collisions that appeared at runtime). */
  warn?: (message: string) => void;
  /**
   * The relay the host's sampling and elicitation handlers feed (see `relayHandlers`); without it,
   * the gateway has its own and upstream requests reach clients only if the host was built with it.
   */
  relay?: Relay;
  /** Where client sessions opening and closing are logged (see `GatewayOptions.logger`). */
  logger?: Logger;
  /** In a cluster: the replica owning a conversation and its fencing token, while this replica serves it. */
  ownerOf?: (key: string) => { replica: string; fence: number } | undefined;
}

/** The transport-neutral gateway over one host. */
export class Gateway {
  readonly host: Host;
  readonly spec: GatewaySpec;
  readonly conversations: Conversations;
  readonly relay: Relay;
  /** Seals `requestState` between rounds of a relayed call; bound to the caller. */
  readonly roundState: RequestStateCodec<RoundState>;
  readonly #options: GatewayCoreOptions;
  readonly #listeners = new Set<(change: ListChange) => void>();
  readonly #principalFilters = new Map<string, (name: string) => boolean>();
  #tools: ServedNames<CatalogTool & { own: string }> | undefined;
  #prompts: ServedNames<CatalogPrompt & { own: string }> | undefined;
  #fingerprints: Record<ListChange, string> = { tools: '', prompts: '', resources: '' };
  /** Resource URI → how many client subscriptions; the upstream subscription lives while any do. */
  readonly #subscriptions = new Map<string, number>();
  readonly #resourceListeners = new Set<(uri: string) => void>();
  readonly #logListeners = new Set<(log: ServerLog) => void>();
  readonly #callListeners = new Set<(call: CallRecord) => void>();
  /** server → conversation key → requests in flight (for attributing upstream requests). */
  readonly #busy = new Map<string, Map<string, number>>();
  #warned = new Set<string>();
  /** The shared-scope servers (whose logs every client may see), until the set of servers changes. */
  #shared: ReadonlySet<string> | undefined;
  #closed = false;

  /** In a cluster, this replica and its fencing token for conversation `key` (undefined otherwise). */
  ownerOf(key: string): { replica: string; fence: number } | undefined {
    return this.#options.ownerOf?.(key);
  }

  constructor(host: Host, spec: GatewaySpec, options: GatewayCoreOptions = {}) {
    this.host = host;
    this.spec = spec;
    this.#options = options;
    this.conversations = new Conversations(host, spec.limits, options.logger);
    this.relay = options.relay ?? new Relay(options.askTimeoutMs ?? 600_000);
    this.relay.watchBusy(
      (server) =>
        new Set([...(this.#busy.get(server)?.keys() ?? []), ...(this.#busy.get(ANY_SERVER)?.keys() ?? [])]),
    );
    this.roundState = createRequestStateCodec<RoundState>({
      key: randomBytes(32),
      ttlSeconds: Math.ceil((options.askTimeoutMs ?? 600_000) / 1000),
      bind: (ctx) => `${ctx.mcpReq.method}\0${String(ctx.http?.authInfo?.clientId ?? '')}`,
    });
    for (const [name, { tools }] of Object.entries(spec.principals)) {
      const allowed = wildcardMatcher(tools.allow);
      const denied = wildcardMatcher(tools.deny);
      this.#principalFilters.set(
        name,
        (tool) => (tools.allow.length === 0 || allowed(tool)) && !denied(tool),
      );
    }
    this.#fingerprints = this.#fingerprint();
  }

  /** Collisions the prefix mode cannot resolve, as sentences; `berth serve` refuses to start with any. */
  collisions(): string[] {
    return [
      ...this.#servedTools().collisions.map((c) => describeCollision('tool', c, this.spec.prefix)),
      ...this.#servedPrompts().collisions.map((c) => describeCollision('prompt', c, this.spec.prefix)),
    ];
  }

  /** The tools a caller sees, under their served names. */
  tools(caller: Caller): ServedTool[] {
    const out: ServedTool[] = [];
    for (const [served, tool] of this.#servedTools().byServed) {
      if (this.#mayUse(caller, tool.name)) out.push({ served, tool });
    }
    return out;
  }

  /** The catalog tool behind a served name, if the caller may use it. */
  tool(caller: Caller, served: string): CatalogTool | undefined {
    const tool = this.#servedTools().byServed.get(served);
    return tool && this.#mayUse(caller, tool.name) ? tool : undefined;
  }

  /**
   * Why a served name is not a tool: plainly unknown, or (for a name of a server that is not ready)
   * that server's state and last error, so a client calling a tool it saw a moment ago learns why.
   */
  whyUnknown(caller: Caller, served: string): string {
    // A tool this caller may not use is unknown, whatever its server's state.
    if (!this.#mayUse(caller, served)) return `Unknown tool: ${served}`;
    const server = this.host
      .status()
      .find((row) => served.startsWith(`${serverNamePart(row.name)}__`) || served === row.name);
    if (!server || server.state === 'ready') return `Unknown tool: ${served}`;
    const reason = server.lastError ? `: ${server.lastError.message}` : '';
    return `Unknown tool: ${served}; server "${server.name}" is ${server.state}${reason}`;
  }

  /** The prompts a caller sees, under their served names. */
  prompts(): ServedPrompt[] {
    return [...this.#servedPrompts().byServed].map(([served, prompt]) => ({ served, prompt }));
  }

  /** The catalog prompt behind a served name. */
  prompt(served: string): CatalogPrompt | undefined {
    return this.#servedPrompts().byServed.get(served);
  }

  /**
   * Runs a request of a conversation that reaches `server` (or, when berth cannot tell before the
   * host resolves it, any server): while it runs, an upstream request from that server cannot be
   * told apart from one this conversation caused.
   */
  async busy<T>(server: string | undefined, key: string, work: () => Promise<T>): Promise<T> {
    const name = server ?? ANY_SERVER;
    let counts = this.#busy.get(name);
    if (!counts) this.#busy.set(name, (counts = new Map<string, number>()));
    counts.set(key, (counts.get(key) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (counts.get(key) ?? 1) - 1;
      if (left > 0) counts.set(key, left);
      else counts.delete(key);
      if (counts.size === 0) this.#busy.delete(name);
    }
  }

  /** Hears every change of the served lists; returns the unsubscribe. */
  onListChanged(listener: (change: ListChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Each served list as it is now, as comparable text (what a list change is judged by). */
  listFingerprints(): Readonly<Record<ListChange, string>> {
    return { ...this.#fingerprints };
  }

  /**
   * Tells every connected client that `change` may differ, though this gateway's own list did not
   * change: another replica's did, and a listing may be answered there.
   */
  announceListChanged(change: ListChange): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) listener(change);
  }

  /** Hears updates of subscribed resources; returns the unsubscribe. */
  onResourceUpdated(listener: (uri: string) => void): () => void {
    this.#resourceListeners.add(listener);
    return () => this.#resourceListeners.delete(listener);
  }

  /**
   * Hears log messages of shared-scope servers (every client may see those). A keyed or per-call
   * server's log could carry one client's data, and the host cannot say whose: those are not relayed.
   */
  onLog(listener: (log: ServerLog) => void): () => void {
    this.#logListeners.add(listener);
    return () => this.#logListeners.delete(listener);
  }

  /** Hears every call the gateway handled, once it ended (the status page); returns the unsubscribe. */
  onCall(listener: (call: CallRecord) => void): () => void {
    this.#callListeners.add(listener);
    return () => this.#callListeners.delete(listener);
  }

  /** Reports a call that ended to the `onCall` listeners. */
  recordCall(call: CallRecord): void {
    for (const listener of this.#callListeners) listener(call);
  }

  /** A client subscribes to a resource: the first subscription subscribes upstream. */
  async subscribe(uri: string): Promise<void> {
    const count = this.#subscriptions.get(uri) ?? 0;
    this.#subscriptions.set(uri, count + 1);
    if (count > 0) return;
    try {
      await this.host.subscribeResource(uri);
    } catch (error) {
      this.#release(uri);
      throw error;
    }
  }

  /** A client ends a subscription (or its session ends): the last one unsubscribes upstream. */
  async unsubscribe(uri: string): Promise<void> {
    if (this.#release(uri)) await this.host.unsubscribeResource(uri).catch(() => undefined);
  }

  #release(uri: string): boolean {
    const count = this.#subscriptions.get(uri) ?? 0;
    if (count <= 1) this.#subscriptions.delete(uri);
    else this.#subscriptions.set(uri, count - 1);
    return count === 1;
  }

  /** Feeds a host event in: list changes and resource updates reach the clients. */
  handleHostEvent(event: HostEvent): void {
    if (this.#closed) return;
    if (event.type === 'resource:updated') {
      if (this.#subscriptions.has(event.uri))
        for (const listener of this.#resourceListeners) listener(event.uri);
      return;
    }
    if (event.type === 'server:log') {
      if (!this.#sharedServers().has(event.server)) return;
      const log: ServerLog = {
        server: event.server,
        level: event.level,
        data: event.data,
        logger: event.logger ?? event.server,
      };
      for (const listener of this.#logListeners) listener(log);
      return;
    }
    if (!LIST_EVENTS.has(event.type)) return;
    this.#shared = undefined;
    this.#tools = undefined;
    this.#prompts = undefined;
    const next = this.#fingerprint();
    for (const change of ['tools', 'prompts', 'resources'] as const) {
      if (next[change] !== this.#fingerprints[change])
        for (const listener of this.#listeners) listener(change);
    }
    this.#fingerprints = next;
    for (const collision of this.collisions()) {
      if (this.#warned.has(collision)) continue;
      this.#warned.add(collision);
      this.#options.warn?.(`${collision}; neither is served until that is fixed`);
    }
  }

  /** Ends every conversation (their keyed sessions close after their calls) and fails waiting requests. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.relay.close();
    this.#listeners.clear();
    this.#resourceListeners.clear();
    this.#logListeners.clear();
    this.#callListeners.clear();
    await this.conversations.close();
  }

  /** Names of the shared-scope servers, read from the host once per change of its servers, not per log. */
  #sharedServers(): ReadonlySet<string> {
    return (this.#shared ??= new Set(
      this.host
        .status()
        .filter((row) => row.scope === 'shared')
        .map((row) => row.name),
    ));
  }

  #mayUse(caller: Caller, catalogName: string): boolean {
    const filter = this.#principalFilters.get(caller.name);
    if (filter && !filter(catalogName)) return false;
    return this.#options.toolAllowed?.(caller, catalogName) ?? true;
  }

  #servedTools(): ServedNames<CatalogTool & { own: string }> {
    return (this.#tools ??= serveNames(
      this.host.tools().map((tool) => ({ ...tool, own: tool.tool })),
      this.spec.prefix,
    ));
  }

  #servedPrompts(): ServedNames<CatalogPrompt & { own: string }> {
    return (this.#prompts ??= serveNames(
      this.host.prompts().map((prompt) => ({ ...prompt, own: prompt.prompt })),
      this.spec.prefix,
    ));
  }

  #fingerprint(): Record<ListChange, string> {
    return {
      tools: JSON.stringify(
        [...this.#servedTools().byServed].map(([name, t]) => [name, t.description, t.inputSchema]),
      ),
      prompts: JSON.stringify(
        [...this.#servedPrompts().byServed].map(([name, p]) => [name, p.description, p.arguments]),
      ),
      resources: JSON.stringify([
        this.host.resources().map((r) => r.uri),
        this.host.resourceTemplates().map((t) => t.uriTemplate),
      ]),
    };
  }
}

/** The busy-map entry of requests whose server is not known before the host resolves them. */
const ANY_SERVER = '\0any';

/** Host events after which the served lists may differ. */
const LIST_EVENTS = new Set<HostEvent['type']>([
  'server:state',
  'server:added',
  'server:removed',
  'server:replaced',
  'tools:changed',
  'catalog:changed',
  'config:reloaded',
]);
