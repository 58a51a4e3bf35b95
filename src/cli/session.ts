/**
 * One CLI run's host: picks the config (`--config <path>`, or the embedded demo config), opens the
 * host, hands it to a command, and always closes it, so every server process is gone and the CLI
 * exits on its own. Ctrl-C (or SIGTERM) aborts the running command and closes the host the same way.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConfig } from '../config/default.js';
import { createHost, type ConfigInput, type Host } from '../index.js';
import { InterruptedError } from './errors.js';
import type { CliIo } from './io.js';

/** Options every command takes. */
export interface CommonOptions {
  /** Path of a config file (JSON or JSONC); without it, the embedded demo config. */
  config?: string;
  /** Print JSON on stdout and nothing else (notices are not printed either). */
  json?: boolean;
}

/** berth's version, from the package's own `package.json` (two levels up from `dist/cli` and `src/cli`). */
export const VERSION: string = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** How the CLI introduces itself to servers. */
export const CLI_CLIENT_INFO = { name: 'berth-cli', version: VERSION } as const;

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

/**
 * Opens a host on the chosen config, runs `command` with it, and closes it, whatever happens. The
 * command gets an `AbortSignal` that fires on SIGINT/SIGTERM; it returns the exit code. Errors from
 * opening the host or from the command propagate (after the host is closed).
 */
export async function withHost(
  options: CommonOptions,
  io: CliIo,
  command: (host: Host, signal: AbortSignal) => Promise<number> | number,
): Promise<number> {
  const { config, description } = chooseConfig(options.config);
  if (!options.json) io.err(`berth: using ${description}`);

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.err('berth: still stopping the servers…');
      return;
    }
    io.err(`berth: ${signal}: stopping the servers…`);
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let host: Host;
    try {
      host = await createHost(config, { clientInfo: CLI_CLIENT_INFO, signal: controller.signal });
    } catch (error) {
      const interrupted = interruptedCode(controller.signal);
      if (interrupted !== undefined) return interrupted;
      throw error;
    }
    try {
      const code = controller.signal.aborted ? 1 : await command(host, controller.signal);
      return interruptedCode(controller.signal) ?? code;
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
