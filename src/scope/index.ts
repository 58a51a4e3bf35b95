/**
 * Builds the runtime for a server's session scope.
 */
import type { ServerSpec } from '../config/types.js';
import type { ListingCache } from '../cache/listing-cache.js';
import { KeyedRuntime } from './keyed.js';
import { LazyRuntime } from './lazy.js';
import { PerCallRuntime } from './per-call.js';
import type { RuntimeDeps, ServerRuntime } from './runtime.js';
import { SharedRuntime } from './shared.js';

/**
 * The runtime for `spec`: its `session.scope`'s, behind a {@link LazyRuntime} when the server starts
 * `lazy` (and is enabled) and a start cache is given.
 */
export function createRuntime(spec: ServerSpec, deps: RuntimeDeps & { cache?: ListingCache }): ServerRuntime {
  const { cache, ...scoped } = deps;
  if (spec.start === 'lazy' && !spec.disabled && cache) {
    return new LazyRuntime(spec, {
      cache,
      observer: deps.observer,
      create: (observer) => scopeRuntime(spec, { ...scoped, observer }),
    });
  }
  return scopeRuntime(spec, scoped);
}

/** The runtime for `spec`'s `session.scope`. */
function scopeRuntime(spec: ServerSpec, deps: RuntimeDeps): ServerRuntime {
  switch (spec.session.scope) {
    case 'keyed':
      return new KeyedRuntime(spec, deps);
    case 'per-call':
      return new PerCallRuntime(spec, deps);
    default:
      return new SharedRuntime(spec, deps);
  }
}

export type {
  KeyedSessions,
  LazyInfo,
  ServerRuntime,
  RuntimeObserver,
  SessionInfo,
  ScopedRequestOptions,
  SharedSession,
} from './runtime.js';
export { requestOnCurrent } from './dispatch.js';
export { isNotSent, notSentError, type NotSentError } from '../session/owner.js';
