/**
 * What `berth doctor` reports, and how a started server's status becomes checks: the handshake (how
 * long, which protocol version and era, which server), its tools (how many, which names the catalog
 * shortened or disambiguated, which schemas cannot be compiled, which tools were left out), and for a
 * remote server reachability, TLS and its authorization state. The JSON shape here is the stable,
 * documented output of `berth doctor --json` (docs/cli.md): fields are only ever added.
 */
import type { CatalogTool, ServerSpec, ServerStatus } from '../../api.js';
import { sanitizeNamePart, serverNamePart, CATALOG_NAME_SEPARATOR } from '../../catalog/naming.js';
import { inputSchemaError } from '../../util/json-schema.js';

/** A verdict: `ok`, `warn` (works, with something to look at), `fail` (does not work). */
export type Verdict = 'ok' | 'warn' | 'fail';

/** The name of one check, in the order they run. */
export type CheckName =
  | 'config'
  | 'variables'
  | 'command'
  | 'launcher'
  | 'disabled'
  | 'connect'
  | 'tls'
  | 'auth'
  | 'start'
  | 'handshake'
  | 'tools'
  | 'schemas'
  | 'malformed';

/** One check of one server. */
export interface DoctorCheck {
  check: CheckName;
  verdict: Verdict;
  /** One line: what was found, and on a failure what to do. Never holds a secret or an env value. */
  message: string;
  /** `variables`: the names of the unset variables. */
  missingVariables?: string[];
  /** `command`/`launcher`: the command as configured. */
  command?: string;
  /** `command`/`launcher`: the file it resolves to. */
  resolved?: string;
}

/** A catalog name that differs from the plain `server__tool`, and why. */
export interface RenamedTool {
  /** The tool's own name on its server. */
  tool: string;
  /** Its name in berth's catalog. */
  name: string;
  /** `sanitized`: characters outside `[a-zA-Z0-9_-]` replaced; `shortened`: over 64 characters; `disambiguated`: another tool would share the name. */
  how: 'sanitized' | 'shortened' | 'disambiguated';
}

/** One server's doctor report. */
export interface ServerReport {
  name: string;
  verdict: Verdict;
  /** One line: the first failing check's message, else the first warning's, else a summary. */
  reason: string;
  transport: ServerSpec['transport'] | 'unknown';
  /** Every check that ran, in order. */
  checks: DoctorCheck[];
  /** The handshake, when the server started (shared scope). */
  handshake?: {
    /** Spawn or connect, handshake and first listing, in milliseconds. */
    ms?: number;
    protocolVersion?: string;
    era?: 'legacy' | 'modern';
    serverInfo?: { name: string; version: string; title?: string };
  };
  /** The server's tools, when it started. */
  tools?: {
    /** How many are in the catalog. */
    count: number;
    /** Catalog names that differ from `server__tool`. */
    renamed: RenamedTool[];
    /** Tools whose input schema cannot be compiled: their arguments are not validated. */
    unvalidated: { name: string; problem: string }[];
    /** Tools left out of the catalog as malformed. */
    leftOut: { name?: string; position: number; problem: string }[];
  };
  /** Remote servers: the authorization state. */
  auth?: {
    /** How the entry authenticates: its `auth` type, `header` (an `Authorization` header of its own), or `none`. */
    type: 'none' | 'header' | 'bearer' | 'client_credentials' | 'oauth';
    /** `oauth`: whether a token is stored for the server's URL (never the token). */
    tokenStored?: boolean;
    state: 'ok' | 'unauthorized';
  };
  /** The last lines the server wrote to stderr, on a failure. */
  stderrTail?: string;
}

/** `berth doctor --json`. */
export interface DoctorReport {
  /** The config file (absolute path), or `<built-in demo>`. */
  config: string;
  /** `fail` when any server fails, else `warn` when any warns, else `ok`. */
  verdict: Verdict;
  counts: Record<Verdict, number>;
  servers: ServerReport[];
}

const RANK: Record<Verdict, number> = { ok: 0, warn: 1, fail: 2 };

/** The worst of some verdicts (`ok` for none). */
export function worst(verdicts: Iterable<Verdict>): Verdict {
  let result: Verdict = 'ok';
  for (const v of verdicts) if (RANK[v] > RANK[result]) result = v;
  return result;
}

