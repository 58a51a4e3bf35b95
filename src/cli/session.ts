/**
 * One CLI run's host: picks the config (`--config <path>`, or the embedded demo config), opens the
 * host, hands it to a command, and always closes it, so every server process is gone and the CLI
 * exits on its own. Ctrl-C (or SIGTERM) aborts the running command and closes the host the same way.
 */
import { resolve } from 'node:path';
import { defaultConfig } from '../config/default.js';
import { VERSION } from '../util/version.js';
import { createHost, type ConfigInput, type Host, type HostOptions } from '../api.js';
import { DeadlineError, InterruptedError } from './errors.js';
import type { CliIo } from './io.js';
import { StartupWatch } from './starting.js';
import type { LoadedConfig } from '../config/load.js';
import { openRunLog, type LogOptions } from './logging.js';
import type { Logger, LogLevel } from '../log/logger.js';

/** Options every command takes. */
export interface CommonOptions extends LogOptions {
  /** Path of a config file (JSON or JSONC); without it, the embedded demo config. */
  config?: string;
  /** Print JSON on stdout and nothing else (notices are not printed either). */
  json?: boolean;
}

/** berth's version (re-exported for the CLI's `--version`). */
export { VERSION };

/** How the CLI introduces itself to servers. */
export const CLI_CLIENT_INFO = { name: 'berth-cli', version: VERSION } as const;

/** The start-up deadline `berth doctor` gives each server unless `--timeout` says otherwise. */
export const DOCTOR_TIMEOUT_MS = 15_000;

/** The config a run uses, and how to name it to a person. */
export function chooseConfig(path: string | undefined): { config: ConfigInput; description: string } {
  if (path === undefined) {
    return {
      config: defaultConfig(),
      description:
        'the built-in demo config (servers: counter, toolbox); pass --config <file> to use your own',
    };
  }
  return { config: path, description: resolve(path) };
}

/** Exit code for a run ended by a signal: 128 + its number, as shells report it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}

/** What one run may narrow or bound. */
export interface RunOptions {
  /** Start only these servers of the config (see `LoadOptions.only`); default: all of them. */
  only?: readonly string[];
  /**
   * A deadline for the whole run: starting the servers and the command. `at` is when it passes (ms
   * since epoch), `ms` the `--timeout` it comes from, for messages. Start-up past it ends the run
   * with a {@link DeadlineError}; the command gets the deadline.
   */
  timeout?: { ms: number; at: number };
  /** Say which config is used (on stderr, unless `--json`); default true. */
  announce?: boolean;
  /** More options for the host (a gateway's relay handlers, watching the config). */
  host?: Pick<HostOptions, 'sampling' | 'elicitation' | 'watch' | 'authProvider' | 'maxStartupMs'>;
  /**
   * The command ends on SIGINT/SIGTERM by itself (a server stopping cleanly): its exit code stands,
   * instead of the signal's.
   */
  stopsOnSignal?: boolean;
  /** The log level when neither `--log-level` nor `BERTH_LOG_LEVEL` says (default `error`: the messages say the rest). */
  defaultLogLevel?: LogLevel;
  /** The config as the command has loaded it already (its secrets are hidden from the start). */
  loaded?: LoadedConfig;
}

/** What a command is handed besides the host. */
export interface RunContext {
  /** Fires on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** The run's deadline (ms since epoch), when `--timeout` set one. */
  deadline?: number;
  /** The run's log (stderr, secrets hidden). */
  log?: Logger;
}

/**
 * Opens a host on the chosen config, runs `command` with it, and closes it, whatever happens. The
 * command gets an `AbortSignal` that fires on SIGINT/SIGTERM, and the run's deadline; it returns the
 * exit code. With `run.timeoutMs`, start-up is bounded by it too. Errors from opening the host or
 * from the command propagate (after the host is closed).
 */
export async function withHost(
  options: CommonOptions,
  io: CliIo,
  command: (host: Host, context: RunContext) => Promise<number> | number,
  run: RunOptions = {},
): Promise<number> {
  const { config, description } = chooseConfig(options.config);
  const log = await openRunLog(options, io, config, run.defaultLogLevel ?? 'error', run.loaded);
  if (!options.json && run.announce !== false) io.err(`berth: using ${description}`);

  const controller = new AbortController();
  // Which servers are still starting, instead of a silent wait (nothing with --json).
  let watch: StartupWatch | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    watch?.stop(); // erase the live line before writing
    if (controller.signal.aborted) {
      io.err('berth: still stopping the servers…');
      return;
    }
    io.err(`berth: ${signal}: stopping…`);
    controller.abort(new InterruptedError(signal));
  };
  const { timeout } = run;
  const deadline = timeout?.at;
  const startup = new AbortController();
  const timer =
    timeout &&
    setTimeout(
      () => startup.abort(new DeadlineError(timeout.ms, run.only)),
      Math.max(0, timeout.at - Date.now()),
    );
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let host: Host;
    watch = options.json ? undefined : new StartupWatch(io);
    try {
      host = await createHost(config, {
        clientInfo: CLI_CLIENT_INFO,
        signal: AbortSignal.any([controller.signal, startup.signal]),
        ...(run.only && { only: run.only }),
        ...run.host,
        onEvent: (event) => {
          log.onEvent(event);
          watch?.onEvent(event);
        },
      });
    } catch (error) {
      const interrupted = interruptedCode(controller.signal);
      if (interrupted !== undefined) return interrupted;
      throw error;
    } finally {
      watch?.stop();
      clearTimeout(timer);
    }
    log.follow(host);
    try {
      if (timeout && Date.now() >= timeout.at) throw new DeadlineError(timeout.ms, run.only);
      // Each request to a server, with its duration and outcome (not its arguments: they are the user's).
      if (['debug', 'trace'].includes(log.level)) host.use(log.requests());
      const context: RunContext = {
        signal: controller.signal,
        ...(deadline !== undefined && { deadline }),
        log: log.logger,
      };
      const code = controller.signal.aborted ? 1 : await command(host, context);
      return (run.stopsOnSignal ? undefined : interruptedCode(controller.signal)) ?? code;
    } finally {
      await host.close();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function interruptedCode(signal: AbortSignal): number | undefined {
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof InterruptedError ? signalExitCode(reason.signal) : undefined;
}
