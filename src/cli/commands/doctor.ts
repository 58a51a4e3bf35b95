/**
 * `berth doctor [--config FILE] [--json] [--server NAME…] [--timeout MS]`: for each configured
 * server, a verdict (ok / warn / fail) and the reason. First what needs no server (the entry is
 * usable, every `${VAR}` is set, the command or launcher resolves), then every server that passed is
 * started at once, each within its start-up deadline (capped by `--timeout`; a `lazy` server too,
 * whose cached catalog says nothing of the server as it is now), and its status and tools become
 * checks (see `../doctor/report.ts`). Exit code 1 when any server fails. The report holds the
 * servers' own words (errors, stderr): the config's secret values are hidden in it as in the log,
 * and in text its control characters are escaped.
 */
import type { AuthProvider } from '@modelcontextprotocol/client';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { suggestNames } from '../../catalog/suggest.js';
import { ConfigError, FileTokenStore, type Host, type ServerSpec } from '../../api.js';
import { configSecrets, SecretValues } from '../../log/secrets.js';
import { printable } from '../../log/text.js';
import { settledBy } from '../../util/abort.js';
import type { CliIo } from '../io.js';
import { chooseConfig, DOCTOR_TIMEOUT_MS, withHost, type CommonOptions } from '../session.js';
import { commandCheck, configChecks } from '../doctor/preflight.js';
import { renderReport } from '../doctor/render.js';
import {
  liveChecks,
  serverReport,
  worst,
  type AuthFacts,
  type DoctorCheck,
  type DoctorReport,
  type ServerReport,
} from '../doctor/report.js';

/** Options of `berth doctor`. */
export interface DoctorOptions extends CommonOptions {
  /** Check only these servers. */
  server?: string[];
  /** Each server's start-up deadline, in ms (its own `startupTimeoutMs` when lower). */
  timeout?: number;
}

/** How long past its start-up deadline the doctor waits for a `lazy` server's start to settle. */
const LAZY_START_GRACE_MS = 5_000;

/** What the doctor found before starting anything, per server. */
interface Planned {
  name: string;
  spec?: ServerSpec;
  checks: DoctorCheck[];
  auth?: AuthFacts;
  /** A stored OAuth access token to use (kept out of every report). */
  token?: string;
  /** Passed the checks that need no server: start it. */
  start: boolean;
}

