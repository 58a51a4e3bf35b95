/**
 * One CLI run's log: the level and format (`--log-level`/`BERTH_LOG_LEVEL`, `--log-format`/
 * `BERTH_LOG_FORMAT`; JSON lines unless stderr is a terminal), the logger writing to the run's
 * stderr, and the secrets of the config it runs, which the logger and every `berth: …` message hide.
 * It follows the config as the host reloads it, so a server added later has its secrets hidden too.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseJsonc } from '../config/jsonc.js';
import {
  loadConfig,
  MAX_CONFIG_BYTES,
  resolveConfig,
  type ConfigInput,
  type LoadedConfig,
} from '../config/load.js';
import { logHostEvent } from '../log/host-events.js';
import { createLogger, logSettings, type LogLevel, type Logger } from '../log/logger.js';
import { configSecrets, keyLogId, SecretValues } from '../log/secrets.js';
import { logRequests, type AppliedConfig, type Host, type HostEvent, type Middleware } from '../api.js';
import type { CliIo } from './io.js';

/** The log options every command takes. */
export interface LogOptions {
  /** `--log-level`: fatal, error, warn, info, debug, trace or silent. */
  logLevel?: string;
  /** `--log-format`: json or pretty. */
  logFormat?: string;
}

/** A run's log, ready before its host opens. */
export interface RunLog {
  readonly logger: Logger;
  /** The level in force (to skip work no record would show). */
  readonly level: LogLevel;
  /** For the host's `onEvent`: logs each event, and learns the secrets of servers a reload adds. */
  onEvent(event: HostEvent): void;
  /**
   * Learns secrets from the config `host` runs (once it is open) rather than from the file: in a
   * cluster, a reload may apply a config another replica published.
   */
  follow(host: Pick<Host, 'appliedConfig'>): void;
  /**
   * An interceptor logging each request to a server at `debug`: server, method, name, duration,
   * outcome, the session key as its log id; not the arguments (they are the user's data).
   */
  requests(): Middleware;
}

/**
 * The log of a run on `config` (`loaded`: as the command has loaded it already): its settings from
 * the options and the environment, `defaultLevel` when neither says. Throws a message naming the setting when one is not valid.
 */
export async function openRunLog(
  options: LogOptions,
  io: CliIo,
  config: ConfigInput,
  defaultLevel: LogLevel,
  loaded?: Pick<LoadedConfig, 'servers' | 'gateway'>,
): Promise<RunLog> {
  const { level, format } = logSettings({
    level: options.logLevel,
    format: options.logFormat,
    env: process.env,
    isTTY: io.stderrIsTTY ?? false,
    defaultLevel,
  });
  const secrets = io.secrets ?? new SecretValues();
  try {
    secrets.add(configSecrets(loaded ?? (await loadConfig(config))));
  } catch {
    // A config that does not load: opening the host reports why, and no server of it runs.
  }
  const logger = createLogger({ level, format, secrets, write: (line) => io.err(line) });
  const logEvent = logHostEvent(logger);
  let seen = '';
  let host: Pick<Host, 'appliedConfig'> | undefined;
  let learned: AppliedConfig | undefined;
  /** Re-reads the config (at most once per version of it) for the secrets of new entries. */
  const learn = () => {
    const applied = host?.appliedConfig();
    if (applied) {
      if (applied === learned) return;
      learned = applied;
      try {
        secrets.add(configSecrets(resolveConfig(applied.raw, applied.source)));
      } catch {
        // Not a config the host could have applied: nothing of it runs.
      }
      return;
    }
    if (typeof config !== 'string') return;
    try {
      const path = resolve(config);
      const stat = statSync(path);
      const version = `${stat.mtimeMs}:${stat.size}`;
      if (version === seen || stat.size > MAX_CONFIG_BYTES) return;
      seen = version;
      secrets.add(configSecrets(resolveConfig(parseJsonc(readFileSync(path, 'utf8')), path)));
    } catch {
      // Being rewritten, or invalid: the host reports it; the next version is read again.
    }
  };
  return {
    logger,
    level,
    follow(followed) {
      host = followed;
    },
    onEvent(event) {
      // Before the event is logged, so its own record hides the new entry's secrets.
      if (
        event.type === 'server:added' ||
        event.type === 'server:replaced' ||
        event.type === 'config:reloaded'
      )
        learn();
      logEvent(event);
    },
    requests: () =>
      logRequests({
        log: ({ params: _params, key, ...entry }) =>
          logger.debug({ ...entry, ...(key !== undefined && { session: keyLogId(key) }) }, 'request'),
      }),
  };
}
