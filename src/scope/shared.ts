/**
 * The `shared` scope: one persistent session for every caller, requests multiplexed on it. The
 * runtime is a thin face over its single `SessionOwner`.
 */
import type { ServerSpec } from '../config/types.js';
import type { SendRequest } from '../session/handle.js';
import { SessionOwner } from '../session/owner.js';
import {
  sessionInfo,
  type RuntimeDeps,
  type ScopedRequestOptions,
  type ServerRuntime,
  type SessionInfo,
  type SharedSession,
} from './runtime.js';

/** A server whose callers all share one session. */
export class SharedRuntime implements ServerRuntime {
  readonly spec: ServerSpec;
  readonly #owner: SessionOwner;

  constructor(spec: ServerSpec, deps: RuntimeDeps) {
    this.spec = spec;
    const { observer } = deps;
    this.#owner = new SessionOwner(spec, {
      clientInfo: deps.clientInfo,
      features: deps.features,
      fetch: deps.fetch,
      authProvider: deps.authProvider,
      telemetry: deps.telemetry,
      observer: {
        onState: (_owner, previous, error) => observer.onState(this, previous, error),
        onListing: (owner) => owner.listing && observer.onListing(this, owner.listing),
        onRestartScheduled: (_owner, attempt, delayMs) => observer.onRestartScheduled(this, attempt, delayMs),
      },
    });
  }

  get name() {
    return this.spec.name;
  }
  get state() {
    return this.#owner.state;
  }
  get since() {
    return this.#owner.since;
  }
  get lastError() {
    return this.#owner.lastError;
  }
  get restarts() {
    return this.#owner.restarts;
  }
  get listing() {
    return this.#owner.listing;
  }
  get serverInfo() {
    return this.#owner.serverInfo;
  }
  stderrTail() {
    return this.#owner.stderrTail();
  }
  /** Always 0: a call waiting for the one session to be ready is in flight on it (see `sessions()`). */
  get waiting() {
    return 0;
  }

  /** The one session: its process and protocol, its subscriptions and authorizations. */
  readonly shared: SharedSession = sharedSession(() => this.#owner);

  sessions(): SessionInfo[] {
    return [sessionInfo(this.#owner)];
  }

  start(): void {
    this.#owner.start();
  }

  settled(): Promise<void> {
    return this.#owner.settled();
  }

  request<T>(send: SendRequest<T>, options: ScopedRequestOptions): Promise<T> {
    return this.#owner.request(send, options);
  }

  notifyRootsChanged(): void {
    this.#owner.notifyRootsChanged();
  }

  restart(): Promise<void> {
    return this.#owner.restart();
  }

  close(reason: string, options: { drain?: boolean } = {}): Promise<void> {
    return this.#owner.close(reason, { drainMs: options.drain ? this.spec.session.drainTimeoutMs : 0 });
  }
}

/** The shared-session capability of an owner (read through `owner()`, which never changes). */
function sharedSession(owner: () => SessionOwner): SharedSession {
  return {
    get pid() {
      return owner().state === 'ready' ? owner().pid : undefined;
    },
    get protocolVersion() {
      return owner().protocolVersion;
    },
    get protocolEra() {
      return owner().protocolEra;
    },
    get serverInfo() {
      return owner().serverInfo;
    },
    get openMs() {
      return owner().openMs;
    },
    subscribe: (uri, options) => owner().subscribe(uri, options),
    unsubscribe: (uri, options) => owner().unsubscribe(uri, options),
    finishAuthorization: (callback) => owner().finishAuthorization(callback),
  };
}
