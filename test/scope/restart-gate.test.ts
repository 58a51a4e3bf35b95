/**
 * The restart gate's backoff timer: when it fires, the gate opens, whatever `Date.now()` says.
 * Timers keep their own clock and may fire a millisecond before `Date.now()` reaches the end of the
 * backoff; a gate that then still said "closed" never reported `onOpen`, and a per-call pool waiting
 * for it stayed empty in `restarting` for good (seen as a flaky lifecycle test).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RestartGate } from '../../src/scope/restart-gate.js';
import { waitFor } from '../helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the restart gate', () => {
  it('opens when its backoff timer fires, even if Date.now() lags behind the timer', async () => {
    let opened = 0;
    const gate = new RestartGate(
      { maxRestarts: 5, initialDelayMs: 20, maxDelayMs: 20, stableAfterMs: 60_000 },
      { onRestartScheduled: () => {}, onFailed: () => {}, onOpen: () => void (opened += 1) },
    );
    try {
      gate.failure({});
      expect(gate.canStart()).toBe(false);
      // From here on Date.now() runs 50 ms behind the timers' clock (the case at its extreme).
      const now = Date.now.bind(Date);
      vi.spyOn(Date, 'now').mockImplementation(() => now() - 50);
      expect(await waitFor(() => opened === 1, 2_000)).toBe(true);
      expect(gate.canStart()).toBe(true);
    } finally {
      gate.close();
    }
  });
});
