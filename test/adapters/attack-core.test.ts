/**
 * Attacks on the adapters' shared core (`ToolBinding`) against real fixture servers, framework-free:
 * every failure of `call()` is a rejection (an adapter or a framework that chains on the promise
 * never sees a synchronous throw), whatever fails: a closed host, a key function that throws.
 */
import { describe, expect, it } from 'vitest';
import { ToolBinding } from '../../src/adapters/core/index.js';
import { counterHost } from './frameworks.js';

/** What calling `run` did: returned a promise that rejected with what, or threw at once. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  let promise: Promise<unknown>;
  try {
    promise = run();
  } catch (error) {
    return `threw ${(error as { code?: string }).code ?? (error as Error).message}`;
  }
  return promise.then(
    () => 'resolved',
    (error: unknown) => `rejected ${(error as { code?: string }).code ?? (error as Error).message}`,
  );
}

describe('ToolBinding.call under attack', () => {
  it('a closed host and a key function that throws reject; nothing throws synchronously', async () => {
    await using fx = await counterHost();
    const throwing = new ToolBinding<{ id?: string }>(fx.host, {
      key: () => {
        throw new Error('no session cookie');
      },
    });
    expect(await outcome(() => throwing.call('counter__get', {}, { context: {} }))).toBe(
      'rejected no session cookie',
    );
    const keyed = new ToolBinding(fx.host, { key: 'k' });
    expect(await outcome(() => keyed.call('counter__get', {}))).toBe('resolved');
    await fx.host.close();
    expect(await outcome(() => keyed.call('counter__get', {}))).toBe('rejected HOST_CLOSED');
  }, 60_000);
});
