/**
 * The one table of run.mjs when the calls and fleet parts ran together: every contender in a row,
 * each figure's median over runs, with its ratio to berth's (the `berth` contender: shared scope)
 * in parentheses. Min and max are in the per-part tables below it.
 */
import { displayName, nodeFootnote } from './lib/node-binary.mjs';

const BASELINE = 'berth';

const fmt = {
  us: (n) => n.toFixed(1),
  rate: (n) => Math.round(n).toLocaleString('en-US'),
  ms: (n) => Math.round(n).toLocaleString('en-US'),
  mib: (n) => n.toFixed(1),
};

export function renderCombined(report) {
  const calls = report.summary ?? {};
  const fleet = report.fleet?.summary ?? {};
  const names = [...new Set([...Object.keys(calls), ...Object.keys(fleet)])].sort((a, b) =>
    a === BASELINE ? -1 : b === BASELINE ? 1 : 0,
  );
  const base = { ...calls[BASELINE], ...fleet[BASELINE] };
  const value = (s, key, f) => {
    const v = s?.[key]?.median;
    if (v === undefined || v === null) return '–';
    const b = base[key]?.median;
    return b ? `${f(v)} (${(v / b).toFixed(2)}×)` : f(v);
  };
  const close = (c) => (c ? { median: c.ms.median } : undefined);
  const lines = [
    'All contenders, one run. Median over runs, (ratio to berth); lower is better except calls/s. ' +
      'Survivors: stubborn case / wrapper case.',
    '',
    '| contender | p50 µs | p99 µs | calls/s, 1,000 in flight | ready, 1 server ms | ready, 20 servers ms | 20 ÷ 1 | close 20, one stubborn ms | close 20, wrapper ms | survivors | host RSS, 20 idle MiB | state kept |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | :-: | --: | :-: |',
  ];
  base.closeStubbornMs = close(base.closeStubborn);
  base.closeWrapperMs = close(base.closeWrapper);
  for (const name of names) {
    const c = calls[name];
    const f = fleet[name] ? { ...fleet[name] } : undefined;
    if (f) {
      f.closeStubbornMs = close(f.closeStubborn);
      f.closeWrapperMs = close(f.closeWrapper);
    }
    const survivors =
      f?.closeStubborn || f?.closeWrapper
        ? `${f.closeStubborn?.survivors ?? '–'} / ${f.closeWrapper?.survivors ?? '–'}`
        : '–';
    lines.push(
      `| ${displayName(name, report.nodes?.[name])} | ${value(c, 'p50', fmt.us)} | ${value(c, 'p99', fmt.us)} | ${value(c, 'throughput', fmt.rate)} | ${value(f, 'ready1', fmt.ms)} | ${value(f, 'ready20', fmt.ms)} | ${f?.ready20over1 ? f.ready20over1.median.toFixed(2) : '–'} | ${value(f, 'closeStubbornMs', fmt.ms)} | ${value(f, 'closeWrapperMs', fmt.ms)} | ${survivors} | ${value(f, 'memoryMiB', fmt.mib)} | ${f?.state ?? '–'} |`,
    );
  }
  const footnote = nodeFootnote(report.nodes);
  if (footnote) lines.push('', footnote);
  return lines.join('\n');
}
