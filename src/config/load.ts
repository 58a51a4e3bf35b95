/**
 * Loading a config: read the file (JSON or JSONC), find the server map (`mcpServers` or VS Code's
 * `servers`), validate each entry on its own, expand variables, resolve `cwd`, and layer `DEFAULTS`,
 * the file's `defaults` and the entry's settings into a {@link ServerSpec}. Whole-file problems throw
 * a `ConfigError`; a bad entry is reported in `invalid` and never stops the others.
 */
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { expandString, workspaceFolderOf, type ExpandContext } from './expand.js';
import { JsonSyntaxError, parseJsonc } from './jsonc.js';
import { parseDefaults, parseServerEntry, type RawDefaults } from './schema.js';
import { jsonKind, jsonPath } from '../util/json.js';
import { isHttpUrl } from '../util/url.js';
import { resolveGateway, type GatewaySpec } from './gateway.js';
import { DEFAULTS, type ServerDefaults, type ServerSpec, type ServerSpecBase } from './types.js';

/** A config file path, or an already-parsed config object. */
export type ConfigInput = string | Record<string, unknown>;

/** Where to take variables and relative paths from. */
export interface LoadOptions {
  /** Variables for `${VAR}` expansion; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Resolves a relative config path, and relative `cwd` entries of an inline config; defaults to `process.cwd()`. */
  cwd?: string;
  /**
   * Only the entries with these names: the others are skipped unread (not validated, not expanded,
   * not started), as if the config did not have them. Names the config lacks are ignored. The
   * file's own shape and `defaults` are still checked.
   */
  only?: readonly string[];
  /**
   * Caps every server's start-up deadline (spawn or connect, the MCP handshake, the first listing) at
   * this many milliseconds, over its `startupTimeoutMs`: for a quick check such as `berth doctor`.
   */
  maxStartupMs?: number;
}

/** An entry that could not be used, with every problem found in it. */
export interface InvalidServer {
  name: string;
  issues: ConfigIssue[];
}

/** A loaded config: the usable servers and the entries that were not. */
export interface LoadedConfig {
  /** The absolute path of the file, or `<inline>` for a config object. */
  source: string;
  servers: ServerSpec[];
  invalid: InvalidServer[];
  /** The `gateway` section, resolved (defaults when the file has none): what `berth serve` uses. */
  gateway: GatewaySpec;
  /** The config as written (parsed; its `${VAR}` references not expanded). */
  raw?: Readonly<Record<string, unknown>>;
}

/** The `source` of a config given as an object rather than a file. */
export const INLINE_SOURCE = '<inline>';

/**
 * Loads a config file (JSON, or JSONC with comments and trailing commas) or resolves a config object.
 * Throws `ConfigError` when the file as a whole is unusable: missing or unreadable, invalid JSON (with
 * line and column), not an object, no `mcpServers`/`servers`, or invalid `defaults`.
 */
export async function loadConfig(input: ConfigInput, options: LoadOptions = {}): Promise<LoadedConfig> {
  if (typeof input !== 'string') return resolveConfig(input, INLINE_SOURCE, options);
  const source = resolve(options.cwd ?? process.cwd(), input);
  let text: string;
  try {
    text = await readConfigText(source);
  } catch (error) {
    throw new ConfigError([{ file: source, path: '$', message: readFailure(error) }], { cause: error });
  }
  let raw: unknown;
  try {
    raw = parseJsonc(text);
  } catch (error) {
    // Anything the parser throws is a problem with this file, reported as one (never a raw error).
    const reason = error instanceof JsonSyntaxError ? error.message : String(error);
    throw new ConfigError([{ file: source, path: '$', message: `invalid JSON: ${reason}` }], {
      cause: error,
    });
  }
  return resolveConfig(raw, source, options);
}

/**
 * Resolves an already-parsed config. `source` is the absolute path it was read from (relative `cwd`
 * entries and `${workspaceFolder}` resolve against its directory) or `<inline>` (they resolve against
 * `options.cwd`). Throws `ConfigError` for whole-file problems; bad entries go to `invalid`.
 */
