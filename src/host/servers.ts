/**
 * The set of servers a host runs: one `ServerRuntime` per configured server, the config entries it
 * could not use, and the catalog built from the runtimes' listings. It alone creates, installs and
 * closes runtimes. Changes to the set (add, remove, replace, reload) run one at a time; a replaced
 * server's new runtime is started before the old one is drained and closed, so calls land on one or
 * the other and none is lost.
 */
import { Catalog } from '../catalog/catalog.js';
import { serverNamePart } from '../catalog/naming.js';
import { suggestNames } from '../catalog/suggest.js';
import {
  INLINE_SOURCE,
  resolveConfig,
  type InvalidServer,
  type LoadedConfig,
  type LoadOptions,
} from '../config/load.js';
import type { ServerSpec } from '../config/types.js';
import { ConfigError, HostClosedError, ServerUnavailableError, UnknownNameError } from '../errors.js';
import type { RuntimeObserver, ServerRuntime } from '../scope/index.js';
import { emptyListing } from '../session/listed.js';
import type { HostEvent, ReloadSummary } from './events.js';

/** Builds a (not yet started) runtime for a spec, reporting to `observer`. */
export type RuntimeFactory = (spec: ServerSpec, observer: RuntimeObserver) => ServerRuntime;

/** The running servers, their catalog, and the one-at-a-time changes to them. */
export class ServerSet {
  /** The catalog across every installed runtime. */
  readonly catalog = new Catalog();
  readonly #servers = new Map<string, ServerRuntime>();
  readonly #invalid = new Map<string, InvalidServer>();
  /** Runtimes started by a change and not yet installed; `close()` closes them too. */
  readonly #pending = new Set<ServerRuntime>();
  /** Runtimes removed or replaced, draining their in-flight calls; `close()` cuts their drain short. */
  readonly #retiring = new Set<ServerRuntime>();
  /** Changes to the set of servers, one at a time. */
  #changes: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  readonly #factory: RuntimeFactory;
  readonly #emit: (event: HostEvent) => void;
  readonly #loadOptions: LoadOptions;

  constructor(
    loaded: LoadedConfig,
    deps: { factory: RuntimeFactory; emit: (event: HostEvent) => void; loadOptions: LoadOptions },
  ) {
    this.#factory = deps.factory;
    this.#emit = deps.emit;
    this.#loadOptions = deps.loadOptions;
    for (const entry of loaded.invalid) this.#recordInvalid(entry);
    for (const spec of loaded.servers) this.#servers.set(spec.name, this.#create(spec));
  }

  readonly #observer: RuntimeObserver = {
    onState: (runtime, previous, error) =>
      this.#emit({ type: 'server:state', server: runtime.name, state: runtime.state, previous, error }),
    onListing: (runtime, listing) => {
      if (this.#servers.get(runtime.name) === runtime) this.#updateCatalog(runtime, listing);
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

  #create(spec: ServerSpec): ServerRuntime {
    return this.#factory(spec, this.#observer);
  }

  #updateCatalog(runtime: ServerRuntime, listing: ServerRuntime['listing']): void {
    // Which tools are bad and why; not where they stand in the list (a new tool shifts them).
    const invalidKey = () =>
      JSON.stringify(this.catalog.invalidTools(runtime.name).map(({ name, problem }) => [name, problem]));
    const invalidBefore = invalidKey();
    const othersBefore = this.#otherItems(runtime.name);
    if (this.catalog.setServer(runtime.name, listing ?? emptyListing(), runtime.spec.tools)) {
      this.#emit({ type: 'tools:changed', server: runtime.name });
    }
    if (this.#otherItems(runtime.name) !== othersBefore) {
      this.#emit({ type: 'catalog:changed', server: runtime.name });
    }
    const invalid = this.catalog.invalidTools(runtime.name);
    if (invalid.length > 0 && invalidKey() !== invalidBefore) {
      this.#emit({ type: 'tools:invalid', server: runtime.name, tools: invalid });
    }
  }

