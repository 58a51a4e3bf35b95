// Catalog names: sanitizing, shortening, collision handling, reverse mapping and order independence.
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  CATALOG_NAME_MAX_LENGTH,
  CATALOG_NAME_PATTERN,
  NameTable,
  sanitizeNamePart,
  type NameOrigin,
} from '../../src/catalog/naming.js';
import { serversForTool } from '../../src/cli/select.js';

const HASHED = /_[0-9a-f]{8}$/;

/** The 8-hex digest naming.ts documents: sha256 of JSON.stringify([server, item]). */
function digest8(server: string, item: string): string {
  return createHash('sha256')
    .update(JSON.stringify([server, item]), 'utf8')
    .digest('hex')
    .slice(0, 8);
}

/** A small seeded PRNG (mulberry32), so shuffles are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** The table as a sorted list of `name -> [server, item]`, for comparing tables. */
function mapping(table: NameTable): string[] {
  return [...table.entries()].map(([name, o]) => `${name} -> ${JSON.stringify([o.server, o.item])}`).sort();
}

/** Every name is valid, unique, and maps back to exactly its origin. */
function expectSound(table: NameTable, origins: readonly NameOrigin[]): void {
  const distinct = new Set(origins.map((o) => JSON.stringify([o.server, o.item])));
  expect(table.size).toBe(distinct.size);
  const names = new Set<string>();
  for (const origin of origins) {
    const name = table.nameOf(origin.server, origin.item);
    expect(name, JSON.stringify(origin)).toBeDefined();
    expect(name).toMatch(CATALOG_NAME_PATTERN);
    expect(table.resolve(name!)).toEqual({ server: origin.server, item: origin.item });
    names.add(name!);
  }
  expect(names.size).toBe(distinct.size);
  expect(new Set(table.names())).toEqual(names);
}

const LONG_SERVER = 's'.repeat(199) + 'S';
const LONG_ITEM = 'tool_' + 't'.repeat(194) + 'T';

const TRICKY: NameOrigin[] = [
  { server: 'counter', item: 'increment' },
  { server: 'counter', item: 'decrement' },
  { server: 'a.b', item: 'x' },
  { server: 'a_b', item: 'x' },
  { server: 'a', item: 'b__c' },
  { server: 'a__b', item: 'c' },
  { server: 'my server', item: 'get weather' },
  { server: 'café', item: 'résumé' },
  { server: 'rocket', item: '🚀 launch' },
  { server: '日本語', item: 'ツール' },
  { server: LONG_SERVER, item: LONG_ITEM },
  { server: LONG_SERVER, item: LONG_ITEM.slice(0, -1) + 'U' },
  { server: 'short', item: LONG_ITEM },
  { server: LONG_SERVER, item: 'run' },
  { server: 'x', item: '' },
  { server: '', item: 'y' },
  { server: '1st', item: 'run' },
  { server: '-x', item: 'run' },
  { server: '_1st', item: 'run' },
  { server: '9', item: '' },
  { server: '-', item: '-' },
  { server: '1'.repeat(200), item: LONG_ITEM },
];

describe('sanitizeNamePart', () => {
  it('replaces each code point outside [a-zA-Z0-9_-] with one underscore', () => {
    expect(sanitizeNamePart('my.server v2')).toBe('my_server_v2');
    expect(sanitizeNamePart('café')).toBe('caf_');
    expect(sanitizeNamePart('🚀go')).toBe('_go');
    expect(sanitizeNamePart('ok_-AZ09')).toBe('ok_-AZ09');
  });
});

