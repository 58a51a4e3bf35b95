/**
 * A server whose tools/list holds malformed tools (an inputSchema of type "string", no name, an empty
 * name, a name listed twice), against a real server process: the server starts, its valid tools are in
 * the catalog and callable, the bad ones are left out and reported on the listing with the reason, and
 * the same holds for the list fetched again after a list_changed notification.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { createHost, type HostEvent } from '../../src/index.js';
import { SessionOwner } from '../../src/session/owner.js';
import { Deadline } from '../../src/util/deadline.js';
import type { Listing } from '../../src/session/connection.js';
import { fixture, pidFile, text, waitFor } from '../helpers.js';

const BAD = '--invalid-tools=string-schema,no-name,empty-name,duplicate';

describe('a server listing malformed tools', () => {
  it('starts; its valid tools are in the catalog and work; the bad ones are left out', async () => {
    const host = await createHost({ mcpServers: { s: fixture([BAD]) } });
    try {
      expect(host.status()[0]).toMatchObject({ state: 'ready' });
      const names = host.tools().map((t) => t.name);
      expect(names).toContain('s__increment');
      expect(names).not.toContain('s__bad_schema');
      expect(names.filter((n) => n === 's__echo')).toHaveLength(1);
      // The first "echo" is kept, not the malformed repeat.
      expect(host.tools().find((t) => t.name === 's__echo')?.description).toBe('Echo a payload');
      expect(text(await host.callTool('s__increment', { by: 3 }))).toBe('3');

      // A list change is fetched the same way: the new tool arrives, the bad ones stay out.
      expect(text(await host.callTool('s__add-tool'))).toBe('ok');
      expect(await waitFor(() => host.tools().some((t) => t.name === 's__added'))).toBe(true);
      expect(host.tools().some((t) => t.name === 's__bad_schema')).toBe(false);
    } finally {
      await host.close();
    }
  });

  it('reports each left-out tool on the listing, with what is wrong with it', async () => {
    const { servers } = resolveConfig({ mcpServers: { s: fixture([BAD]) } }, '<inline>');
    const listings: Listing[] = [];
    const owner = new SessionOwner(servers[0]!, {
      clientInfo: { name: 'test', version: '0' },
      observer: {
        onState: () => {},
        onListing: (_o, listing) => listings.push(listing),
        onRestartScheduled: () => {},
      },
    });
    try {
      owner.start();
      await owner.settled();
      expect(owner.state).toBe('ready');
      const expected = [
        {
          name: 'bad_schema',
          position: expect.any(Number) as unknown,
          problem: expect.stringMatching(/^inputSchema\.type: /) as unknown,
        },
        {
          position: expect.any(Number) as unknown,
          problem: 'name: Invalid input: expected string, received undefined',
        },
        { position: expect.any(Number) as unknown, problem: 'name is empty' },
        {
          name: 'echo',
          position: expect.any(Number) as unknown,
          problem: 'name listed more than once (the first is kept)',
        },
      ];
      expect(owner.listing?.invalidTools).toEqual(expected);
      expect(owner.listing?.tools.some((t) => t.name === 'increment')).toBe(true);

      // After a list change, the refreshed listing reports them again (and has the new tool).
      await owner.request(
        (session, timeout) => session.callTool({ name: 'add-tool', arguments: {} }, { timeout }),
        {
          deadline: Deadline.in(10_000),
        },
      );
      expect(await waitFor(() => owner.listing?.tools.some((t) => t.name === 'added') ?? false)).toBe(true);
      expect(owner.listing?.invalidTools).toEqual(expected);
    } finally {
      await owner.close();
    }
  });

  it('a listener that throws on a list change does not make the refresh an unhandled rejection', async () => {
    const pids = pidFile();
    const { servers } = resolveConfig({ mcpServers: { s: fixture([], {}, pids) } }, '<inline>');
    let listings = 0;
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.message);
    process.on('warning', onWarning);
    const owner = new SessionOwner(servers[0]!, {
      clientInfo: { name: 'test', version: '0' },
      observer: {
        onState: () => {},
        onListing: () => {
          if (++listings > 1) throw new Error('listener broke');
        },
        onRestartScheduled: () => {},
      },
    });
    try {
      owner.start();
      await owner.settled();
      await owner.request(
        (session, timeout) => session.callTool({ name: 'add-tool', arguments: {} }, { timeout }),
        {
          deadline: Deadline.in(10_000),
        },
      );
      // The refresh happened and reached the listener, which threw: reported as a warning.
      expect(await waitFor(() => listings === 2 && warnings.length > 0)).toBe(true);
      expect(warnings[0]).toMatch(/server "s": applying a changed list failed: listener broke/);
    } finally {
      process.off('warning', onWarning);
      await owner.close();
    }
  });
});

describe('malformed tools, as the host reports them', () => {
  it('status() lists them with why, and a tools:invalid event names them, once', async () => {
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { s: fixture(['--invalid-tools=string-schema,no-name']) } },
      { onEvent: (e) => void events.push(e) },
    );
    try {
      const { invalidTools } = host.status()[0]!;
      expect(invalidTools).toHaveLength(2);
      expect(invalidTools?.every((t) => t.server === 's' && t.problem.length > 0)).toBe(true);
      const reported = events.filter((e) => e.type === 'tools:invalid');
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({ server: 's', tools: invalidTools });
      // A refresh that lists the same bad tools again is not a new report.
      await host.callTool('s__add-tool');
      expect(await waitFor(() => host.tools().some((t) => t.name === 's__added'))).toBe(true);
      expect(events.filter((e) => e.type === 'tools:invalid')).toHaveLength(1);
    } finally {
      await host.close();
    }
  });
});