export function resolveConfig(raw: unknown, source: string, options: LoadOptions = {}): LoadedConfig {
  const fileError = (path: string, message: string) => new ConfigError([{ file: source, path, message }]);
  if (jsonKind(raw) !== 'object') throw fileError('$', `expected a JSON object, got ${jsonKind(raw)}`);
  const file = raw as Record<string, unknown>;

  const keys = (['mcpServers', 'servers'] as const).filter((k) => file[k] !== undefined);
  if (keys.length === 2)
    throw fileError('$', 'has both "mcpServers" and "servers"; expected only one of them');
  const key = keys[0];
  if (!key) {
    throw fileError(
      '$',
      'expected a "mcpServers" object (Claude Desktop, Cursor, Claude Code) or a "servers" object (VS Code)',
    );
  }
  const entries = file[key];
  if (jsonKind(entries) !== 'object') {
    throw fileError(
      `$.${key}`,
      `expected an object mapping server names to entries, got ${jsonKind(entries)}`,
    );
  }

  let defaults: ServerDefaults = DEFAULTS;
  if (file.defaults !== undefined) {
    const parsed = parseDefaults(file.defaults);
    if (!parsed.ok) {
      const issues = parsed.problems.map((p) => ({
        file: source,
        path: jsonPath(['defaults', ...p.path]),
        message: p.message,
      }));
      throw new ConfigError(issues);
    }
    defaults = layer(DEFAULTS, parsed.data);
  }

  const inline = source === INLINE_SOURCE;
  const baseDir = inline ? resolve(options.cwd ?? process.cwd()) : dirname(source);
  const scope: EntryScope = {
    source,
    key,
    baseDir,
    defaults,
    env: options.env ?? process.env,
    maxStartupMs: options.maxStartupMs,
    context: { workspaceFolder: inline ? baseDir : workspaceFolderOf(source) },
  };

  const gateway = resolveGateway(file.gateway, {
    file: source,
    env: scope.env,
    workspaceFolder: scope.context.workspaceFolder,
  });
  const result: LoadedConfig = { source, servers: [], invalid: [], gateway, raw: file };
  const only = options.only && new Set(options.only);
  for (const [name, value] of Object.entries(entries as Record<string, unknown>)) {
    if (only && !only.has(name)) continue;
    const outcome = resolveEntry(name, value, scope);
    if ('spec' in outcome) result.servers.push(outcome.spec);
    else result.invalid.push({ name, issues: outcome.issues });
  }
  return result;
}

interface EntryScope {
  maxStartupMs: number | undefined;
  source: string;
  key: 'mcpServers' | 'servers';
  baseDir: string;
  defaults: ServerDefaults;
  env: Record<string, string | undefined>;
  context: ExpandContext;
}

