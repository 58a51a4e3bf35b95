/**
 * Builds the runtime for a server's session scope.
 */
import type { ServerSpec } from '../config/types.js';
import { KeyedRuntime } from './keyed.js';
import { PerCallRuntime } from './per-call.js';
import type { RuntimeDeps, ServerRuntime } from './runtime.js';
import { SharedRuntime } from './shared.js';

/** The runtime for `spec`'s `session.scope`. */
export function createRuntime(spec: ServerSpec, deps: RuntimeDeps): ServerRuntime {
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
  ServerRuntime,
  RuntimeObserver,
  SessionInfo,
  ScopedRequestOptions,
  SharedSession,
} from './runtime.js';
export { requestOnCurrent } from './dispatch.js';
export { isNotSent, notSentError, type NotSentError } from '../session/owner.js';
