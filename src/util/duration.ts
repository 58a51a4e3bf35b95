/**
 * The range of durations berth accepts, in one place. Node's timers take at most 2^31−1 ms; a longer
 * delay (or NaN, or a negative one) fires after about 1 ms, so an out-of-range `callTimeoutMs` would
 * time every call out at once and an out-of-range `pingIntervalMs` would ping in a tight loop. Every
 * duration is therefore checked where it enters berth (the config schema, the CLI, call options) and
 * rejected with a message that gives the allowed range.
 */
import { InvalidOptionError } from '../errors.js';
import { jsonKind } from './json.js';

/** The longest delay a Node timer honours: 2^31−1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The smallest allowed value: 1, or 0 for a setting where 0 has a meaning of its own (off, no wait). */
export type DurationMinimum = 0 | 1;

/**
 * The allowed range in words: `a whole number of milliseconds from 1 to 2147483647 (24.8 days)`.
 * With `min` 0 and `zero`, what 0 means is said too: `from 0 (off) to …`.
 */
export function durationRange(min: DurationMinimum = 1, zero?: string): string {
  const low = min === 0 && zero ? `0 (${zero})` : String(min);
  return `a whole number of milliseconds from ${low} to ${MAX_TIMER_MS} (24.8 days)`;
}

/** True when `value` is a whole number of milliseconds from `min` to {@link MAX_TIMER_MS}. */
export function isDuration(value: unknown, min: DurationMinimum = 1): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_TIMER_MS;
}

/** A value as a message shows it: numbers as written (`NaN`, `-1`), strings quoted, others by kind. */
export function showValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return jsonKind(value);
}

/**
 * Returns `value` when it is a valid duration, else throws an {@link InvalidOptionError} naming the
 * option (`what`, e.g. `timeoutMs`), the allowed range and what was given. `NaN`, `Infinity`,
 * fractions, negatives, strings and values above {@link MAX_TIMER_MS} are all rejected; 0 only
 * when `min` is 0.
 */
export function checkDuration(value: unknown, what: string, min: DurationMinimum = 1): number {
  if (isDuration(value, min)) return value;
  throw new InvalidOptionError(what, `expected ${durationRange(min)}, got ${showValue(value)}`);
}