describe('NameTable names', () => {
  it('starts every name with a letter or _, also for a server named 1st or -x', () => {
    const table = NameTable.build([
      { server: '1st', item: 'run' },
      { server: '-x', item: 'run' },
      { server: '42', item: 'answer' },
      { server: '🚀', item: 'go' },
      { server: 'ok', item: '1tool' },
    ]);
    expect(table.nameOf('1st', 'run')).toBe('_1st__run');
    expect(table.nameOf('-x', 'run')).toBe('_-x__run');
    expect(table.nameOf('42', 'answer')).toBe('_42__answer');
    // Names that already start with a letter or _ are unchanged.
    expect(table.nameOf('🚀', 'go')).toBe('___go');
    expect(table.nameOf('ok', '1tool')).toBe('ok__1tool');
    for (const name of table.names()) expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/);
  });

  it('keeps 1st and _1st apart, both starting with _', () => {
    const origins = [
      { server: '1st', item: 'run' },
      { server: '_1st', item: 'run' },
    ];
    const table = NameTable.build(origins);
    expectSound(table, origins);
    expect(table.nameOf('1st', 'run')).toMatch(/^_1st__run_[0-9a-f]{8}$/);
    expect(table.nameOf('_1st', 'run')).toMatch(/^_1st__run_[0-9a-f]{8}$/);
  });

  it('lets `berth call` find the server behind a name it prefixed with _', () => {
    const name = NameTable.build([{ server: '1st', item: 'run' }]).nameOf('1st', 'run')!;
    expect(serversForTool(name, ['1st', 'other'])).toEqual(['1st']);
  });

  it('starts a shortened name of a long numeric server with _', () => {
    const server = '7'.repeat(100);
    const name = NameTable.build([{ server, item: 'tool' }]).nameOf(server, 'tool')!;
    expect(name).toHaveLength(CATALOG_NAME_MAX_LENGTH);
    expect(name).toMatch(/^_7+__tool_[0-9a-f]{8}$/);
  });

  it('keeps plain names plain when nothing collides', () => {
    const table = NameTable.build([
      { server: 'counter', item: 'increment' },
      { server: 'counter', item: 'decrement' },
      { server: 'files', item: 'read-file' },
    ]);
    expect(table.nameOf('counter', 'increment')).toBe('counter__increment');
    expect(table.nameOf('counter', 'decrement')).toBe('counter__decrement');
    expect(table.nameOf('files', 'read-file')).toBe('files__read-file');
  });

  it('sanitizes dotted, spaced and unicode names into the allowed alphabet', () => {
    const table = NameTable.build([
      { server: 'my.server', item: 'get weather' },
      { server: 'café', item: 'résumé' },
      { server: 'rocket', item: '🚀 launch' },
    ]);
    expect(table.nameOf('my.server', 'get weather')).toBe('my_server__get_weather');
    expect(table.nameOf('café', 'résumé')).toBe('caf___r_sum_');
    expect(table.nameOf('rocket', '🚀 launch')).toBe('rocket____launch');
  });

  it('shortens names over 64 characters to a readable prefix plus the origin digest', () => {
    const table = NameTable.build([{ server: LONG_SERVER, item: LONG_ITEM }]);
    const name = table.nameOf(LONG_SERVER, LONG_ITEM)!;
    expect(name).toHaveLength(CATALOG_NAME_MAX_LENGTH);
    expect(name).toMatch(CATALOG_NAME_PATTERN);
    expect(name.endsWith(`_${digest8(LONG_SERVER, LONG_ITEM)}`)).toBe(true);
    // Both parts stay recognisable: the server's start, the separator, then the tool's start.
    expect(name.startsWith('s'.repeat(16) + '__tool_ttt')).toBe(true);
  });

  it('gives a short tool of a long server its whole name', () => {
    const table = NameTable.build([{ server: LONG_SERVER, item: 'run' }]);
    const name = table.nameOf(LONG_SERVER, 'run')!;
    expect(name).toMatch(/^s+__run_[0-9a-f]{8}$/);
    expect(name).toHaveLength(CATALOG_NAME_MAX_LENGTH);
  });

  it('keeps a short server whole beside a long tool', () => {
    const table = NameTable.build([{ server: 'short', item: LONG_ITEM }]);
    expect(table.nameOf('short', LONG_ITEM)).toMatch(/^short__tool_t+_[0-9a-f]{8}$/);
  });

  it('keeps names of exactly 64 characters plain', () => {
    const item = 'i'.repeat(64 - 'srv__'.length);
    const table = NameTable.build([{ server: 'srv', item }]);
    expect(table.nameOf('srv', item)).toBe(`srv__${item}`);
  });

  it('gives distinct long names that share a prefix distinct shortened names', () => {
    const origins = [
      { server: LONG_SERVER, item: LONG_ITEM },
      { server: LONG_SERVER, item: LONG_ITEM.slice(0, -1) + 'U' },
    ];
    const table = NameTable.build(origins);
    expectSound(table, origins);
  });

  it('hashes both sides of a sanitizing collision (a.b vs a_b)', () => {
    const table = NameTable.build([
      { server: 'a.b', item: 'x' },
      { server: 'a_b', item: 'x' },
      { server: 'a_b', item: 'y' },
    ]);
    expect(table.nameOf('a.b', 'x')).toBe(`a_b__x_${digest8('a.b', 'x')}`);
    expect(table.nameOf('a_b', 'x')).toBe(`a_b__x_${digest8('a_b', 'x')}`);
    expect(table.nameOf('a_b', 'y')).toBe('a_b__y');
  });

  it('hashes both sides of a separator collision (a + b__c vs a__b + c)', () => {
    const table = NameTable.build([
      { server: 'a', item: 'b__c' },
      { server: 'a__b', item: 'c' },
    ]);
    const one = table.nameOf('a', 'b__c')!;
    const two = table.nameOf('a__b', 'c')!;
    expect(one).toMatch(/^a__b__c_[0-9a-f]{8}$/);
    expect(two).toMatch(/^a__b__c_[0-9a-f]{8}$/);
    expect(one).not.toBe(two);
    expect(table.resolve(one)).toEqual({ server: 'a', item: 'b__c' });
    expect(table.resolve(two)).toEqual({ server: 'a__b', item: 'c' });
  });

  it('resolves a plain name that looks like another origin’s hashed name', () => {
    const hashed = `a_b__x_${digest8('a.b', 'x')}`;
    const origins = [
      { server: 'a.b', item: 'x' },
      { server: 'a_b', item: 'x' },
      // Plain name equals the first origin's 8-digit name: every party to that clash moves on.
      { server: 'a_b', item: `x_${digest8('a.b', 'x')}` },
    ];
    const table = NameTable.build(origins);
    expectSound(table, origins);
    expect(table.nameOf('a_b', `x_${digest8('a.b', 'x')}`)).not.toBe(hashed);
    expect(table.nameOf('a.b', 'x')).toMatch(/^a_b__x_[0-9a-f]{16}$/);
  });

  it('never lets NUL characters or lone surrogates make two origins share a name', () => {
    const origins = [
      { server: 'a\u0000', item: 'b' },
      { server: 'a', item: '\u0000b' },
      { server: '\ud800', item: 'x' },
      { server: '\ud801', item: 'x' },
    ];
    expectSound(NameTable.build(origins), origins);
  });

  it('makes every tricky name valid, unique and exactly reversible', () => {
    const table = NameTable.build(TRICKY);
    expectSound(table, TRICKY);
    expect(table.nameOf('counter', 'increment')).toBe('counter__increment');
    expect(table.nameOf('x', '')).toBe('x__');
    expect(table.nameOf('', 'y')).toBe('__y');
    for (const name of table.names()) expect(name.length).toBeLessThanOrEqual(64);
  });

  it('is the same table for every input order', () => {
    const reference = mapping(NameTable.build(TRICKY));
    const random = prng(42);
    for (let round = 0; round < 50; round++) {
      expect(mapping(NameTable.build(shuffled(TRICKY, random)))).toEqual(reference);
    }
  });

  it('counts duplicate origins once', () => {
    const table = NameTable.build([
      { server: 'counter', item: 'increment' },
      { server: 'counter', item: 'increment' },
    ]);
    expect(table.size).toBe(1);
    expect(table.nameOf('counter', 'increment')).toBe('counter__increment');
  });

  it('answers undefined for unknown names and origins', () => {
    const table = NameTable.build([{ server: 'counter', item: 'increment' }]);
    expect(table.resolve('counter__nope')).toBeUndefined();
    expect(table.has('counter__increment')).toBe(true);
    expect(table.has('counter__nope')).toBe(false);
    expect(table.nameOf('counter', 'nope')).toBeUndefined();
    expect(table.nameOf('nope', 'increment')).toBeUndefined();
  });

  it('returns frozen origins', () => {
    const table = NameTable.build([{ server: 'counter', item: 'increment' }]);
    expect(Object.isFrozen(table.resolve('counter__increment'))).toBe(true);
  });

  it('stays sound and order-independent for many random, clashing names', () => {
    const random = prng(7);
    const alphabet = ['a', 'b', '.', '_', ' ', 'é', '-', '🚀'];
    const pick = (n: number): string =>
      Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const origins: NameOrigin[] = [];
    for (let i = 0; i < 3000; i++) {
      const server = pick(1 + Math.floor(random() * 3));
      const long = random() < 0.1;
      origins.push({
        server: long ? server.repeat(40) : server,
        item: pick(long ? 60 : 1 + Math.floor(random() * 4)),
      });
    }
    const table = NameTable.build(origins);
    expectSound(table, origins);
    expect(mapping(NameTable.build(shuffled(origins, random)))).toEqual(mapping(table));
    // Plenty of these collide, and they all ended up hashed; non-colliding short ones stayed plain.
    const names = [...table.names()];
    expect(names.some((n) => HASHED.test(n))).toBe(true);
    expect(names.some((n) => !HASHED.test(n))).toBe(true);
  });
});