/** A server's report from its checks; `summary` is the reason when nothing failed or warned. */
export function serverReport(base: Omit<ServerReport, 'verdict' | 'reason'>, summary: string): ServerReport {
  const verdict = worst(base.checks.map((c) => c.verdict));
  const first = base.checks.find((c) => c.verdict === verdict && verdict !== 'ok');
  const { name, ...rest } = base;
  return { name, verdict, reason: first?.message ?? summary, ...rest };
}

/** How a catalog name came to differ from `server__tool`, or undefined when it does not. */
export function renaming(tool: CatalogTool): RenamedTool['how'] | undefined {
  const plain = `${tool.server}${CATALOG_NAME_SEPARATOR}${tool.tool}`;
  if (tool.name === plain) return undefined;
  const sanitized = `${serverNamePart(tool.server)}${CATALOG_NAME_SEPARATOR}${sanitizeNamePart(tool.tool)}`;
  if (tool.name === sanitized) return 'sanitized';
  return sanitized.length > 64 ? 'shortened' : 'disambiguated';
}

/** TLS failure codes (Node.js / OpenSSL), each with what it means. */
const TLS_CODES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'the certificate cannot be verified (an intermediate certificate is missing)',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate issuer is not a trusted CA on this machine',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet (check the clock)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  CERT_REVOKED: 'the certificate was revoked',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port (try http://)',
  EPROTO: 'the TLS handshake failed',
};

/** Network failure codes, each in words. */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: nothing listens there (is the server running? is the port right?)',
  ENOTFOUND: 'the host name does not resolve (check the URL)',
  EAI_AGAIN: 'the host name could not be resolved now (DNS unavailable?)',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection failed',
};

/** What the doctor knows of a remote entry's credentials before starting it. */
export interface AuthFacts {
  type: NonNullable<NonNullable<ServerReport['auth']>['type']>;
  tokenStored?: boolean;
  /** Where stored OAuth tokens are read from. */
  storeFile?: string;
}

/** The checks of a server that was started, from its status row and the catalog. */
export function liveChecks(
  spec: ServerSpec,
  status: ServerStatus,
  tools: readonly CatalogTool[],
  auth: AuthFacts | undefined,
): Pick<ServerReport, 'checks' | 'handshake' | 'tools' | 'auth' | 'stderrTail'> & { summary: string } {
  const checks: DoctorCheck[] = [];
  const remote = spec.transport !== 'stdio' ? spec : undefined;
  const target = remote ? describeUrl(remote.url) : undefined;
  const authReport = auth && {
    type: auth.type,
    ...(auth.tokenStored !== undefined && { tokenStored: auth.tokenStored }),
  };

  if (status.state === 'ready') {
    if (remote) {
      checks.push({ check: 'connect', verdict: 'ok', message: `reached ${target}` });
      if (remote.url.startsWith('https:'))
        checks.push({ check: 'tls', verdict: 'ok', message: 'certificate trusted' });
      if (auth && auth.type !== 'none')
        checks.push({ check: 'auth', verdict: 'ok', message: authAccepted(auth) });
    }
    const handshake = {
      ...(status.startupMs !== undefined && { ms: status.startupMs }),
      ...(status.protocolVersion && { protocolVersion: status.protocolVersion }),
      ...(status.era && { era: status.era }),
      ...(status.serverInfo && { serverInfo: status.serverInfo }),
    };
    checks.push({ check: 'handshake', verdict: 'ok', message: describeHandshake(handshake, status.scope) });
    const mine = tools.filter((t) => t.server === status.name);
    const renamed = mine.flatMap((t) => {
      const how = renaming(t);
      return how ? [{ tool: t.tool, name: t.name, how }] : [];
    });
    const unvalidated = mine.flatMap((t) => {
      const problem = inputSchemaError(t.inputSchema);
      return problem === undefined ? [] : [{ name: t.name, problem }];
    });
    const leftOut = (status.invalidTools ?? []).map((t) => ({
      ...(t.name !== undefined && { name: t.name }),
      position: t.position,
      problem: t.problem,
    }));
    checks.push(...toolsChecks(mine.length, renamed, unvalidated, leftOut));
    const summary = `ready${handshake.ms !== undefined ? ` in ${handshake.ms} ms` : ''}, ${plural(mine.length, 'tool')}`;
    return {
      checks,
      handshake,
      tools: { count: mine.length, renamed, unvalidated, leftOut },
      ...(authReport && { auth: { ...authReport, state: 'ok' as const } }),
      summary,
    };
  }

  const error = status.lastError;
  const tail = status.stderrTail?.trimEnd() || undefined;
  const failed = { ...(tail && { stderrTail: tail }) };
  if (status.state === 'disabled') {
    checks.push({ check: 'disabled', verdict: 'warn', message: 'disabled in the config: not started' });
    return { checks, summary: 'disabled', ...failed };
  }
  if (status.state === 'unauthorized') {
    if (remote) checks.push({ check: 'connect', verdict: 'ok', message: `reached ${target}` });
    checks.push({ check: 'auth', verdict: 'fail', message: authRefused(auth) });
    return {
      checks,
      ...(authReport && { auth: { ...authReport, state: 'unauthorized' as const } }),
      summary: 'unauthorized',
      ...failed,
    };
  }
  const code = error?.causeCode;
  if (remote && code && Object.hasOwn(TLS_CODES, code)) {
    checks.push({
      check: 'tls',
      verdict: 'fail',
      message: `TLS failed for ${target}: ${TLS_CODES[code]} (${code}); use a certificate a trusted CA signed, or trust your CA with NODE_EXTRA_CA_CERTS=<ca.pem>`,
    });
  } else if (remote && code && Object.hasOwn(NETWORK_CODES, code)) {
    checks.push({
      check: 'connect',
      verdict: 'fail',
      message: `cannot reach ${target}: ${NETWORK_CODES[code]} (${code})`,
    });
  } else {
    const message = error?.message ?? `server is ${status.state}`;
    checks.push({ check: 'start', verdict: 'fail', message });
  }
  return { checks, summary: status.state, ...failed };
}

