/**
 * The `gateway` section of a config file (and the options of `serve()` in code): where `berth serve`
 * listens, who may use it, what each principal sees, and its limits. It owns the section's schema,
 * its defaults and its validation into a resolved {@link GatewaySpec}; the gateway itself lives in
 * `src/gateway/`. Strings may use `${VAR}` expansion as elsewhere in the file (tokens usually do).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { MAX_TIMER_MS, durationRange, showValue } from '../util/duration.js';
import { jsonKind, jsonPath } from '../util/json.js';
import { isHttpUrl } from '../util/url.js';
import { expandString } from './expand.js';
import type { ToolFilter } from './types.js';

/** How served tool and prompt names carry their server: always, only where two servers collide, never. */
export type PrefixMode = 'always' | 'collision' | 'never';

/** Bearer tokens: each principal's name and its token. */
export interface TokenAuthSpec {
  type: 'tokens';
  /** principal name → token. */
  tokens: Record<string, string>;
}

/**
 * OAuth 2.1 resource-server mode: access tokens are JWTs from `issuer`, verified against its JWKS
 * with the audience and expiry checked; the principal is the token's `sub`.
 */
export interface OAuthAuthSpec {
  type: 'oauth';
  /** The authorization server's issuer identifier (the JWT `iss`). */
  issuer: string;
  /** The audience tokens must carry (the JWT `aud`): usually the gateway's own URL. */
  audience: string;
  /** Where the issuer's signing keys are; default `<issuer>/.well-known/jwks.json`. */
  jwksUrl: string;
  /** Scopes every request needs (else 403 `insufficient_scope`). */
  requiredScopes: string[];
  /**
   * Scopes that narrow the tools a principal sees: scope → catalog-name patterns (`*` wildcards).
   * When set, a principal sees a tool only if one of its token's scopes lists it.
   */
  toolScopes?: Record<string, string[]>;
}

/** How clients prove who they are. */
export type GatewayAuthSpec = TokenAuthSpec | OAuthAuthSpec;

/** The gateway's limits. */
export interface GatewayLimits {
  /** Client sessions alive at once (2025-era sessions and 2026-era conversations); beyond it, 503. */
  maxClientSessions: number;
  /** A client session unused this long is ended (its keyed upstream sessions close), even with a GET stream open. */
  sessionIdleMs: number;
  /** Largest request body (413 beyond it). */
  maxBodyBytes: number;
  /** Requests one principal may have in flight at once (429 beyond it). */
  maxInFlightPerPrincipal: number;
  /** How long a client may take to send a request's headers. */
  headersTimeoutMs: number;
  /**
   * How long a client may take to send a whole request, body included (at least `headersTimeoutMs`):
   * a client trickling or stalling its body is cut off. Answers and event streams are not bounded.
   */
  requestTimeoutMs: number;
  /** On shutdown, how long in-flight calls may take to finish before their sessions are closed anyway. */
  drainTimeoutMs: number;
}

/** The live status page (`/status`): off unless enabled; `principals` narrows who may see it (empty: all). */
export interface GatewayStatusSpec {
  enabled: boolean;
  /** Principals that may see the page; empty means every principal the endpoint admits. */
  principals: string[];
}

/** The resolved `gateway` section. */
export interface GatewaySpec {
  /** Where to listen: host and port (0 picks a free port). */
  listen: { host: string; port: number };
  /** The MCP endpoint's path. */
  path: string;
  prefix: PrefixMode;
  auth?: GatewayAuthSpec;
  /** Allow a non-loopback `listen` with no `auth`. */
  insecure: boolean;
  /** Host header values accepted besides the loopback ones (hostnames, no port). */
  allowedHosts: string[];
  /** Origins accepted besides the loopback ones (hostnames, no port). */
  allowedOrigins: string[];
  /** Per-principal tool filters, on catalog names (`server__tool`). */
  principals: Record<string, { tools: ToolFilter }>;
  limits: GatewayLimits;
  /** The live status page. */
  status: GatewayStatusSpec;
  /**
   * Prometheus metrics (`/metrics`), when on: served on `listen` when set (its own listener, no auth:
   * scrapers rarely carry tokens), else beside the MCP endpoint behind the same auth.
   */
  metrics?: GatewayMetricsSpec;
  /** Replicas across machines, sharing one Redis (see docs/scaling.md). */
  cluster?: GatewayClusterSpec;
}

/**
 * Replicas of one gateway across processes or machines (see docs/scaling.md): each keyed session has
 * one owner replica at a time, decided by leases in Redis; a request landing elsewhere is forwarded.
 */
