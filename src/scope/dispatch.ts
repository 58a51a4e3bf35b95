/**
 * Sending a request to whichever runtime serves a server now. A runtime that is closing (a
 * replacement drains it) refuses each request it has not sent yet with a not-sent
 * `SessionClosedError` (see `isNotSent`) instead of holding it until its in-flight calls are done;
 * `requestOnCurrent` sends such a request again to the runtime that replaced it, within the same
 * deadline. So a caller that was waiting for a session (a keyed slot, a restart's backoff) when
 * `replace()` or `reload()` swapped the server completes on the new runtime, as every call must
 * complete on the old or the new one.
 */
import { CallTimeoutError } from '../errors.js';
import type { SendRequest } from '../session/handle.js';
import { isNotSent } from '../session/owner.js';
import type { ScopedRequestOptions, ServerRuntime } from './runtime.js';

/**
 * Runs `send` on `runtime`; if `runtime` refuses it unsent because it closed, and `current()` now
 * returns another runtime (its replacement), runs it there instead, within the deadline the first
 * attempt began. Any other error, or a close with no successor (removal, host close), is the
 * caller's.
 */
export async function requestOnCurrent<T>(
  runtime: ServerRuntime,
  current: () => ServerRuntime | undefined,
  send: SendRequest<T>,
  options: ScopedRequestOptions,
): Promise<T> {
  const { deadline } = options;
  let target = runtime;
  for (;;) {
    try {
      return await target.request(send, options);
    } catch (error) {
      const successor = current();
      if (!isNotSent(error) || !successor || successor === target) throw error;
      if (deadline.passed) {
        throw new CallTimeoutError(target.name, deadline.timeoutMs, false, { cause: error });
      }
      target = successor;
    }
  }
}
