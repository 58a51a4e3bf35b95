/**
 * Session scopes against real server processes: shared and keyed sessions keep state across calls,
 * keys are isolated, per-call sessions are fresh every call, and a server's tool list is fetched once
 * per configuration whatever the number of sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHost,
  KeyRequiredError,
  NotSupportedError,
  type Host,
  type HostEvent,
} from '../../src/index.js';
import { alive, fixture, hostFixture, pidFile, text, waitFor } from '../helpers.js';

describe('session scopes', () => {
  let host: Host;
  const shared = pidFile();
  const keyed = pidFile();
  const perCall = pidFile();
  const events: HostEvent[] = [];

  beforeAll(async () => {
    host = await createHost(
      {
        mcpServers: {
          shared: fixture([], {}, shared),
          keyed: fixture([], { session: 'keyed' }, keyed),
          fresh: fixture([], { session: 'per-call' }, perCall),
        },
      },
      { onEvent: (event) => void events.push(event) },
    );
  });
  afterAll(async () => {
    await host.close();
    expect(alive([...shared.pids(), ...keyed.pids(), ...perCall.pids()])).toEqual([]);
  });

  it('shared: one persistent session for every caller', async () => {
    await host.callTool('shared__increment', {}, { key: 'a' });
    await host.callTool('shared__increment', {}, { key: 'b' });
    expect(text(await host.callTool('shared__get'))).toBe('2');
    expect(shared.pids('server')).toHaveLength(1);
  });

  it('keyed: state persists per key, and two keys are isolated', async () => {
    await host.callTool('keyed__increment', { by: 1 }, { key: 'alice' });
    await host.callTool('keyed__increment', { by: 1 }, { key: 'alice' });
    await host.callTool('keyed__increment', { by: 10 }, { key: 'bob' });
    expect(text(await host.callTool('keyed__get', {}, { key: 'alice' }))).toBe('2');
    expect(text(await host.callTool('keyed__get', {}, { key: 'bob' }))).toBe('10');
    const alicePid = text(await host.callTool('keyed__pid', {}, { key: 'alice' }));
    const bobPid = text(await host.callTool('keyed__pid', {}, { key: 'bob' }));
    expect(alicePid).not.toBe(bobPid);
    const sessions = host.status().find((s) => s.name === 'keyed')?.sessions ?? [];
    expect(sessions.map((s) => s.key).sort()).toEqual(['alice', 'bob']);
    expect(events.filter((e) => e.type === 'session:opened' && e.server === 'keyed')).toHaveLength(2);
  });

  it('keyed: a call without a key is refused with a clear error', async () => {
    await expect(host.callTool('keyed__get')).rejects.toBeInstanceOf(KeyRequiredError);
    await expect(host.callTool('keyed__get')).rejects.toThrow(/session scope "keyed": pass a key/);
  });

  it('per-call: every call gets a fresh session and a fresh state', async () => {
    expect(text(await host.callTool('fresh__increment', { by: 1 }))).toBe('1');
    expect(text(await host.callTool('fresh__increment', { by: 1 }))).toBe('1');
    // Not only when calls come too fast to reuse anything: once a used session is done with (its
    // process gone), the next call still gets a fresh one.
    const used = Number(text(await host.callTool('fresh__pid')));
    expect(await waitFor(() => alive([used]).length === 0)).toBe(true);
    expect(text(await host.callTool('fresh__increment', { by: 1 }))).toBe('1');
    const pids = await Promise.all([1, 2, 3].map(() => host.callTool('fresh__pid').then(text)));
    expect(new Set(pids).size).toBe(3);
  });

  it('fetches each server’s tool list once per configuration, not once per session', () => {
    // keyed: the probe listed the tools (and became the first key's session); the other did not list again.
    expect(keyed.count('tools-list')).toBe(1);
    expect(perCall.count('tools-list')).toBe(1);
    expect(keyed.pids('server').length).toBeGreaterThanOrEqual(2);
    expect(host.tools().filter((t) => t.server === 'keyed')).toHaveLength(
      host.tools().filter((t) => t.server === 'shared').length,
    );
  });
});

describe('what only a shared session can do', () => {
  it('a keyed or per-call server refuses subscriptions and authorization with NOT_SUPPORTED', async () => {
    await using fx = await hostFixture({
      k: fixture([], { session: 'keyed' }),
      p: fixture(['--name=p'], { session: 'per-call' }),
    });
    for (const server of ['k', 'p']) {
      const subscribing = fx.host.subscribeResource('fixture://state', { server });
      await expect(subscribing).rejects.toBeInstanceOf(NotSupportedError);
      await expect(subscribing).rejects.toThrow(/resource subscriptions need a shared session/);
      await expect(fx.host.finishAuth(server, 'code')).rejects.toMatchObject({
        code: 'NOT_SUPPORTED',
        server,
      });
    }
    await fx.host.closeKey('nobody'); // a key no server has: nothing to end, nothing thrown
  });
});
