// "Did you mean" suggestions: typos, bare tool names, cutoff and deterministic order.
import { describe, expect, it } from 'vitest';

import { suggestNames } from '../../src/catalog/suggest.js';

const CATALOG = [
  'counter__increment',
  'counter__decrement',
  'counter__reset',
  'files__read_file',
  'files__write_file',
  'files__list_directory',
  'weather__get_forecast',
];

describe('suggestNames', () => {
  it('suggests the nearest names for a typo', () => {
    expect(suggestNames('counter__incremnt', CATALOG)[0]).toBe('counter__increment');
    expect(suggestNames('files__raed_file', CATALOG)[0]).toBe('files__read_file');
  });

  it('treats a bare tool name as a strong match for <server>__<tool>', () => {
    expect(suggestNames('increment', CATALOG)).toEqual(['counter__increment', 'counter__decrement']);
    expect(suggestNames('get_forecast', CATALOG)).toEqual(['weather__get_forecast']);
    expect(suggestNames('reset', CATALOG)).toEqual(['counter__reset']);
  });

  it('matches a nearly-equal bare tool name', () => {
    expect(suggestNames('incremnt', CATALOG)[0]).toBe('counter__increment');
  });

  it('finds the tool under its real server when the server part is wrong', () => {
    expect(suggestNames('count__reset', CATALOG)).toEqual(['counter__reset']);
    expect(suggestNames('fs__read_file', CATALOG)[0]).toBe('files__read_file');
  });

  it('is case-insensitive', () => {
    expect(suggestNames('COUNTER__Increment', CATALOG)[0]).toBe('counter__increment');
    expect(suggestNames('Increment', CATALOG)[0]).toBe('counter__increment');
  });

  it('matches the tool part of a shortened name without its digest', () => {
    expect(suggestNames('increment', ['some_long_server__increment_0123abcd'])).toEqual([
      'some_long_server__increment_0123abcd',
    ]);
  });

  it('does not suggest wildly different names', () => {
    expect(suggestNames('zzz', CATALOG)).toEqual([]);
    expect(suggestNames('deploy_kubernetes_cluster', CATALOG)).toEqual([]);
    expect(suggestNames('', CATALOG)).toEqual([]);
  });

  it('orders by distance, then alphabetically, deterministically', () => {
    const candidates = ['b__echo', 'a__echo', 'c__echoo', 'echa'];
    expect(suggestNames('echo', candidates, 10)).toEqual(['a__echo', 'b__echo', 'c__echoo', 'echa']);
    expect(suggestNames('echo', [...candidates].reverse(), 10)).toEqual([
      'a__echo',
      'b__echo',
      'c__echoo',
      'echa',
    ]);
  });

  it('returns at most max names, each once', () => {
    const candidates = ['a__echo', 'a__echo', 'b__echo', 'c__echo', 'd__echo'];
    expect(suggestNames('echo', candidates)).toEqual(['a__echo', 'b__echo', 'c__echo']);
    expect(suggestNames('echo', candidates, 1)).toEqual(['a__echo']);
    expect(suggestNames('echo', candidates, 0)).toEqual([]);
  });

  it('accepts any iterable', () => {
    expect(suggestNames('reset', new Set(CATALOG))).toEqual(['counter__reset']);
  });
});
