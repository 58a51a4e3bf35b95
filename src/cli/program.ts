/**
 * The `berth` command line as a commander program: `tools`, `call`, `status` and `serve`, each over a host built
 * from `--config <path>` or the embedded demo config. It only wires options to the command functions
 * in `./commands`; each run opens one host, closes it before returning, and sets `process.exitCode`
 * (never `process.exit()`), so the process ends on its own once every server is gone.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { callCommand, parseArguments, type CallCommandOptions } from './commands/call.js';
import { demoCommand } from './commands/demo.js';
import type { DoctorOptions } from './commands/doctor.js';
import type { ServeCommandOptions } from './commands/serve.js';
import { Relay, relayHandlers } from '../gateway/relay.js';
import { statusCommand, type StatusOptions } from './commands/status.js';
import { toolsCommand, type ToolsOptions } from './commands/tools.js';
import { durationRange, isDuration } from '../util/duration.js';
import { LOG_FORMATS, LOG_LEVELS } from '../log/logger.js';
import { describeError } from './errors.js';
import { processIo, type CliIo } from './io.js';
import { loadConfig } from '../config/load.js';
import { serversForTool } from './select.js';
import {
  chooseConfig,
  CLI_CLIENT_INFO,
  DOCTOR_TIMEOUT_MS,
  withHost,
  type CommonOptions,
  type RunContext,
} from './session.js';
import { lazyModule } from '../util/lazy-module.js';
import type { Host } from '../api.js';

/** `berth doctor`, loaded when it runs (its report brings Ajv, which no other command needs up front). */
const doctor = lazyModule(() => import('./commands/doctor.js'));

/** `--timeout <ms>`: digits only, and within what a timer honours (see `util/duration.ts`). */
function milliseconds(value: string): number {
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || !isDuration(n)) {
    throw new InvalidArgumentError(`expected ${durationRange()}`);
  }
  return n;
}

/** `--key <key>`: any text but the empty string (which would silently be a key of its own). */
function nonEmpty(value: string): string {
  if (value === '')
    throw new InvalidArgumentError('expected a non-empty key (a conversation, thread or user id)');
  return value;
}

/** Adds the options every command takes. */
function common(command: Command): Command {
  return command
    .option('-c, --config <path>', 'config file (JSON or JSONC); default: the built-in demo servers')
    .option('--json', 'print JSON on stdout (nothing else)')
    .addOption(
      new Option('--log-level <level>', 'log level on stderr (default: info for serve, else error)').choices(
        LOG_LEVELS,
      ),
    )
    .addOption(
      new Option('--log-format <format>', 'log format (default: pretty on a terminal, else json)').choices(
        LOG_FORMATS,
      ),
    );
}

/**
 * `berth call`: starts only the servers the tool name can belong to (so a slow or broken server the
 * call does not need stays off its path), within `--timeout` for start-up and call together. If the
 * name is not among their tools, it runs again on every server, whose catalog gives the suggestions.
 */
async function callAction(
  tool: string,
  args: Record<string, unknown>,
  options: CommonOptions & CallCommandOptions,
  io: CliIo,
): Promise<number> {
  // --timeout bounds the whole command: loading the config, starting servers and the call.
  const timeout =
    options.timeout === undefined ? undefined : { ms: options.timeout, at: Date.now() + options.timeout };
  const loaded = await loadConfig(chooseConfig(options.config).config);
  const only = serversForTool(
    tool,
    [...loaded.servers, ...loaded.invalid].map((s) => s.name),
  );
  const run = (selection: readonly string[] | undefined, announce: boolean) =>
    withHost(
      options,
      io,
      (host, context) => {
        if (selection && !host.tool(tool) && host.status().every((s) => s.state === 'ready')) return RETRY;
        return callCommand(host, tool, args, options, io, context);
      },
      { ...(selection && { only: selection }), ...(timeout && { timeout }), announce, loaded },
    );
  const code = await run(only, true);
  return code === RETRY ? run(undefined, false) : code;
}

/** `berth serve`: the config's gateway section (with `--listen`), a relay, and a host that feeds it. */
async function serveAction(options: CommonOptions & ServeCommandOptions, io: CliIo): Promise<number> {
  // Loaded here, not with the program: the gateway brings the MCP server SDK, which no other command needs.
  const [{ serveCommand, withListen, withMetrics, withStatus }, { followConfigSecrets }] = await Promise.all([
    import('./commands/serve.js'),
    import('./status-secrets.js'),
  ]);
  const { config } = chooseConfig(options.config);
  const loaded = await loadConfig(config);
  const spec = withMetrics(
    withStatus(withListen(loaded.gateway, options.listen), options.status),
    options.metrics,
  );
  const relay = new Relay(ASK_TIMEOUT_MS);
  const run = async (host: Host, context: RunContext) => {
    const secrets = followConfigSecrets(host, config, loaded);
    try {
      return await serveCommand(host, spec, relay, options, io, context, { secrets: () => secrets.values() });
    } finally {
      await secrets.close();
    }
  };
  return withHost(options, io, run, {
    host: { ...relayHandlers(relay), watch: options.config !== undefined },
    stopsOnSignal: true,
    defaultLogLevel: 'info',
    loaded,
  });
}