/** Runs the doctor; prints the report; returns the exit code (1 when any server fails). */
export async function doctorCommand(options: DoctorOptions, io: CliIo): Promise<number> {
  const { config, description } = chooseConfig(options.config);
  const label = options.config === undefined ? '<built-in demo>' : description;
  const maxStartupMs = options.timeout ?? DOCTOR_TIMEOUT_MS;
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(config, { maxStartupMs });
  } catch (error) {
    if (!(error instanceof ConfigError) || !options.json) throw error;
    const report: DoctorReport & { error: { code: string; message: string } } = {
      config: label,
      verdict: 'fail',
      counts: { ok: 0, warn: 0, fail: 0 },
      servers: [],
      error: { code: error.code, message: error.message },
    };
    io.out(JSON.stringify(report, null, 2));
    return 1;
  }

  const names = [...loaded.servers.map((s) => s.name), ...loaded.invalid.map((s) => s.name)];
  const chosen = options.server && options.server.length > 0 ? [...new Set(options.server)] : names;
  const unknown = chosen.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    for (const name of unknown) {
      const near = suggestNames(name, names);
      io.err(
        `berth: no server named ${JSON.stringify(name)} in ${description}${near.length > 0 ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(', ')}?` : ''} (servers: ${names.join(', ') || 'none'})`,
      );
    }
    return 1;
  }

  const plans = await Promise.all(chosen.map((name) => plan(name, loaded)));
  const toStart = plans.filter((p) => p.start).map((p) => p.name);
  const tokens = new Map(plans.flatMap((p) => (p.token === undefined ? [] : [[p.name, p.token] as const])));

  const secrets = (io.secrets ?? new SecretValues()).add(configSecrets(loaded));
  const finish = (live?: Live) => {
    const result = secrets.scrubAll(report(plans, live, label));
    if (options.json) io.out(JSON.stringify(result, null, 2));
    else if (result.servers.length === 0) io.out(`berth doctor: ${label}\n\nthe config has no servers`);
    else io.out(printable(renderReport(result)));
    return result.verdict === 'fail' ? 1 : 0;
  };

  if (toStart.length === 0) return finish();
  return withHost(
    { ...options, config: options.config },
    io,
    async (host, { signal }) => {
      // A `lazy` server serves its catalog from the start cache without running: the doctor checks
      // the server itself, so it starts it (and so refreshes the cache). Each start is bounded by its
      // start-up deadline, a failed one is in status(); Ctrl-C stops the wait (the host then closes).
      const lazy = host.status().filter((s) => s.lazy && !s.lazy.started);
      const started = Promise.all(lazy.map((s) => host.restart(s.name).catch(() => {})));
      await settledBy(started, Date.now() + maxStartupMs + LAZY_START_GRACE_MS, signal);
      return finish({ status: host.status(), tools: host.tools() });
    },
    {
      only: toStart,
      announce: false,
      host: {
        maxStartupMs,
        // A stored OAuth token is used as it is (read only: the doctor never writes the token file).
        authProvider: (server): AuthProvider | undefined => {
          const token = tokens.get(server);
          return token === undefined ? undefined : { token: async () => token };
        },
      },
    },
  );
}

/** The checks of one server that need nothing running, and whether to start it. */
async function plan(name: string, loaded: LoadedConfig): Promise<Planned> {
  const invalid = loaded.invalid.find((s) => s.name === name);
  if (invalid) return { name, checks: configChecks(invalid.issues), start: false };
  const spec = loaded.servers.find((s) => s.name === name)!;
  if (spec.disabled) return { name, spec, checks: [], start: false };
  if (spec.transport === 'stdio') {
    const check = commandCheck(spec);
    return { name, spec, checks: [check], start: check.verdict !== 'fail' };
  }
  const { token, ...auth } = await authFacts(spec);
  return { name, spec, checks: [], auth, ...(token !== undefined && { token }), start: true };
}

/** How a remote entry authenticates; for OAuth, whether a token is stored (read, never written). */
async function authFacts(
  spec: Extract<ServerSpec, { transport: 'http' | 'sse' }>,
): Promise<AuthFacts & { token?: string }> {
  const header = Object.keys(spec.headers).some((name) => name.toLowerCase() === 'authorization');
  const type = spec.auth?.type ?? (header ? 'header' : 'none');
  if (type !== 'oauth') return { type };
  const store = new FileTokenStore();
  try {
    const record = await store.load(spec.url);
    const accessToken = record?.tokens?.access_token;
    return {
      type,
      tokenStored: accessToken !== undefined,
      storeFile: store.path,
      ...(accessToken !== undefined && { token: accessToken }),
    };
  } catch {
    return { type, tokenStored: false, storeFile: store.path };
  }
}

/** What starting the servers showed. */
interface Live {
  status: ReturnType<Host['status']>;
  tools: ReturnType<Host['tools']>;
}

/** The whole report: each planned server, with what starting it showed. */
function report(plans: readonly Planned[], live: Live | undefined, config: string): DoctorReport {
  const servers: ServerReport[] = plans.map((p) => {
    const transport = p.spec?.transport ?? 'unknown';
    if (p.spec?.disabled) {
      const check: DoctorCheck = {
        check: 'disabled',
        verdict: 'warn',
        message: 'disabled in the config: not started',
      };
      return serverReport({ name: p.name, transport, checks: [check] }, 'disabled');
    }
    const status = live?.status.find((s) => s.name === p.name);
    if (!p.start || !status || !p.spec) {
      return serverReport({ name: p.name, transport, checks: p.checks }, 'not started');
    }
    const { summary, checks, ...rest } = liveChecks(p.spec, status, live!.tools, p.auth);
    return serverReport({ name: p.name, transport, checks: [...p.checks, ...checks], ...rest }, summary);
  });
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const s of servers) counts[s.verdict] += 1;
  return { config, verdict: worst(servers.map((s) => s.verdict)), counts, servers };
}
