// A 2025 session's replay buffer: resumes a stream after an event, keeps streams apart, and refuses a
// resume whose events were dropped for the byte budget instead of replaying with a gap.
import { describe, expect, it } from 'vitest';
import { SessionEventStore } from '../../src/gateway/event-store.js';

const note = (n: number, pad = 0) => ({
  jsonrpc: '2.0' as const,
  method: 'n',
  params: { n, pad: 'x'.repeat(pad) },
});

async function replay(store: SessionEventStore, after: string): Promise<number[]> {
  const seen: number[] = [];
  await store.replayEventsAfter(after, {
    send: async (_id, message) => void seen.push((message as unknown as { params: { n: number } }).params.n),
  });
  return seen;
}

describe('SessionEventStore', () => {
  it('replays the events of the same stream after the last one seen', async () => {
    const store = new SessionEventStore();
    const a1 = await store.storeEvent('a', note(1));
    await store.storeEvent('b', note(2));
    await store.storeEvent('a', note(3));
    await store.storeEvent('a', note(4));
    expect(await store.getStreamIdForEventId(a1)).toBe('a');
    expect(await replay(store, a1)).toEqual([3, 4]);
  });

  it('refuses a resume whose events were dropped for the budget', async () => {
    const store = new SessionEventStore();
    const first = await store.storeEvent('a', note(1));
    for (let i = 2; i < 8; i++) await store.storeEvent('a', note(i, 300_000));
    await expect(replay(store, first)).rejects.toThrow(/no longer kept/);
    await expect(replay(store, 'garbage')).rejects.toThrow(/unknown event id/);
  });
});