function resolveEntry(
  name: string,
  value: unknown,
  scope: EntryScope,
): { spec: ServerSpec } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const report = (path: (string | number)[], message: string, variable?: string) =>
    issues.push({
      file: scope.source,
      path: jsonPath([scope.key, name, ...path]),
      message,
      server: name,
      ...(variable !== undefined && { variable }),
    });

  if (name === '') report([], 'expected a non-empty server name');
  const parsed = parseServerEntry(value);
  if (!parsed.ok) {
    for (const p of parsed.problems) report(p.path, p.message);
    return { issues };
  }
  const entry = parsed.data;

  const expand = (text: string, ...path: (string | number)[]): string => {
    const { value: expanded, missing, unsupported, malformed } = expandString(text, scope.env, scope.context);
    for (const variable of missing) {
      report(
        path,
        `variable ${variable} is not set (set it, or give a default with \${${variable}:-value})`,
        variable,
      );
    }
    for (const reference of unsupported) report(path, unsupportedMessage(reference));
    for (const message of malformed) report(path, message);
    return expanded;
  };
  const expandValues = (record: Record<string, string> | undefined, field: string) =>
    Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, expand(v, field, k)]));

  const settings = layer(scope.defaults, entry);
  const base: ServerSpecBase = {
    name,
    disabled: entry.disabled ?? false,
    timeouts:
      scope.maxStartupMs === undefined
        ? settings.timeouts
        : { ...settings.timeouts, startupMs: Math.min(settings.timeouts.startupMs, scope.maxStartupMs) },
    tools: { allow: entry.tools?.allow ?? [], deny: entry.tools?.deny ?? [] },
    restart: settings.restart,
    session: settings.session,
    health: settings.health,
    era: entry.era ?? 'auto',
    start: settings.start,
    client: {
      ...(entry.roots && {
        roots: entry.roots.map((root, i) => rootUri(expand(root, 'roots', i), scope.baseDir)),
      }),
      offer: {
        roots: entry.capabilities?.roots ?? true,
        sampling: entry.capabilities?.sampling ?? true,
        elicitation: entry.capabilities?.elicitation ?? true,
      },
    },
    source: scope.source,
  };
  let spec: ServerSpec;
  if (entry.transport === 'stdio') {
    const command = expand(entry.command ?? '', 'command');
    const args = (entry.args ?? []).map((arg, i) => expand(arg, 'args', i));
    const env = expandValues(entry.env, 'env');
    // What spawn would refuse (or silently mangle), reported where it is written.
    if (command.includes('\0')) report(['command'], NUL_MESSAGE);
    args.forEach((arg, i) => arg.includes('\0') && report(['args', i], NUL_MESSAGE));
    for (const [name, value] of Object.entries(env)) {
      if (name === '' || name.includes('=') || name.includes('\0')) {
        report(['env', name], `expected a variable name without "=", got ${JSON.stringify(name)}`);
      } else if (value.includes('\0')) report(['env', name], NUL_MESSAGE);
    }
    const count = issues.length;
    const cwd = entry.cwd === undefined ? undefined : resolve(scope.baseDir, expand(entry.cwd, 'cwd'));
    if (cwd !== undefined && issues.length === count) {
      const problem = directoryProblem(cwd);
      if (problem) report(['cwd'], problem);
    }
    if (!command) report(['command'], 'expected a non-empty command after expansion');
    spec = {
      ...base,
      transport: 'stdio',
      command,
      args,
      env,
      ...(cwd === undefined ? {} : { cwd }),
      inheritEnv: settings.inheritEnv,
      stderrBufferBytes: settings.stderrBufferBytes,
    };
  } else {
    const count = issues.length;
    const url = expand(entry.url ?? '', 'url');
    if (issues.length === count && !isHttpUrl(url))
      report(['url'], `expected an http(s) URL, got ${JSON.stringify(url)}`);
    const headers = expandValues(entry.headers, 'headers');
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) {
        report(
          ['headers', name],
          `expected an HTTP header name (letters, digits, "-"), got ${JSON.stringify(name)}`,
        );
      } else if (/[\r\n\0]/.test(value)) {
        report(['headers', name], 'expected a header value on one line (no line breaks or NUL characters)');
      }
    }
    spec = { ...base, transport: entry.transport, url, headers };
    if (entry.auth) {
      const auth = entry.auth;
      const field = (value: string | undefined, name: string) =>
        value === undefined ? {} : { [name]: expand(value, 'auth', name) };
      spec.auth =
        auth.type === 'bearer'
          ? { type: 'bearer', token: expand(auth.token, 'auth', 'token') }
          : auth.type === 'client_credentials'
            ? {
                type: 'client_credentials',
                clientId: expand(auth.clientId, 'auth', 'clientId'),
                clientSecret: expand(auth.clientSecret, 'auth', 'clientSecret'),
                ...field(auth.scope, 'scope'),
              }
            : {
                type: 'oauth',
                ...field(auth.scope, 'scope'),
                ...field(auth.clientId, 'clientId'),
                ...field(auth.clientSecret, 'clientSecret'),
              };
    }
  }
  return issues.length ? { issues } : { spec };
}