export interface GatewayClusterSpec {
  /** The Redis server's `redis://` (or `rediss://`) URL. */
  redis: string;
  /** Shared by every replica: signs the requests they forward to each other. */
  secret: string;
  /** Where the other replicas reach this one's MCP endpoint; default the address it listens on. */
  advertise?: string;
  /** Prefix of every Redis key of this cluster (several clusters can share one Redis). */
  prefix: string;
  /** How long a lease lives unrenewed: the bound on how long a dead replica's sessions stay unreachable. */
  leaseMs: number;
}

/** Where the gateway serves its Prometheus metrics. */
export interface GatewayMetricsSpec {
  /** The path (default `/metrics`). */
  path: string;
  /** A listener of its own, serving only the metrics. */
  listen?: { host: string; port: number };
}

/** The defaults of the `gateway` section. */
export const GATEWAY_DEFAULTS: GatewaySpec = {
  listen: { host: '127.0.0.1', port: 7077 },
  path: '/mcp',
  prefix: 'always',
  insecure: false,
  allowedHosts: [],
  allowedOrigins: [],
  principals: {},
  limits: {
    maxClientSessions: 1000,
    sessionIdleMs: 30 * 60_000,
    maxBodyBytes: 4 * 1024 * 1024,
    maxInFlightPerPrincipal: 64,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 60_000,
    drainTimeoutMs: 10_000,
  },
  status: { enabled: false, principals: [] },
};

/** The largest request body the gateway can be told to accept. */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });
const patterns = z.array(nonEmpty);

function count(what: string, max: number) {
  const error = (issue: { input?: unknown }) =>
    `expected a whole number of ${what} from 1 to ${max}, got ${showValue(issue.input)}`;
  return z.int({ error }).min(1, { error }).max(max, { error });
}

function duration() {
  const error = (issue: { input?: unknown }) => `expected ${durationRange(1)}, got ${showValue(issue.input)}`;
  return z.int({ error }).min(1, { error }).max(MAX_TIMER_MS, { error });
}

/** The `gateway` section as written. */
export const gatewaySchema = z.strictObject({
  listen: nonEmpty.optional(),
  path: z
    .string()
    .regex(/^\/[\w\-./~]*$/, { error: 'expected a path starting with "/", e.g. "/mcp"' })
    .optional(),
  prefix: z.enum(['always', 'collision', 'never']).optional(),
  auth: z
    .union([
      z.strictObject({ tokens: z.record(nonEmpty, nonEmpty) }),
      z.strictObject({
        oauth: z.strictObject({
          issuer: nonEmpty,
          audience: nonEmpty,
          jwksUrl: nonEmpty.optional(),
          requiredScopes: patterns.optional(),
          toolScopes: z.record(nonEmpty, patterns).optional(),
        }),
      }),
    ])
    .optional(),
  insecure: z.boolean().optional(),
  allowedHosts: patterns.optional(),
  allowedOrigins: patterns.optional(),
  principals: z
    .record(
      nonEmpty,
      z.strictObject({
        tools: z.strictObject({ allow: patterns.optional(), deny: patterns.optional() }).optional(),
      }),
    )
    .optional(),
  metrics: z
    .union([
      z.boolean(),
      z.strictObject({
        path: z
          .string()
          .regex(/^\/[\w\-./~]*$/, { error: 'expected a path starting with "/", e.g. "/metrics"' })
          .optional(),
        listen: nonEmpty.optional(),
      }),
    ])
    .optional(),
  limits: z
    .strictObject({
      maxClientSessions: count('sessions', 1_000_000).optional(),
      sessionIdleMs: duration().optional(),
      maxBodyBytes: count('bytes', MAX_BODY_BYTES).optional(),
      maxInFlightPerPrincipal: count('requests', 1_000_000).optional(),
      headersTimeoutMs: duration().optional(),
      requestTimeoutMs: duration().optional(),
      drainTimeoutMs: duration().optional(),
    })
    .optional(),
  status: z.union([z.boolean(), z.strictObject({ principals: patterns.optional() })]).optional(),
  cluster: z
    .strictObject({
      redis: nonEmpty,
      secret: nonEmpty,
      advertise: nonEmpty.optional(),
      prefix: z
        .string()
        .regex(/^[\w.:-]{1,64}$/, { error: 'expected 1 to 64 letters, digits, ".", ":", "-" or "_"' })
        .optional(),
      leaseMs: z
        .int({
          error: (issue) => `expected a whole number of ms from 300 to 600000, got ${showValue(issue.input)}`,
        })
        .min(300, {
          error: (issue) => `expected a whole number of ms from 300 to 600000, got ${showValue(issue.input)}`,
        })
        .max(600_000, {
          error: (issue) => `expected a whole number of ms from 300 to 600000, got ${showValue(issue.input)}`,
        })
        .optional(),
    })
    .optional(),
});