  /** A server's prompts, resources and templates in the catalog, as one comparable string. */
  #otherItems(server: string): string {
    const mine = <T extends { server: string }>(items: readonly T[]) =>
      items.filter((i) => i.server === server);
    const { catalog } = this;
    return JSON.stringify([
      mine(catalog.prompts()),
      mine(catalog.resources()),
      mine(catalog.resourceTemplates()),
    ]);
  }

  #recordInvalid(entry: InvalidServer): void {
    this.#invalid.set(entry.name, entry);
    this.#emit({ type: 'server:invalid', server: entry.name, issues: entry.issues });
  }

  /** The installed runtimes. */
  runtimes(): IterableIterator<ServerRuntime> {
    return this.#servers.values();
  }

  /** Config entries that could not be used (and have no running server of their name). */
  invalid(): IterableIterator<InvalidServer> {
    return this.#invalid.values();
  }

  /** The runtime of `name`, if one is installed. */
  get(name: string): ServerRuntime | undefined {
    return this.#servers.get(name);
  }

  /** The runtime of `name`; an unknown name throws `UnknownNameError` with suggestions. */
  runtime(name: string): ServerRuntime {
    const runtime = this.#servers.get(name);
    if (!runtime) throw new UnknownNameError('server', name, suggestNames(name, this.#servers.keys()));
    return runtime;
  }

  /** Starts every installed runtime; resolves when each is ready or has failed. */
  async start(): Promise<void> {
    for (const runtime of this.#servers.values()) runtime.start();
    await this.ready();
  }

  /** Resolves when no server is starting or restarting. */
  async ready(): Promise<void> {
    await Promise.all([...this.#servers.values(), ...this.#pending].map((runtime) => runtime.settled()));
  }

  /** Whether some server is still starting (a lookup that misses may succeed after `ready()`). */
  starting(): boolean {
    return this.#pending.size > 0 || [...this.#servers.values()].some((r) => r.state === 'starting');
  }

  /**
   * For a name that is not in the catalog but starts with a server's `name__` prefix: that server's
   * unavailability (failed, unauthorized, disabled), which explains the miss better than "unknown".
   */
  downServerFor(name: string): ServerUnavailableError | undefined {
    for (const runtime of this.#servers.values()) {
      if (runtime.state === 'ready' || !name.startsWith(`${serverNamePart(runtime.name)}__`)) continue;
      return new ServerUnavailableError(runtime.name, runtime.state, { cause: runtime.lastError });
    }
    return undefined;
  }

  /** Adds a server from a config entry; an existing name or an invalid entry throws `ConfigError`. */
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
      this.runtime(name); // throws for an unknown name
      await this.#remove(name);
    });
  }

  /** Replaces a server with a new config entry (started first, then it takes over the name). */
  replace(name: string, entry: Record<string, unknown>): Promise<void> {
    return this.#change(() => this.#replace(this.#resolveEntry(name, entry)));
  }

  /**
   * Applies a newly loaded config: unchanged servers keep running untouched, changed ones are
   * replaced, removed ones stop, added ones start. `load` runs inside the change queue.
   */
  reload(load: () => Promise<LoadedConfig>): Promise<ReloadSummary> {
    return this.#change(async () => {
      const loaded = await load();
      if (this.#closing) throw new HostClosedError();
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
    // A change queued behind others runs only if the host is still open when its turn comes.
    const result = this.#changes.then(() =>
      this.#closing ? Promise.reject(new HostClosedError()) : change(),
    );
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
    if (this.#closing) throw new HostClosedError(); // never spawn for a closing host
    const runtime = this.#create(spec);
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
    this.#updateCatalog(runtime, runtime.listing);
  }

  async #add(spec: ServerSpec): Promise<void> {
    this.#install(await this.#startRuntime(spec));
    this.#emit({ type: 'server:added', server: spec.name });
  }

  async #remove(name: string): Promise<void> {
    const runtime = this.#servers.get(name);
    if (!runtime) return;
    this.#servers.delete(name);
    if (this.catalog.removeServer(name)) this.#emit({ type: 'tools:changed', server: name });
    await this.#retire(runtime, 'server removed');
    this.#emit({ type: 'server:removed', server: name });
  }

  async #replace(spec: ServerSpec): Promise<void> {
    const next = await this.#startRuntime(spec);
    const previous = this.#servers.get(spec.name);
    this.#install(next);
    this.#emit({ type: previous ? 'server:replaced' : 'server:added', server: spec.name });
    if (previous) await this.#retire(previous, 'server replaced');
  }

  /** Drains and closes a runtime that left the set; a host close meanwhile closes it at once. */
  async #retire(runtime: ServerRuntime, reason: string): Promise<void> {
    this.#retiring.add(runtime);
    try {
      await runtime.close(reason, { drain: true });
    } finally {
      this.#retiring.delete(runtime);
    }
  }

  /** Closes every runtime, installed or starting, and waits for the change in progress to see it. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const runtimes = [...this.#servers.values(), ...this.#pending, ...this.#retiring];
      await Promise.all(runtimes.map((runtime) => runtime.close('host closed')));
      await this.#changes; // a change in progress sees the close and stops
    })();
    return this.#closing;
  }
}

/** A stable text form of a spec (keys sorted), so reload compares configurations, not key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