const NUL_MESSAGE = 'must not contain a NUL character';
/** An HTTP header name: an RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `DEFAULTS` (or the file's defaults) overlaid with the settings an object gives. */
function layer(base: ServerDefaults, over: RawDefaults): ServerDefaults {
  return {
    timeouts: {
      startupMs: over.startupTimeoutMs ?? base.timeouts.startupMs,
      callMs: over.callTimeoutMs ?? base.timeouts.callMs,
      stdinGraceMs: over.stdinGraceMs ?? base.timeouts.stdinGraceMs,
      termGraceMs: over.termGraceMs ?? base.timeouts.termGraceMs,
    },
    restart: {
      maxRestarts: over.restart?.maxRestarts ?? base.restart.maxRestarts,
      initialDelayMs: over.restart?.initialDelayMs ?? base.restart.initialDelayMs,
      maxDelayMs: over.restart?.maxDelayMs ?? base.restart.maxDelayMs,
      stableAfterMs: over.restart?.stableAfterMs ?? base.restart.stableAfterMs,
    },
    session: {
      scope: over.session ?? base.session.scope,
      maxSessions: over.maxSessions ?? base.session.maxSessions,
      idleTimeoutMs: over.idleTimeoutMs ?? base.session.idleTimeoutMs,
      prewarm: over.prewarm ?? base.session.prewarm,
      drainTimeoutMs: over.drainTimeoutMs ?? base.session.drainTimeoutMs,
    },
    health: {
      pingIntervalMs: over.pingIntervalMs ?? base.health.pingIntervalMs,
      pingTimeoutMs: over.pingTimeoutMs ?? base.health.pingTimeoutMs,
      retrySafe: over.retrySafe ?? base.health.retrySafe,
      maxMessageBytes: over.maxMessageBytes ?? base.health.maxMessageBytes,
    },
    inheritEnv: over.inheritEnv ?? base.inheritEnv,
    stderrBufferBytes: over.stderrBufferBytes ?? base.stderrBufferBytes,
    start: over.start ?? base.start,
  };
}

/** A root as a URI: a path (relative to `baseDir`) becomes a `file://` URI; a URI is kept. */
export function rootUri(root: string, baseDir: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(root) ? root : pathToFileURL(resolve(baseDir, root)).href;
}

function unsupportedMessage(reference: string): string {
  if (reference.startsWith('${input:')) {
    return `${reference}: VS Code inputs are not supported; put the value in an environment variable and use \${env:NAME}`;
  }
  return `${reference} is not supported; use \${VAR}, \${VAR:-default}, \${env:VAR} or \${workspaceFolder}`;
}

/**
 * Why `dir` cannot be a server's working directory, or `undefined` when it can. Checked when the
 * config is read, since a spawn in a missing directory fails with the same ENOENT as a missing
 * command and would be reported as one.
 */
function directoryProblem(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `expected a directory, got a file: ${dir}`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `directory does not exist: ${dir}`;
    if (code === 'EACCES') return `directory cannot be reached (permission denied): ${dir}`;
    return `directory cannot be used: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The largest config file berth reads; a config is a few kilobytes, and `/dev/zero` never ends. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Thrown by {@link readConfigText} for a file over {@link MAX_CONFIG_BYTES}. */
class ConfigTooLargeError extends Error {}

/**
 * Reads a config file as UTF-8, at most {@link MAX_CONFIG_BYTES} (pipes and devices included, so
 * `--config /dev/stdin` works and `--config /dev/zero` ends with an error instead of filling memory).
 */
async function readConfigText(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, MAX_CONFIG_BYTES + 1 - size));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      size += bytesRead;
      if (size > MAX_CONFIG_BYTES) throw new ConfigTooLargeError();
    }
    return Buffer.concat(chunks, size).toString('utf8');
  } finally {
    await handle.close();
  }
}

function readFailure(error: unknown): string {
  if (error instanceof ConfigTooLargeError) {
    return `cannot read config: larger than ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB; expected a JSON file of a few kilobytes`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'cannot read config: file not found';
  if (code === 'EISDIR') return 'cannot read config: expected a file, got a directory';
  if (code === 'EACCES') return 'cannot read config: permission denied';
  return `cannot read config: ${error instanceof Error ? error.message : String(error)}`;
}
