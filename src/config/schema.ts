/**
 * The raw shape of a config file's parts, before expansion and defaults: one server entry (the fields
 * Claude Desktop, Cursor, Claude Code and VS Code use, plus berth's own settings) and the top-level
 * `defaults`. Validation problems come back as JSON-path segments with messages in plain words.
 * Unknown keys of an entry are ignored: users' files carry other clients' keys (`autoApprove`,
 * `envFile`, …), except one that differs from a berth setting only in case. In berth's own objects
 * (`defaults`, `restart`, `tools`, `auth`, `capabilities`) an unknown key is reported.
 */
import { z } from 'zod';
import { durationRange, MAX_TIMER_MS, showValue, type DurationMinimum } from '../util/duration.js';
import { distance } from 'fastest-levenshtein';
import { jsonKind } from '../util/json.js';

/** One validation problem: where (path segments below the validated value) and what was expected. */
export interface Problem {
  path: (string | number)[];
  message: string;
}

/** The outcome of validating a value: the parsed data, or every problem found. */
export type Validated<T> = { ok: true; data: T } | { ok: false; problems: Problem[] };

/** The transports berth speaks. `streamable-http` and `streamableHttp` are accepted as `http`. */
export type Transport = 'stdio' | 'http' | 'sse';

const TYPE_ALIASES: Record<string, Transport> = {
  stdio: 'stdio',
  http: 'http',
  sse: 'sse',
  'streamable-http': 'http',
  streamableHttp: 'http',
};

function integer(min: 0 | 1, max?: { value: number; unit: string }) {
  const what = max
    ? `a whole number of ${max.unit} from ${min} to ${max.value}`
    : min === 1
      ? 'a positive integer'
      : 'a non-negative integer';
  const error = (issue: { input?: unknown }) => `expected ${what}, got ${showValue(issue.input)}`;
  const int = z.int({ error }).min(min, { error });
  return max ? int.max(max.value, { error }) : int;
}

/**
 * A duration in milliseconds, within what Node timers honour (see `util/duration.ts`): from 1, or
 * from 0 where 0 has a meaning of its own (`zero` says which), to 2^31−1.
 */
function duration(min: DurationMinimum, zero?: string) {
  const error = (issue: { input?: unknown }) =>
    `expected ${durationRange(min, zero)}, got ${showValue(issue.input)}`;
  return z.int({ error }).min(min, { error }).max(MAX_TIMER_MS, { error });
}

/** The most sessions `prewarm` may keep spawned ahead of need (each is a process). */
export const MAX_PREWARM = 64;
/** The largest stderr tail a server may keep (it is held in memory and shown in errors). */
export const MAX_STDERR_BUFFER_BYTES = 64 * 1024 * 1024;
/** The largest single message a server may send; above it a message cannot be held as one string. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

const positiveInt = integer(1);
const nonNegativeInt = integer(0);
const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });
const stringRecord = z.record(z.string(), z.string());

const settings = {
  startupTimeoutMs: duration(1).optional(),
  callTimeoutMs: duration(1).optional(),
  stdinGraceMs: duration(1).optional(),
  termGraceMs: duration(1).optional(),
  restart: z
    .strictObject({
      maxRestarts: nonNegativeInt.optional(),
      initialDelayMs: duration(0).optional(),
      maxDelayMs: duration(0).optional(),
      stableAfterMs: duration(0).optional(),
    })
    .optional(),
  inheritEnv: z.boolean().optional(),
  stderrBufferBytes: integer(1, { value: MAX_STDERR_BUFFER_BYTES, unit: 'bytes' }).optional(),
  session: z.enum(['shared', 'keyed', 'per-call']).optional(),
  maxSessions: positiveInt.optional(),
  idleTimeoutMs: duration(1).optional(),
  prewarm: integer(0, { value: MAX_PREWARM, unit: 'sessions' }).optional(),
  drainTimeoutMs: duration(0, 'do not wait').optional(),
  pingIntervalMs: duration(0, 'off').optional(),
  pingTimeoutMs: duration(1).optional(),
  retrySafe: z.boolean().optional(),
  maxMessageBytes: integer(1, { value: MAX_MESSAGE_BYTES, unit: 'bytes' }).optional(),
  start: z.enum(['eager', 'lazy']).optional(),
};

/**
 * The top-level `defaults` object: berth settings applied to every entry unless it overrides them.
 * It is berth's own, so an unknown key there (a typo such as `callTimeoutMS`) is reported, as it is
 * in berth's nested objects (`restart`, `tools`, `auth`, `capabilities`).
 */
export const defaultsSchema = z.strictObject(settings);

/** One server entry as written in the file. */
export const serverEntrySchema = z.object({
  command: nonEmpty.optional(),
  args: z.array(z.string()).optional(),
  env: stringRecord.optional(),
  cwd: nonEmpty.optional(),
  type: z.enum(Object.keys(TYPE_ALIASES) as [string, ...string[]]).optional(),
  url: nonEmpty.optional(),
  headers: stringRecord.optional(),
  disabled: z.boolean().optional(),
  tools: z
    .strictObject({ allow: z.array(nonEmpty).optional(), deny: z.array(nonEmpty).optional() })
    .optional(),
  roots: z.array(nonEmpty).optional(),
  era: z.enum(['auto', 'legacy']).optional(),
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('bearer'), token: nonEmpty }),
      z.strictObject({
        type: z.literal('client_credentials'),
        clientId: nonEmpty,
        clientSecret: nonEmpty,
        scope: nonEmpty.optional(),
      }),
      z.strictObject({
        type: z.literal('oauth'),
        scope: nonEmpty.optional(),
        clientId: nonEmpty.optional(),
        clientSecret: nonEmpty.optional(),
      }),
    ])
    .optional(),
  capabilities: z
    .strictObject({
      roots: z.boolean().optional(),
      sampling: z.boolean().optional(),
      elicitation: z.boolean().optional(),
    })
    .optional(),
  ...settings,
});

