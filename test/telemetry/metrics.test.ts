// Metrics with the SDK's metric reader, from real fixture servers: the conventions' duration
// histograms (bucket advice, attributes, no high-cardinality ones) and berth's own gauges and
// counters (processes, sessions, calls in flight and waiting, open circuits, restarts, evictions).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { FIXTURE, fixture, hostFixture, waitFor, waitForAsync } from '../helpers.js';
import { histogramPoints, installOtel, type InstalledOtel } from './otel.js';

const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

let otel: InstalledOtel;
beforeEach(() => {
  otel = installOtel();
});
afterEach(async () => {
  await otel.uninstall();
});

/** The value of a gauge or counter for `server` (summed over its other attributes). */
function valueOf(metric: MetricData | undefined, server: string): number | undefined {
  const points = (metric?.dataPoints ?? []).filter((p) => p.attributes['berth.server.name'] === server);
  return points.length === 0 ? undefined : points.reduce((sum, p) => sum + (p.value as number), 0);
}

describe('metrics', () => {
  it('records mcp.client.operation.duration per method and outcome, with the advised buckets', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    await fx.host.callTool('fx__echo', { value: 'a' });
    await fx.host.callTool('fx__echo', { value: 'b' });
    await fx.host.callTool('fx__fail', {});
    const metric = (await otel.collect()).get('mcp.client.operation.duration');
    expect(metric?.descriptor.unit).toBe('s');
    const [echo] = histogramPoints(metric, { 'gen_ai.tool.name': 'echo' });
    expect(echo?.value.count).toBe(2);
    expect(echo?.value.buckets.boundaries).toEqual(BUCKETS);
    expect(echo?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'pipe',
      'berth.server.name': 'fx',
    });
    expect(echo?.attributes['mcp.protocol.version']).toBeTruthy();
    for (const point of metric!.dataPoints) {
      expect(point.attributes).not.toHaveProperty('jsonrpc.request.id');
      expect(point.attributes).not.toHaveProperty('mcp.session.id');
    }
    const [failed] = histogramPoints(metric, { 'gen_ai.tool.name': 'fail' });
    expect(failed?.attributes['error.type']).toBe('tool_error');
    expect(histogramPoints(metric, { 'mcp.method.name': 'initialize' })).toHaveLength(1);
  });

  it('records mcp.client.session.duration when a session ends, with error.type when it was lost', async () => {
    {
      await using fx = await hostFixture({ fx: fixture([], { restart: { initialDelayMs: 20 } }) });
      await expect(fx.host.callTool('fx__crash', {})).rejects.toThrow();
      await fx.host.callTool('fx__get', {}); // on the restarted session
      const live = (await otel.collect()).get('mcp.client.session.duration');
      const [lost] = histogramPoints(live, { 'berth.server.name': 'fx', 'error.type': 'connection_lost' });
      expect(lost?.value.count).toBe(1);
    }
    const ended = (await otel.collect()).get('mcp.client.session.duration');
    const closed = histogramPoints(ended, { 'berth.server.name': 'fx' }).filter(
      (p) => p.attributes['error.type'] === undefined,
    );
    expect(closed[0]?.value.count).toBe(1); // the restarted session, closed by the host
    expect(closed[0]?.value.buckets.boundaries).toEqual(BUCKETS);
  });

  it('gauges processes, sessions, calls in flight and open circuits per server and scope', async () => {
    await using fx = await hostFixture({
      shared: fixture(),
      broken: fixture(['--crash-on-start']),
    });
    const slow = fx.host.callTool('shared__sleep', { ms: 1_500 });
    expect(
      await waitForAsync(
        async () => valueOf((await otel.collect()).get('berth.calls.in_flight'), 'shared') === 1,
        10_000,
      ),
    ).toBe(true);
    const metrics = await otel.collect();
    expect(valueOf(metrics.get('berth.server.processes'), 'shared')).toBe(1);
    expect(valueOf(metrics.get('berth.server.sessions'), 'shared')).toBe(1);
    expect(valueOf(metrics.get('berth.server.circuit.open'), 'shared')).toBe(0);
    expect(valueOf(metrics.get('berth.server.circuit.open'), 'broken')).toBe(1);
    const [processes] = metrics
      .get('berth.server.processes')!
      .dataPoints.filter((p) => p.attributes['berth.server.name'] === 'shared');
    expect(processes?.attributes['berth.session.scope']).toBe('shared');
    await slow;
    expect(valueOf((await otel.collect()).get('berth.calls.in_flight'), 'shared')).toBe(0);
  });

  it('counts restarts and evictions, and gauges calls waiting for a session to start', async () => {
    await using fx = await hostFixture({
      crashy: fixture([], { restart: { initialDelayMs: 20 } }),
      keyed: fixture([], { session: 'keyed', maxSessions: 1 }),
    });
    await expect(fx.host.callTool('crashy__crash', {})).rejects.toThrow();
    await fx.host.callTool('crashy__get', {});
    await fx.host.callTool('keyed__get', {}, { key: 'a' });
    const second = fx.host.callTool('keyed__get', {}, { key: 'b' }); // evicts a's session, starts b's
    let sawWaiting = false;
    await waitForAsync(async () => {
      sawWaiting ||= valueOf((await otel.collect()).get('berth.calls.waiting'), 'keyed') === 1;
      return sawWaiting;
    }, 10_000);
    await second;
    const metrics = await otel.collect();
    expect(sawWaiting).toBe(true);
    expect(valueOf(metrics.get('berth.server.restarts'), 'crashy')).toBe(1);
    expect(valueOf(metrics.get('berth.session.evictions'), 'keyed')).toBe(1);
    expect(valueOf(metrics.get('berth.calls.waiting'), 'keyed')).toBe(0);
  });

  it('counts calls waiting for a keyed slot, in status() and in berth.calls.waiting', async () => {
    await using fx = await hostFixture({ keyed: fixture([], { session: 'keyed', maxSessions: 1 }) });
    const row = () => fx.host.status().find((s) => s.name === 'keyed')!;
    const cancel = new AbortController();
    // Key a's call holds the only slot: its session is busy, so it cannot be evicted.
    const busy = fx.host.callTool('keyed__sleep', { ms: 60_000 }, { key: 'a', signal: cancel.signal });
    const held = () => row().sessions?.some((s) => s.key === 'a' && s.state === 'ready' && s.inFlight === 1);
    expect(await waitFor(() => held() === true, 10_000)).toBe(true);
    expect(row().waiting).toBe(0);
    // Key b has no session and no slot for one: it waits, in no session's in-flight count.
    const waiter = fx.host.callTool('keyed__get', {}, { key: 'b' });
    expect(await waitFor(() => row().waiting === 1, 10_000)).toBe(true);
    expect(row().sessions?.map((s) => s.key)).toEqual(['a']);
    const metrics = await otel.collect();
    expect(valueOf(metrics.get('berth.calls.waiting'), 'keyed')).toBe(1);
    expect(valueOf(metrics.get('berth.calls.in_flight'), 'keyed')).toBe(1);
    // a's call ends: its session is evicted for b, whose call then runs.
    cancel.abort();
    await expect(busy).rejects.toThrow();
    await waiter;
    expect(row().waiting).toBe(0);
    expect(valueOf((await otel.collect()).get('berth.calls.waiting'), 'keyed')).toBe(0);
  });

  for (const scope of ['per-call', 'keyed'] as const) {
    it(`counts a ${scope} call waiting out a restart backoff, with no session to be in flight on`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'berth-waiting-'));
      const crashFile = join(dir, 'crash');
      try {
        const entry = {
          command: process.execPath,
          args: [FIXTURE],
          env: { FIXTURE_CRASH_FILE: crashFile }, // every start fails while this file exists
          session: scope,
          restart: { initialDelayMs: 60_000, maxRestarts: 5 },
        };
        await using fx = await hostFixture({ s: entry });
        const row = () => fx.host.status().find((r) => r.name === 's')!;
        await fx.host.callTool('s__get', {}, { key: 'a' }); // takes the keyed scope's spare session
        writeFileSync(crashFile, '');
        const cancel = new AbortController();
        const call = fx.host.callTool('s__get', {}, { key: 'k', signal: cancel.signal });
        // Its session fails to start; the call waits out the backoff for the next one, holding none.
        expect(await waitFor(() => row().state === 'restarting' && row().waiting === 1, 10_000)).toBe(true);
        expect(row().sessions?.reduce((n, s) => n + s.inFlight, 0)).toBe(0);
        expect(valueOf((await otel.collect()).get('berth.calls.waiting'), 's')).toBe(1);
        cancel.abort();
        await expect(call).rejects.toThrow();
        expect(row().waiting).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('stops observing a host once it is closed', async () => {
    await otel.uninstall();
    otel = installOtel({ delta: true });
    {
      await using _fx = await hostFixture({ gone: fixture() });
      expect(valueOf((await otel.collect()).get('berth.server.sessions'), 'gone')).toBe(1);
    }
    expect(valueOf((await otel.collect()).get('berth.server.sessions'), 'gone')).toBeUndefined();
  });
});
