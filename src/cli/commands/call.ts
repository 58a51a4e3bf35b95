/**
 * `berth call <tool> [json-args]`: parses the arguments (a JSON object), calls the tool through the
 * host, and prints the result: its text content plainly, or with `--json` the whole `CallToolResult`.
 * A result with `isError`, or a call that fails, exits 1; failures get hints (nearby names, servers
 * that are down, the tool's expected arguments).
 */
import { CallTimeoutError, InvalidArgumentsError, UnknownNameError, type Host } from '../../api.js';
import { describeError, UsageError } from '../errors.js';
import { renderContent, schemaSignature } from '../format.js';
import type { CliIo } from '../io.js';
import { ProgressBar } from '../progress.js';
import { warnUnavailable } from './status.js';

/** Options of `berth call`. */
export interface CallCommandOptions {
  json?: boolean;
  /** Deadline for the call in milliseconds (default: the server's `callTimeoutMs`). */
  timeout?: number;
  /** The session key, for a server with `"session": "keyed"`. */
  key?: string;
}

/**
 * Parses the `[json-args]` operand: absent means `{}`; otherwise it must be a JSON object. Throws a
 * `UsageError` that says what is wrong and shows the expected form.
 */
export function parseArguments(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`invalid JSON arguments: ${reason}; expected a JSON object such as '{"by": 2}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new UsageError(`invalid arguments: expected a JSON object such as '{"by": 2}', got ${kind}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Calls `tool` with `args` and prints the outcome; returns the exit code (0, or 1 on any failure).
 * With a `deadline` (the run's `--timeout`, which start-up has already used part of), the call gets
 * what is left of it.
 */
export async function callCommand(
  host: Host,
  tool: string,
  args: Record<string, unknown>,
  options: CallCommandOptions,
  io: CliIo,
  context: { signal?: AbortSignal; deadline?: number } = {},
): Promise<number> {
  const { signal, deadline } = context;
  const timeoutMs = deadline === undefined ? options.timeout : Math.max(1, deadline - Date.now());
  // The server's progress, as a bar on stderr while the call runs, when stderr is a terminal.
  const bar = io.terminal && new ProgressBar(io.terminal, tool);
  let result;
  try {
    try {
      result = await host.callTool(tool, args, {
        timeoutMs,
        signal,
        key: options.key,
        ...(bar && { onProgress: (progress) => bar.update(progress) }),
      });
    } finally {
      bar?.clear(); // before anything else is written
    }
  } catch (error) {
    io.err(describeError(error));
    if (error instanceof CallTimeoutError && deadline !== undefined && options.timeout !== undefined) {
      io.err(`berth: --timeout ${options.timeout} ms covers starting the server and the call`);
    } else if (error instanceof UnknownNameError) {
      warnUnavailable(host, io);
      io.err('berth: run `berth tools` to list the tools');
    } else if (error instanceof InvalidArgumentsError) {
      const known = host.tools().find((t) => t.name === tool);
      if (known) io.err(`berth: ${tool} takes ${schemaSignature(known.inputSchema)}`);
    }
    return 1;
  }

  if (options.json) {
    io.out(JSON.stringify(result, null, 2));
    return result.isError ? 1 : 0;
  }
  const text = renderContent(result);
  if (result.isError) {
    io.err(`berth: tool "${tool}" returned an error${text ? `:\n${text}` : ''}`);
    return 1;
  }
  if (text) io.out(text);
  return 0;
}
