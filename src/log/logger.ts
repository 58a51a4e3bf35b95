/**
 * berth's structured log: a pino logger that writes one JSON object per line (for machines: journald,
 * Docker, a log shipper) or one readable line per record (for a person at a terminal), at a level.
 * Every record passes through the same filters before it is written: keys that name secrets
 * (`authorization`, `token`, `auth.tokens`, cookies) are replaced by pino's `redact` and berth's
 * key-based `isSecretKey` (the rule of `redact`), every secret value berth knows is hidden wherever it appears (`SecretValues`),
 * foreign text is cut to a bound, and the readable form escapes control characters, so nothing a
 * server writes can forge or repaint a line.
 *
 * Writing is synchronous, into the caller's `write` (the CLI's stderr): nothing is buffered, so a
 * record written before the process ends is never lost, and no worker thread or timer exists to
 * outlive `close`. The readable form is formatted here, in the same call, rather than by
 * `pino-pretty` (which would bring a dozen dependencies and, as a transport, a worker thread).
 */
import { pino, type Logger as PinoLogger } from 'pino';
import { isSecretKey, REDACTED, SecretValues } from './secrets.js';
import { printable, truncate } from './text.js';

/** One log method: structured fields first, then the message (pino's calling convention). */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * What berth needs of a logger: pino's four levels, called as `log.info({ server }, 'message')`.
 * A pino logger is one; so is any object with these methods.
 */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

const nothing: LogMethod = () => undefined;

/** A logger that writes nothing: what the library uses when it is given none. */
export const SILENT_LOGGER: Logger = Object.freeze({
  error: nothing,
  warn: nothing,
  info: nothing,
  debug: nothing,
});

/** The levels, most severe first (pino's), and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object per line. `pretty`: one readable line per record. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
/** A log format. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Paths pino replaces before a record is serialized (berth's `redact` also catches any key that names a secret). */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'auth.tokens',
  'gateway.auth.tokens',
  'token',
  '*.token',
  'cookie',
  '*.cookie',
];

/** How to build a logger. */
export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Receives each finished line, without its newline (e.g. the CLI's stderr). */
  write: (line: string) => void;
  /** Secret values to hide wherever they appear (shared with whatever else prints). */
  secrets?: SecretValues;
}

/** Builds the logger: pino, writing synchronously into `options.write`. */
export function createLogger(options: LoggerOptions): PinoLogger {
  const secrets = options.secrets ?? new SecretValues();
  const clean = (value: unknown): unknown => cleanField(value, secrets);
  const format = options.format === 'pretty' ? prettyLine : (line: string) => line;
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => clean(fields) as Record<string, unknown>,
      },
      // The last word on every line: whatever got past the rest (the message itself) is hidden here.
      hooks: { streamWrite: (line) => secrets.scrub(line) },
    },
    { write: (line: string) => options.write(format(line.replace(/\n$/, ''))) },
  );
}

/**
 * A field as it may be written: errors as their name and message (not their properties, which may
 * hold a stderr tail), secret-named keys redacted, secret values hidden in strings before they are
 * cut (so a cut can never leave half of a secret), strings cut to a bound.
 */
function cleanField(value: unknown, secrets: SecretValues, depth = 0): unknown {
  if (typeof value === 'string') return truncate(secrets.scrub(value));
  if (value instanceof Error) return { name: value.name, message: truncate(secrets.scrub(value.message)) };
  if (value === null || typeof value !== 'object') return value;
  // Foreign data (a server's log message) may be deep or wide: past the bounds, its JSON text, cut.
  if (depth >= MAX_DEPTH) return truncate(secrets.scrub(safeJson(value)));
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => cleanField(item, secrets, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… (${value.length - MAX_ITEMS} more items)`] : items;
  }
  const entries = Object.entries(value);
  const kept = entries
    .slice(0, MAX_ITEMS)
    .map(([key, inner]) => [key, isSecretKey(key) ? REDACTED : cleanField(inner, secrets, depth + 1)]);
  if (entries.length > MAX_ITEMS) kept.push(['…', `${entries.length - MAX_ITEMS} more keys`]);
  return Object.fromEntries(kept);
}

/** How deep a field's objects are kept as objects. */
const MAX_DEPTH = 6;
/** How many items of an array, or keys of an object, a field keeps. */
const MAX_ITEMS = 100;

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '[unserializable]';
  }
}

/** Fields of a record that the readable line shows in its own place, or not at all. */
const FRAMED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * One JSON record as a readable line: `12:34:56.789 INFO  message key=value …`. Each field value is
 * printed with its control characters escaped; a multi-line string field follows on lines of its
 * own, each marked `  | `, so no line a server wrote can start a line of the log.
 */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return printable(json, { newlines: false });
  }
  const time = typeof record.time === 'string' ? clock(new Date(record.time)) : '';
  const level = typeof record.level === 'string' ? record.level.toUpperCase() : '';
  const message = typeof record.msg === 'string' ? printable(record.msg, { newlines: false }) : '';
  const inline: string[] = [];
  const blocks: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (FRAMED.has(key) || value === undefined) continue;
    const name = printable(key, { newlines: false });
    if (typeof value === 'string' && value.includes('\n')) {
      const lines = value.trimEnd().split('\n');
      blocks.push(
        `  ${name}:\n${lines.map((line) => `  | ${printable(line, { newlines: false })}`).join('\n')}`,
      );
    } else {
      inline.push(`${name}=${printable(scalar(value), { newlines: false })}`);
    }
  }
  const head = [time, level.padEnd(5), message, ...inline].filter((part) => part !== '').join(' ');
  return [head, ...blocks].join('\n');
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function clock(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** What decides the CLI's level and format. */
export interface LogSettingsInput {
  /** `--log-level`, when given. */
  level?: string;
  /** `--log-format`, when given. */
  format?: string;
  /** Where `BERTH_LOG_LEVEL` and `BERTH_LOG_FORMAT` are read from. */
  env: Record<string, string | undefined>;
  /** Whether the log goes to a terminal (then readable lines by default, else JSON lines). */
  isTTY: boolean;
  /** The level when neither the flag nor the variable says. */
  defaultLevel: LogLevel;
}

/**
 * The level and format: the flag, else the variable, else the default (the given level; `pretty` on
 * a terminal, `json` elsewhere). Throws a message naming the setting when a value is not one.
 */
export function logSettings(input: LogSettingsInput): { level: LogLevel; format: LogFormat } {
  const level = pick('--log-level', input.level, 'BERTH_LOG_LEVEL', input.env.BERTH_LOG_LEVEL, LOG_LEVELS);
  const format = pick(
    '--log-format',
    input.format,
    'BERTH_LOG_FORMAT',
    input.env.BERTH_LOG_FORMAT,
    LOG_FORMATS,
  );
  return {
    level: level ?? input.defaultLevel,
    format: format ?? (input.isTTY ? 'pretty' : 'json'),
  };
}

function pick<T extends string>(
  flag: string,
  flagValue: string | undefined,
  variable: string,
  variableValue: string | undefined,
  allowed: readonly T[],
): T | undefined {
  for (const [name, value] of [
    [flag, flagValue],
    [variable, variableValue],
  ] as const) {
    if (value === undefined || value === '') continue;
    const normal = value.trim().toLowerCase();
    if ((allowed as readonly string[]).includes(normal)) return normal as T;
    throw new Error(`${name}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return undefined;
}