function toolsChecks(
  count: number,
  renamed: RenamedTool[],
  unvalidated: { name: string; problem: string }[],
  leftOut: { name?: string; position: number; problem: string }[],
): DoctorCheck[] {
  const listed =
    renamed.length === 0
      ? plural(count, 'tool')
      : `${plural(count, 'tool')}; renamed in the catalog: ${renamed.map((r) => `${r.tool} → ${r.name} (${r.how})`).join(', ')}`;
  const checks: DoctorCheck[] = [{ check: 'tools', verdict: 'ok', message: listed }];
  if (unvalidated.length > 0) {
    checks.push({
      check: 'schemas',
      verdict: 'warn',
      message: `arguments not validated (the input schema does not compile): ${unvalidated.map((u) => `${u.name}: ${u.problem}`).join('; ')}`,
    });
  }
  if (leftOut.length > 0) {
    checks.push({
      check: 'malformed',
      verdict: 'warn',
      message: `left out of the catalog: ${leftOut.map((t) => `${t.name ?? `#${t.position}`}: ${t.problem}`).join('; ')}`,
    });
  }
  return checks;
}

function describeHandshake(h: NonNullable<ServerReport['handshake']>, scope: ServerStatus['scope']): string {
  const parts: string[] = [];
  if (h.serverInfo) parts.push(`${h.serverInfo.name} ${h.serverInfo.version}`);
  if (h.protocolVersion) parts.push(`protocol ${h.protocolVersion}${h.era ? ` (${h.era} era)` : ''}`);
  if (h.ms !== undefined) parts.push(`answered in ${h.ms} ms`);
  if (parts.length === 0)
    return `answered (session scope "${scope ?? 'unknown'}": no shared session to describe)`;
  return parts.join(', ');
}

function authAccepted(auth: AuthFacts): string {
  if (auth.type === 'oauth') return 'OAuth token stored and accepted';
  if (auth.type === 'bearer') return 'bearer token accepted';
  if (auth.type === 'header') return 'Authorization header accepted';
  return 'client credentials accepted';
}

function authRefused(auth: AuthFacts | undefined): string {
  switch (auth?.type) {
    case 'bearer':
      return 'the server refused the bearer token (401): check the token the entry uses (its value is not shown)';
    case 'header':
      return 'the server refused the Authorization header (401): check the credentials in the entry\'s "headers" (their value is not shown)';
    case 'client_credentials':
      return 'the server refused the client credentials (401): check the client id and secret';
    case 'oauth':
      return auth.tokenStored
        ? `the server refused the stored OAuth token (401): it may have expired or been revoked; authorize again (the token file: ${auth.storeFile ?? 'default'})`
        : `needs OAuth: no token is stored for this server${auth.storeFile ? ` in ${auth.storeFile}` : ''}; authorize it with an app that runs the OAuth flow (createHost with the oauth option, then finishAuth)`;
    default:
      return 'the server answered 401: it needs authorization; add "auth" to the entry (a bearer token, or { "type": "oauth" })';
  }
}

/** `host:port` of a URL for messages (no path, query or credentials). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the server';
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
