/**
 * The catalog's report of tools a server listed that were left out as malformed: tagged with the
 * server, narrowed by the server's allow/deny filter (a nameless tool is always reported), and gone
 * when the server's listing no longer has them or the server is removed.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/catalog.js';
import { emptyListing } from '../../src/session/connection.js';

const noFilter = { allow: [], deny: [] };

describe('Catalog.invalidTools', () => {
  it('reports each server’s left-out tools, through its filter', () => {
    const catalog = new Catalog();
    catalog.setServer(
      'a',
      {
        ...emptyListing(),
        invalidTools: [
          { name: 'bad_one', position: 1, problem: 'inputSchema.type: expected "object"' },
          { name: 'hidden_bad', position: 2, problem: 'x' },
          { position: 3, problem: 'name: expected string' },
        ],
      },
      { allow: [], deny: ['hidden_*'] },
    );
    catalog.setServer('b', emptyListing(), noFilter);
    expect(catalog.invalidTools()).toEqual([
      { server: 'a', name: 'bad_one', position: 1, problem: 'inputSchema.type: expected "object"' },
      { server: 'a', position: 3, problem: 'name: expected string' },
    ]);
    expect(catalog.invalidTools('b')).toEqual([]);
    expect(catalog.invalidTools('nope')).toEqual([]);

    catalog.setServer('a', emptyListing(), noFilter);
    expect(catalog.invalidTools()).toEqual([]);
    catalog.setServer(
      'a',
      { ...emptyListing(), invalidTools: [{ name: 'x', position: 1, problem: 'p' }] },
      noFilter,
    );
    catalog.removeServer('a');
    expect(catalog.invalidTools()).toEqual([]);
  });
});
