/**
 * Agent-scoped toolsets: a key-bound, filtered view that opens nothing until a tool is called and
 * whose close ends that key's sessions.
 */
import { describe, expect, it } from 'vitest';
import { createHost, ToolsetClosedError, UnknownNameError } from '../../src/index.js';
import { alive, fixture, hostFixture, pidFile, text, waitFor } from '../helpers.js';

describe('toolsets', () => {
  it('bind calls to a key, filter the catalog, open nothing until used, and close their key', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { browser: fixture([], { session: 'keyed' }, pids), util: fixture(['--name=util']) },
    });
    try {
      const before = pids.pids('server').length;
      const many = Array.from({ length: 1_000 }, (_, i) => host.toolset({ key: `run-${i}` }));
      expect(many).toHaveLength(1_000);
      expect(pids.pids('server').length).toBe(before); // creating toolsets opened nothing

      const first = host.toolset({ key: 'conversation-1', servers: ['browser'] });
      const second = host.toolset({
        key: 'conversation-2',
        tools: ['browser__increment', 'browser__get', 'util__*'],
      });
      expect(first.tools().every((t) => t.server === 'browser')).toBe(true);
      expect(second.tools().map((t) => t.name)).toEqual(
        expect.arrayContaining(['browser__increment', 'browser__get', 'util__echo']),
      );
      expect(second.tools().some((t) => t.name === 'browser__crash')).toBe(false);
      await expect(second.callTool('browser__crash')).rejects.toBeInstanceOf(UnknownNameError);

      await first.callTool('browser__increment', { by: 3 });
      await second.callTool('browser__increment', { by: 5 });
      expect(text(await first.callTool('browser__get'))).toBe('3');
      expect(text(await second.callTool('browser__get'))).toBe('5');
      const pid = Number(text(await first.callTool('browser__pid')));

      await first.close();
      expect(alive([pid])).toEqual([]);
      expect(host.status()[0]?.sessions?.map((s) => s.key)).toEqual(['conversation-2']);
      {
        await using scoped = host.toolset({ key: 'conversation-3' });
        await scoped.callTool('browser__increment');
      }
      expect(host.status()[0]?.sessions?.map((s) => s.key)).toEqual(['conversation-2']);
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('a toolset is a boundary', () => {
  it('closed means closed: a later call is refused and opens no session for its key', async () => {
    await using fx = await hostFixture({ browser: fixture([], { session: 'keyed' }) });
    const tools = fx.host.toolset({ key: 'k' });
    const slow = tools.callTool('browser__sleep', { ms: 300 }); // in flight while close() begins
    const closing = tools.close();
    const late = await tools.callTool('browser__increment').catch((error: unknown) => error);
    expect(late).toBeInstanceOf(ToolsetClosedError);
    expect(text(await slow)).toBe('slept 300');
    await closing;
    expect(fx.host.status()[0]?.sessions?.map((s) => s.key)).toEqual([]);
    await tools.close(); // idempotent
  });

  it('its filter holds for the tools of a server still being added', async () => {
    await using fx = await hostFixture({ a: fixture() });
    const tools = fx.host.toolset({ key: 'k', servers: ['a'] });
    const adding = fx.host.add('b', fixture(['--name=b']));
    // Called while b starts: the name resolves only once b is ready, and must still be refused.
    expect(await waitFor(() => fx.events.some((e) => e.type === 'server:state' && e.server === 'b'))).toBe(
      true,
    );
    const call = await tools.callTool('b__increment').catch((error: unknown) => error);
    await adding;
    expect(call).toBeInstanceOf(UnknownNameError);
    expect(tools.tools().some((t) => t.server === 'b')).toBe(false);
  });
});