/** The validated top-level `defaults`. */
export type RawDefaults = z.output<typeof defaultsSchema>;

/** A validated server entry, with its transport settled (`type` given, or inferred from `command`/`url`). */
export type RawServerEntry = Omit<z.output<typeof serverEntrySchema>, 'type'> & { transport: Transport };

/** Turns zod's issues into plain words: "expected a string, got number". */
function readable(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = {
        boolean: 'true or false',
        int: 'an integer',
        record: 'an object',
        object: 'an object',
        array: 'an array',
      };
      const what = expected[issue.expected as keyof typeof expected] ?? `a ${issue.expected}`;
      return `expected ${what}, got ${jsonKind(issue.input)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${showValue(issue.input)}`;
    default:
      return undefined;
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown): Validated<T> {
  const result = schema.safeParse(value, { error: readable });
  if (result.success) return { ok: true, data: result.data };
  return {
    ok: false,
    problems: result.error.issues.flatMap((i) => {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      if (i.code !== 'unrecognized_keys') return [{ path, message: i.message }];
      // One problem per unknown key, at the key, with the nearest known ones.
      const known = knownKeys(schema, path);
      return i.keys.map((key) => ({ path: [...path, key], message: unknownKeyMessage(key, known) }));
    }),
  };
}

/** The keys the (strict) object at `path` inside `schema` accepts. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  for (const segment of path) {
    const shape = shapeOf(current);
    current = shape?.[String(segment)];
  }
  const shape = shapeOf(current);
  if (shape) return Object.keys(shape);
  // A discriminated union (auth): every variant's keys.
  const options = (unwrap(current) as { options?: unknown[] } | undefined)?.options ?? [];
  return [...new Set(options.flatMap((option) => Object.keys(shapeOf(option) ?? {})))];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { unwrap?: () => unknown } | undefined;
  while (current && typeof current.unwrap === 'function') current = current.unwrap() as typeof current;
  return current;
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  const shape = (unwrap(schema) as { shape?: unknown } | undefined)?.shape;
  return shape && typeof shape === 'object' ? (shape as Record<string, unknown>) : undefined;
}

/** The known keys nearest to `key` (case-insensitive, within a third of its length; the closest only). */
function nearestKeys(key: string, known: readonly string[]): string[] {
  const wanted = key.toLowerCase();
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  const scored = known
    .map((name) => [name, distance(wanted, name.toLowerCase())] as const)
    .filter(([, d]) => d <= limit);
  const best = Math.min(...scored.map(([, d]) => d));
  return scored
    .filter(([, d]) => d === best)
    .map(([name]) => name)
    .sort()
    .slice(0, 2);
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = nearestKeys(key, known);
  const hint = near.length ? `; did you mean ${near.map((k) => JSON.stringify(k)).join(' or ')}?` : '';
  return `unknown setting ${JSON.stringify(key)}${hint}`;
}

/** Entry keys that differ from a berth setting only in case (`callTimeoutMS`): typos, not other clients' keys. */
function caseTypos(raw: Record<string, unknown>): Problem[] {
  const known = Object.keys(serverEntrySchema.shape);
  const lower = new Map(known.map((key) => [key.toLowerCase(), key]));
  return Object.keys(raw)
    .filter((key) => !known.includes(key) && lower.has(key.toLowerCase()))
    .map((key) => ({ path: [key], message: unknownKeyMessage(key, [lower.get(key.toLowerCase())!]) }));
}

/** Validates the top-level `defaults` object. */
export function parseDefaults(value: unknown): Validated<RawDefaults> {
  return validate(defaultsSchema, value);
}

/**
 * Validates one server entry and settles its transport: `type` if given, else `stdio` for `command`
 * and `http` for `url`. An entry with both `command` and `url`, or neither, is a problem, as is a
 * `type` that does not match the field present.
 */
export function parseServerEntry(value: unknown): Validated<RawServerEntry> {
  const parsed = validate(serverEntrySchema, value);
  const problems = parsed.ok ? [] : parsed.problems;
  if (jsonKind(value) !== 'object') return { ok: false, problems };
  const raw = value as Record<string, unknown>;
  problems.push(...caseTypos(raw));
  const hasCommand = raw.command !== undefined;
  const hasUrl = raw.url !== undefined;
  const type =
    typeof raw.type === 'string' && Object.hasOwn(TYPE_ALIASES, raw.type)
      ? TYPE_ALIASES[raw.type]
      : undefined;
  if (hasCommand && hasUrl) {
    problems.push({
      path: [],
      message: 'has both "command" and "url"; expected "command" (stdio) or "url" (http/sse), not both',
    });
  } else if (!hasCommand && !hasUrl) {
    problems.push({ path: [], message: 'expected "command" (a stdio server) or "url" (an http/sse server)' });
  } else if (type === 'stdio' && !hasCommand) {
    problems.push({ path: ['type'], message: 'type "stdio" expects "command", but the entry has "url"' });
  } else if (type && type !== 'stdio' && !hasUrl) {
    problems.push({
      path: ['type'],
      message: `type ${JSON.stringify(raw.type)} expects "url", but the entry has "command"`,
    });
  }
  if (!parsed.ok || problems.length) return { ok: false, problems };
  const { type: _type, ...entry } = parsed.data;
  return { ok: true, data: { ...entry, transport: type ?? (hasCommand ? 'stdio' : 'http') } };
}
