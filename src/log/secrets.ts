/**
 * What berth keeps out of everything it prints: the values of secret-looking keys (`redact`, by key:
 * `token`, `authorization`, `apiKey`, …) and every secret value berth knows wherever it appears in a
 * text (`SecretValues`, by value: the env and header values of the config's entries, their bearer
 * tokens and client secrets, the gateway's tokens). It owns the list of known values and the rule of
 * which are worth hiding: values shorter than {@link MIN_SECRET_LENGTH} are not matched by value (they
 * would hide every `1` or `on` in a log) and stay hidden only where a key says they are secret.
 */
import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../config/load.js';

/** Keys whose values are secrets whatever they hold (matched anywhere in the key, case-insensitive). */
export const SECRET_KEYS =
  /pass(word)?|secret|token|authorization|api[-_]?key|cookie|credential|private[-_]?key/i;

/** What a hidden value is replaced by. */
export const REDACTED = '[redacted]';

/** Whether a key names a secret: one of {@link SECRET_KEYS}, or of `extra`. */
export function isSecretKey(key: string, extra: readonly RegExp[] = []): boolean {
  return SECRET_KEYS.test(key) || extra.some((re) => re.test(key));
}

/** A deep copy of `value` with the values of secret-looking keys replaced by `[redacted]`. */
export function redact(value: unknown, extra: readonly RegExp[] = []): unknown {
  if (Array.isArray(value)) return value.map((item) => redact(item, extra));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      isSecretKey(key, extra) ? [key, REDACTED] : [key, redact(inner, extra)],
    ),
  );
}

/**
 * The shortest value hidden wherever it appears. Shorter values (`1`, `true`, `debug`) are too
 * likely to be part of ordinary words and numbers; gateway tokens must have 16 characters anyway.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * The secret values berth knows, and `scrub`, which hides each of them in a text: as written, as it
 * reads inside a JSON string (escaped once or twice) and URL-encoded, each line of a multi-line value
 * and each word of a header value (`Bearer <token>`). A line that starts with the end of a secret, or
 * ends with its start (what a bounded stderr tail or a cut line leaves of one), has that part hidden
 * too, when at least {@link MIN_SECRET_LENGTH} characters of it are there. Values are only added,
 * never removed: a secret once known stays hidden for the life of the process.
 */
export class SecretValues {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;

  /** How many distinct forms are hidden. */
  get size(): number {
    return this.#values.size;
  }

  /** Adds secret values; those shorter than {@link MIN_SECRET_LENGTH} are ignored. */
  add(values: Iterable<string>): this {
    const before = this.#values.size;
    for (const value of values) {
      for (const part of [value, ...value.split(/\r?\n/), ...value.split(/\s+/)]) {
        const trimmed = part.trim();
        if (trimmed.length < MIN_SECRET_LENGTH) continue;
        for (const form of forms(trimmed)) this.#values.add(form);
      }
    }
    if (this.#values.size !== before) this.#pattern = undefined;
    return this;
  }

  /** `text` with every known secret value (and the cut ends of one at a line's edges) replaced by `[redacted]`. */
  scrub(text: string): string {
    if (this.#values.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    this.#pattern ??= new RegExp(
      [...this.#values]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'g',
    );
    const whole = text.replace(this.#pattern, REDACTED);
    return whole
      .split('\n')
      .map((line) => this.#scrubEdges(line))
      .join('\n');
  }

  /**
   * A copy of `value` with every string in it scrubbed (object keys and other values kept): for a
   * structure printed whole, such as `status()` rows, each string scrubbed on its own so the cut ends
   * of a secret at its lines' edges are found as in a log field.
   */
  scrubAll<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.scrubAll(item)) as T;
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]: [string, unknown]) => [key, this.scrubAll(inner)]),
    ) as T;
  }

  /** Hides a secret's end at the line's start (after indentation and `|` marks) and its start at the line's end. */
  #scrubEdges(line: string): string {
    const lead = /^[\s|]*/.exec(line)![0].length;
    const trail = line.length - line.trimEnd().length;
    let start = lead;
    let end = line.length - trail;
    for (const value of this.#values) {
      // The longest proper suffix of `value` the line starts with.
      for (let n = Math.min(value.length - 1, end - start); n >= MIN_SECRET_LENGTH; n--) {
        if (line.startsWith(value.slice(value.length - n), start)) {
          start += n;
          break;
        }
      }
      // The longest proper prefix of `value` the line ends with.
      for (let n = Math.min(value.length - 1, end - start); n >= MIN_SECRET_LENGTH; n--) {
        if (line.endsWith(value.slice(0, n), end)) {
          end -= n;
          break;
        }
      }
    }
    if (start === lead && end === line.length - trail) return line;
    return (
      line.slice(0, lead) +
      (start > lead ? REDACTED : '') +
      line.slice(start, Math.max(start, end)) +
      (end < line.length - trail ? REDACTED : '') +
      line.slice(line.length - trail)
    );
  }
}

/** A value as written, inside a JSON string (once and twice escaped), and URL-encoded. */
function forms(value: string): string[] {
  const once = JSON.stringify(value).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [value, once, twice, encodeURIComponent(value)];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The secret values of a loaded config: every env value and header value of its entries, their
 * bearer tokens, OAuth client ids' secrets, the gateway's tokens, and its cluster's secret and
 * Redis password. (Values under
 * {@link MIN_SECRET_LENGTH} characters are dropped by `SecretValues.add`.)
 */
export function configSecrets(loaded: Pick<LoadedConfig, 'servers' | 'gateway'>): string[] {
  const values: string[] = [];
  for (const server of loaded.servers) {
    if (server.transport === 'stdio') values.push(...Object.values(server.env));
    else {
      values.push(...Object.values(server.headers));
      const auth = server.auth;
      if (auth?.type === 'bearer') values.push(auth.token);
      if (auth && 'clientSecret' in auth && auth.clientSecret) values.push(auth.clientSecret);
    }
  }
  const auth = loaded.gateway.auth;
  if (auth?.type === 'tokens') values.push(...Object.values(auth.tokens));
  const cluster = loaded.gateway.cluster;
  if (cluster) {
    values.push(cluster.secret);
    // The Redis URL's password, and the whole URL (which carries it).
    const password = URL.canParse(cluster.redis) ? new URL(cluster.redis).password : '';
    if (password) values.push(decodeURIComponent(password), cluster.redis);
  }
  return values;
}

/**
 * How a session key is named in the log: a short hash, the same wherever the key appears (the
 * gateway's client session lines, the host's session lines, request lines), that does not show what
 * the key holds (a gateway client's session id, which with its token resumes the session, or a
 * user id).
 */
export function keyLogId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}
