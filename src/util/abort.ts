/**
 * Small helpers for waits that must end: every wait here is bounded by an AbortSignal and removes its
 * listener and timer when it settles, so nothing lingers after the thing waited for is gone.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves when `signal` aborts; `dispose()` removes the listener if it never does. */
export function onAbort(signal: AbortSignal): { promise: Promise<void>; dispose: () => void } {
  if (signal.aborted) return { promise: Promise.resolve(), dispose: () => {} };
  let listener!: () => void;
  const promise = new Promise<void>((resolve) => {
    listener = () => resolve();
    signal.addEventListener('abort', listener, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', listener) };
}

/** Waits `ms`, or less if `signal` aborts first. Never rejects. */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => {});
}

/** Waits for `promise` to settle, or `ms` at most; true if it settled in time. The timer never outlives the wait. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      sleep(ms, false, { signal: timer.signal }).catch(() => false),
    ]);
  } finally {
    timer.abort();
  }
}

/** How a bounded wait ended. */
export type WaitOutcome = 'woken' | 'timeout' | 'aborted';

/**
 * Waits until `subscribe`'s wake callback fires, `deadline` (ms since epoch) passes, or `signal`
 * aborts. `subscribe` registers the wake callback and returns its unregister function; the timer,
 * the abort listener and the registration are all released when the wait ends.
 */
export function waitForWake(
  subscribe: (wake: () => void) => () => void,
  deadline: number,
  signal?: AbortSignal,
): Promise<WaitOutcome> {
  if (signal?.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    let unsubscribe = () => {};
    const finish = (outcome: WaitOutcome) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unsubscribe();
      resolve(outcome);
    };
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), Math.max(0, deadline - Date.now()));
    signal?.addEventListener('abort', onAbort, { once: true });
    unsubscribe = subscribe(() => finish('woken'));
  });
}

/**
 * Waits until `promise` settles (either way), `deadline` (ms since epoch) passes, or `signal` aborts;
 * says which. The promise is not cancelled: the caller only stops waiting for it.
 */
export function settledBy(
  promise: Promise<unknown>,
  deadline: number,
  signal?: AbortSignal,
): Promise<WaitOutcome> {
  return waitForWake(
    (wake) => {
      let listening = true;
      const settle = () => listening && wake();
      promise.then(settle, settle);
      return () => (listening = false);
    },
    deadline,
    signal,
  );
}
