/**
 * What the status page must never serve: the secret values of the config (server `env` values,
 * remote `headers` and credentials, the gateway's own tokens) wherever they appear in text a
 * server controls (its stderr, its errors), and, as a safety net, the values of things that look
 * like credentials (`Bearer …`, `token=…`, `"password": "…"`). It owns only that text rule.
 */
import type { GatewaySpec } from '../../config/gateway.js';
import type { ServerSpec } from '../../config/types.js';

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Config values shorter than this are not redacted: a value like `1` or `true` would blank out
 * every occurrence of itself in a stderr tail, and is no secret.
 */
export const MIN_SECRET_LENGTH = 6;

/** `Bearer <token>` / `Basic <credentials>`: the scheme stays, the credentials go. */
const AUTH_SCHEME = /\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*/gi;
/** `key: value`, `key=value`, `"key": "value"` for credential-like keys: the key stays, the value goes. */
const SECRET_ASSIGNMENT =
  /\b((?:authorization|api[-_]?key|access[-_]?token|refresh[-_]?token|token|secret|password|passwd|client[-_]?secret|credentials?)[\w-]*["']?\s*[:=]\s*["']?)(?!(?:bearer|basic)\s|\[redacted\])([^\s"',;&]+)/gi;

/** The secret values of a loaded config: env values, remote headers and credentials, gateway tokens. */
export function configSecrets(servers: readonly ServerSpec[], gateway?: GatewaySpec): string[] {
  const out: string[] = [];
  for (const spec of servers) {
    if (spec.transport === 'stdio') out.push(...Object.values(spec.env));
    else {
      out.push(...Object.values(spec.headers));
      const auth = spec.auth;
      if (auth?.type === 'bearer') out.push(auth.token);
      if (auth && 'clientSecret' in auth && auth.clientSecret !== undefined) out.push(auth.clientSecret);
    }
  }
  if (gateway?.auth?.type === 'tokens') out.push(...Object.values(gateway.auth.tokens));
  return out;
}

/** Redacts known secret values (and credential-looking values) from text. */
export class Redactor {
  #values: string[] = [];
  #source: readonly string[] = [];

  /** Uses `values` from now on (longest first, so a secret containing another goes whole). */
  update(values: Iterable<string>): void {
    const next = [...new Set(values)].filter((v) => v.length >= MIN_SECRET_LENGTH);
    if (next.length === this.#source.length && next.every((v, i) => v === this.#source[i])) return;
    this.#source = next;
    this.#values = [...next].sort((a, b) => b.length - a.length);
  }

  /** `text` with every secret value and credential-looking value replaced by {@link REDACTED}. */
  text(text: string): string {
    let out = text;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out.replace(AUTH_SCHEME, `$1$2${REDACTED}`).replace(SECRET_ASSIGNMENT, `$1${REDACTED}`);
  }
}