/** The `gateway` section (or `serve()`'s options) as written: every field optional. */
export type GatewayConfig = z.input<typeof gatewaySchema>;

/** Where a gateway section came from and what to expand `${VAR}` with. */
export interface GatewaySource {
  /** The config file, or `<inline>`. */
  file: string;
  /** Variables for `${VAR}`; without it, strings are taken as written. */
  env?: Record<string, string | undefined>;
  /** The value of `${workspaceFolder}`. */
  workspaceFolder?: string;
}

/**
 * Validates and resolves a `gateway` section (undefined means all defaults). Throws `ConfigError`
 * naming every problem at its path (`$.gateway.auth.tokens.alice`), with what to write instead.
 */
export function resolveGateway(value: unknown, source: GatewaySource): GatewaySpec {
  const issues: ConfigIssue[] = [];
  const report = (path: readonly (string | number)[], message: string) =>
    issues.push({ file: source.file, path: pathOf(path), message });
  if (value === undefined) return GATEWAY_DEFAULTS;
  if (jsonKind(value) !== 'object') {
    throw new ConfigError([
      { file: source.file, path: '$.gateway', message: `expected an object, got ${jsonKind(value)}` },
    ]);
  }
  const parsed = gatewaySchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      if (issue.code === 'unrecognized_keys')
        for (const key of issue.keys) report([...path, key], `unknown setting ${JSON.stringify(key)}`);
      else report(path, issue.message);
    }
    throw new ConfigError(issues);
  }
  const raw = parsed.data;
  const expand = (text: string, ...path: (string | number)[]): string => {
    if (!source.env) return text;
    const out = expandString(text, source.env, { workspaceFolder: source.workspaceFolder ?? process.cwd() });
    for (const name of out.missing)
      report(path, `variable ${name} is not set (set it, or give a default with \${${name}:-value})`);
    for (const reference of out.unsupported) report(path, `${reference} is not supported here; use \${VAR}`);
    for (const message of out.malformed) report(path, message);
    return out.value;
  };

  const listen =
    raw.listen === undefined ? GATEWAY_DEFAULTS.listen : parseListen(expand(raw.listen, 'listen'));
  if (typeof listen === 'string') report(['listen'], listen);
  let auth: GatewayAuthSpec | undefined;
  if (raw.auth && 'tokens' in raw.auth) {
    const tokens = Object.fromEntries(
      Object.entries(raw.auth.tokens).map(([name, token]) => [name, expand(token, 'auth', 'tokens', name)]),
    );
    const seen = new Map<string, string>();
    for (const [name, token] of Object.entries(tokens)) {
      if (token.length < 16)
        report(
          ['auth', 'tokens', name],
          'expected a token of at least 16 characters (generate one with `openssl rand -hex 32`)',
        );
      const other = seen.get(token);
      if (other !== undefined)
        report(
          ['auth', 'tokens', name],
          `has the same token as ${JSON.stringify(other)}; each principal needs its own`,
        );
      seen.set(token, name);
    }
    auth = { type: 'tokens', tokens };
  } else if (raw.auth && 'oauth' in raw.auth) {
    const o = raw.auth.oauth;
    const issuer = expand(o.issuer, 'auth', 'oauth', 'issuer');
    const audience = expand(o.audience, 'auth', 'oauth', 'audience');
    const jwksUrl =
      o.jwksUrl === undefined
        ? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`
        : expand(o.jwksUrl, 'auth', 'oauth', 'jwksUrl');
    for (const [field, url] of [
      ['issuer', issuer],
      ['jwksUrl', jwksUrl],
    ] as const) {
      if (!isHttpUrl(url))
        report(['auth', 'oauth', field], `expected an http(s) URL, got ${JSON.stringify(url)}`);
    }
    auth = {
      type: 'oauth',
      issuer,
      audience,
      jwksUrl,
      requiredScopes: o.requiredScopes ?? [],
      ...(o.toolScopes && { toolScopes: o.toolScopes }),
    };
  }
  const spec: GatewaySpec = {
    listen: typeof listen === 'string' ? GATEWAY_DEFAULTS.listen : listen,
    path: raw.path ?? GATEWAY_DEFAULTS.path,
    prefix: raw.prefix ?? GATEWAY_DEFAULTS.prefix,
    ...(auth && { auth }),
    insecure: raw.insecure ?? false,
    allowedHosts: (raw.allowedHosts ?? []).map((h, i) => expand(h, 'allowedHosts', i)),
    allowedOrigins: (raw.allowedOrigins ?? []).map((h, i) => expand(h, 'allowedOrigins', i)),
    principals: Object.fromEntries(
      Object.entries(raw.principals ?? {}).map(([name, p]) => [
        name,
        { tools: { allow: p.tools?.allow ?? [], deny: p.tools?.deny ?? [] } },
      ]),
    ),
    limits: { ...GATEWAY_DEFAULTS.limits, ...raw.limits },
    status: {
      enabled: raw.status !== undefined && raw.status !== false,
      principals: typeof raw.status === 'object' ? (raw.status.principals ?? []) : [],
    },
  };
  if (spec.status.enabled && isStatusPath(spec.path)) {
    report(['path'], `${spec.path} is where the status page is served; choose another path, e.g. "/mcp"`);
  }
  if (auth?.type === 'tokens') {
    spec.status.principals.forEach((name, i) => {
      if (!Object.hasOwn(auth.tokens, name))
        report(['status', 'principals', i], `no principal ${JSON.stringify(name)} in auth.tokens`);
    });
  }
  if (raw.metrics) {
    const { path = '/metrics', listen: where } = raw.metrics === true ? {} : raw.metrics;
    const own = where === undefined ? undefined : parseListen(expand(where, 'metrics', 'listen'));
    if (typeof own === 'string') report(['metrics', 'listen'], own);
    else spec.metrics = { path, ...(own && { listen: own }) };
    if (own === undefined && path === spec.path)
      report(['metrics', 'path'], `expected a path other than the MCP endpoint's (${spec.path})`);
  }
  if (raw.cluster) {
    const c = raw.cluster;
    const redis = expand(c.redis, 'cluster', 'redis');
    const secret = expand(c.secret, 'cluster', 'secret');
    const advertise = c.advertise === undefined ? undefined : expand(c.advertise, 'cluster', 'advertise');
    if (!/^rediss?:\/\//.test(redis) || !URL.canParse(redis))
      report(['cluster', 'redis'], 'expected a redis:// or rediss:// URL, e.g. "redis://127.0.0.1:6379"');
    if (secret.length < 32)
      report(
        ['cluster', 'secret'],
        'expected a secret of at least 32 characters, the same on every replica (generate one with `openssl rand -hex 32`)',
      );
    const wildcard = ['0.0.0.0', '::'].includes(spec.listen.host);
    if (advertise === undefined && wildcard)
      report(
        ['cluster', 'advertise'],
        `listening on ${spec.listen.host}, the other replicas cannot reach this one by that address: set advertise to its own URL, e.g. "http://\${POD_IP}:${spec.listen.port}${spec.path}"`,
      );
    if (advertise !== undefined && !isHttpUrl(advertise))
      report(
        ['cluster', 'advertise'],
        `expected the http(s) URL of this replica's endpoint, got ${JSON.stringify(advertise)}`,
      );
    spec.cluster = {
      redis,
      secret,
      ...(advertise !== undefined && { advertise }),
      prefix: c.prefix ?? 'berth',
      leaseMs: c.leaseMs ?? 10_000,
    };
  }
  if (spec.limits.requestTimeoutMs < spec.limits.headersTimeoutMs) {
    report(
      ['limits', 'requestTimeoutMs'],
      `expected at least limits.headersTimeoutMs (${spec.limits.headersTimeoutMs}), got ${spec.limits.requestTimeoutMs}: a request's headers are part of it`,
    );
  }
  if (issues.length) throw new ConfigError(issues);
  return spec;
}

/**
 * Parses `HOST:PORT` (`[::1]:7077` for IPv6; a bare `:PORT` means loopback). Returns the reason as a
 * string when it is not one.
 */
export function parseListen(text: string): { host: string; port: number } | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    return `expected HOST:PORT (e.g. 127.0.0.1:7077, [::1]:7077, 0.0.0.0:8080; port 0 picks a free one), got ${JSON.stringify(text)}`;
  }
  const host = match[1] ?? (match[2] || '127.0.0.1');
  if (match[1] !== undefined && isIP(host) !== 6)
    return `expected an IPv6 address inside [ ], got ${JSON.stringify(host)}`;
  return { host, port };
}

/** Whether a path is one the status page serves (`/status`, `/status.json`, `/status/…`). */
export function isStatusPath(path: string): boolean {
  return path === '/status' || path === '/status.json' || path.startsWith('/status/');
}

/** Whether a listen host is a loopback address (or `localhost`). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function pathOf(path: readonly (string | number)[]): string {
  return jsonPath(['gateway', ...path]);
}