/** How long an upstream server's sampling or elicitation request may wait for the gateway client. */
const ASK_TIMEOUT_MS = 10 * 60_000;

/** The exit code a narrowed `berth call` uses to ask for a run on every server (never a real exit). */
const RETRY = -1;

/** Builds the program. Each action sets `process.exitCode`; `io` receives all output. */
export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command('berth')
    .description('A supervised host for Model Context Protocol (MCP) servers.')
    .version(CLI_CLIENT_INFO.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .addHelpText(
      'after',
      `
Without --config, berth runs two demo servers (counter, toolbox). Try:
  berth tools
  berth call counter__increment '{"by": 2}'
  berth status

Set BERTH_DEBUG=1 to print stack traces with errors.`,
    );

  common(program.command('tools'))
    .description('list the tools of every server (catalog name, server, description)')
    .action(async (options: CommonOptions & ToolsOptions) => {
      process.exitCode = await withHost(options, io, (host) => toolsCommand(host, options, io));
    });

  common(program.command('call'))
    .description('call a tool and print its result (exit code 1 on an error)')
    .argument('<tool>', 'catalog name of the tool, e.g. counter__increment')
    .argument('[json-args]', 'arguments as a JSON object, e.g. \'{"by": 2}\' (default {})')
    .addOption(
      new Option('-t, --timeout <ms>', 'deadline for the call in milliseconds').argParser(milliseconds),
    )
    .addOption(
      new Option('-k, --key <key>', 'session key, for a server whose session scope is "keyed"').argParser(
        nonEmpty,
      ),
    )
    .action(async (tool: string, json: string | undefined, options: CommonOptions & CallCommandOptions) => {
      const args = parseArguments(json); // before any server starts
      process.exitCode = await callAction(tool, args, options, io);
    });

  common(program.command('status'))
    .description('show each server: state, pid, tools, restarts, last error (exit code 1 if one failed)')
    .option('-v, --verbose', 'also show each server’s full last error, config issues and stderr tail')
    .action(async (options: CommonOptions & StatusOptions) => {
      process.exitCode = await withHost(options, io, (host) => statusCommand(host, options, io));
    });

  common(program.command('serve'))
    .description('serve every configured server as one MCP endpoint (HTTP on 127.0.0.1:7077/mcp by default)')
    .option(
      '-l, --listen <host:port>',
      "where to listen, over the config's gateway.listen (port 0: any free port)",
    )
    .option('--stdio', 'serve one client on stdin/stdout (what desktop apps spawn) instead of HTTP')
    .option('--status', 'also serve a live status page at /status, behind the same auth (gateway.status)')
    .option(
      '--metrics [host:port]',
      "serve Prometheus metrics: at /metrics behind the endpoint's auth, or on their own listener at host:port (needs @opentelemetry/api and @opentelemetry/exporter-prometheus)",
    )
    .action(async (options: CommonOptions & ServeCommandOptions) => {
      process.exitCode = await serveAction(options, io);
    });

  common(program.command('doctor'))
    .description('check every configured server and say what is wrong (exit code 1 if one fails)')
    .option('-s, --server <name...>', 'check only these servers')
    .addOption(
      new Option(
        '-t, --timeout <ms>',
        `each server's start-up deadline in milliseconds (default ${DOCTOR_TIMEOUT_MS})`,
      ).argParser(milliseconds),
    )
    .action(async (options: DoctorOptions) => {
      const { doctorCommand } = await doctor.load();
      process.exitCode = await doctorCommand(options, io);
    });

  program
    .command('demo')
    .description('a short tour on the built-in demo servers: status, tools, and calls that keep state')
    .option('--json', 'print JSON on stdout (nothing else)')
    .action(async (options: { json?: boolean }) => {
      process.exitCode = await withHost(options, io, (host) => demoCommand(host, io, options));
    });

  return program;
}

/** Runs the CLI on `argv` (as `process.argv`); resolves when done, with `process.exitCode` set. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const io = processIo();
  // `berth … | head` closes stdout early, `2>&-`-like setups close stderr: neither is worth a crash
  // (which would skip closing the host), so a closed pipe just drops what is written to it.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  try {
    await buildProgram(io).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode; // commander has already printed the message (or help)
      return;
    }
    io.err(describeError(error));
    process.exitCode = 1;
  }
}
