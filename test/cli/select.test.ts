/**
 * Which servers `berth call` starts for a tool name: every server whose tools could carry that
 * catalog name (sanitized, shortened and clash-suffixed names included), and no other.
 */
import { describe, expect, it } from 'vitest';
import { NameTable, type NameOrigin } from '../../src/catalog/naming.js';
import { serversForTool } from '../../src/cli/select.js';

describe('serversForTool', () => {
  it('picks the server named by the prefix', () => {
    expect(serversForTool('github__search', ['github', 'slow', 'fs'])).toEqual(['github']);
  });

  it('matches sanitized server names', () => {
    expect(serversForTool('my_server__run', ['my.server', 'my server', 'other'])).toEqual([
      'my.server',
      'my server',
    ]);
  });

  it('keeps every server whose name could be split at a "__"', () => {
    expect(serversForTool('a__b__t', ['a', 'a__b', 'b'])).toEqual(['a', 'a__b']);
  });

  it('gives up (undefined: all servers) when no server matches or the name is a bare digest', () => {
    expect(serversForTool('nope__tool', ['github'])).toBeUndefined();
    expect(serversForTool('notool', ['github'])).toBeUndefined();
    expect(serversForTool('a'.repeat(0) + 'f'.repeat(64), ['github'])).toBeUndefined();
  });

  it('matches a cut server part when the name ends in a digest', () => {
    const long = 'a-very-long-server-name-that-goes-on-and-on';
    expect(serversForTool('a-very-long-server-name__tool_0123abcd', [long, 'other'])).toEqual([long]);
    expect(serversForTool('a-very-long-server-name__tool', [long])).toBeUndefined();
  });

  /**
   * The property that matters: for every catalog name in a table built from all servers, the
   * servers picked give (on their own) the same name for the same tool.
   */
  it.each<[string, NameOrigin[]]>([
    [
      'plain names',
      [
        { server: 'github', item: 'search' },
        { server: 'fs', item: 'read' },
        { server: 'slow', item: 'read' },
      ],
    ],
    [
      'a clash between sanitized servers',
      [
        { server: 'a.b', item: 't' },
        { server: 'a_b', item: 't' },
        { server: 'c', item: 't' },
      ],
    ],
    [
      'a clash across the separator',
      [
        { server: 'a', item: 'b__t' },
        { server: 'a__b', item: 't' },
        { server: 'z', item: 't' },
      ],
    ],
    [
      'long names, shortened with a digest',
      [
        { server: 'x'.repeat(40), item: 'y'.repeat(40) },
        { server: 'x'.repeat(40), item: 'y'.repeat(41) },
        { server: 'x'.repeat(39), item: 'y'.repeat(40) },
        { server: 'other', item: 'y'.repeat(70) },
      ],
    ],
    [
      'names that need sanitizing',
      [
        { server: 'my server 🚀', item: 'do it' },
        { server: 'my_server__', item: 'do_it' },
        { server: 'plain', item: 'x' },
      ],
    ],
  ])('picks servers that name each tool alike on their own (%s)', (_label, origins) => {
    const all = NameTable.build(origins);
    const servers = [...new Set(origins.map((o) => o.server))];
    for (const [name, origin] of all.entries()) {
      const picked = serversForTool(name, servers) ?? servers;
      expect(picked, name).toContain(origin.server);
      const narrowed = NameTable.build(origins.filter((o) => picked.includes(o.server)));
      expect(narrowed.nameOf(origin.server, origin.item), name).toBe(name);
    }
  });
});
