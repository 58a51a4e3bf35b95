/**
 * A per-tool policy: allow, deny, or require approval for calls by catalog name (`*` wildcards).
 * The first matching rule decides; calls no rule matches use `fallback` (default `allow`). A denied
 * call, or one whose approval is refused, fails with `PolicyDeniedError` before anything is sent.
 */
import { wildcardMatcher } from '../catalog/wildcard.js';
import { PolicyDeniedError } from '../errors.js';
import type { Middleware, RequestContext } from '../host/middleware.js';

/** What a rule does with a matching call. */
export type PolicyDecision = 'allow' | 'deny' | 'approve';

/** Options for `toolPolicy`. */
export interface ToolPolicyOptions {
  /** Pattern (catalog name, `*` wildcards) → decision. Checked in insertion order. */
  rules: Record<string, PolicyDecision>;
  /** For `approve` rules: resolve true to let the call through. Without it, `approve` denies. */
  approve?: (ctx: RequestContext) => boolean | Promise<boolean>;
  /** For calls no rule matches. Default `allow`. */
  fallback?: PolicyDecision;
}

/** Builds the policy interceptor. It only looks at `tools/call`. */
export function toolPolicy(options: ToolPolicyOptions): Middleware {
  const rules = Object.entries(options.rules).map(([pattern, decision]) => ({
    matches: wildcardMatcher([pattern]),
    decision,
  }));
  return async function toolPolicyMiddleware(ctx, next) {
    if (ctx.method !== 'tools/call' || ctx.name === undefined) return next();
    const name = ctx.name;
    const decision = rules.find((rule) => rule.matches(name))?.decision ?? options.fallback ?? 'allow';
    if (decision === 'deny') throw new PolicyDeniedError(name, 'denied by policy');
    if (decision === 'approve' && !(await options.approve?.(ctx))) {
      throw new PolicyDeniedError(
        name,
        options.approve ? 'approval refused' : 'needs approval, and no approver is set',
      );
    }
    return next();
  };
}
