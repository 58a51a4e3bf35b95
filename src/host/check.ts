/**
 * What a caller hands the host is checked where it enters berth, before anything is looked up or
 * sent: the types say what is allowed, but callers in plain JavaScript (or with `any`) are not
 * checked by them. A `timeoutMs` a timer cannot honour fires after ~1 ms; a `meta` that is not a plain
 * object would be sent as a malformed `_meta` the server may never answer; a `key` that is not a
 * string would open a keyed session per object; a name that is not a string fails deep inside.
 */
import { InvalidOptionError } from '../errors.js';
import { checkDuration, showValue } from '../util/duration.js';
import type { CallOptions } from './options.js';

/** Refuses call options of the wrong type or range with `INVALID_OPTION`, naming the option. */
export function checkCallOptions(options: CallOptions): void {
  const { meta, key, timeoutMs } = options as { meta?: unknown; key?: unknown; timeoutMs?: unknown };
  if (timeoutMs !== undefined) checkDuration(timeoutMs, 'timeoutMs');
  if (meta !== undefined && !isPlainObject(meta)) {
    throw new InvalidOptionError(
      'meta',
      `expected an object (sent as the request's _meta), got ${showValue(meta)}`,
    );
  }
  if (key !== undefined && typeof key !== 'string') {
    throw new InvalidOptionError(
      'key',
      `expected a string (a conversation, thread or user id), got ${showValue(key)}`,
    );
  }
}

/** Refuses a name or URI that is not a string (an untyped caller's `undefined`). */
export function checkString(value: unknown, what: string): void {
  if (typeof value !== 'string') {
    throw new InvalidOptionError(what, `expected a string, got ${showValue(value)}`);
  }
}

/** Refuses a skill entry that is not an object with a string `uri` (the SDK checks the rest). */
export function checkSkill(value: unknown): void {
  if (typeof value !== 'object' || value === null || typeof (value as { uri?: unknown }).uri !== 'string') {
    throw new InvalidOptionError(
      'skill',
      `expected a skill entry from listSkills(), got ${showValue(value)}`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
