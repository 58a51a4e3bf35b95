// The gateway's side: a SERVER span per request a client sends, parented on the trace context the
// client put in params._meta, so one trace runs agent → real gateway → real upstream server (whose
// fixture echoes the _meta it received). Hostile propagation values never fail a request.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { gatewayFixture, resultText, v1Client, v2Client } from '../gateway/helpers.js';
import { histogramPoints, installOtel, onlySpan, type InstalledOtel } from './otel.js';

let otel: InstalledOtel;
beforeEach(() => {
  otel = installOtel();
});
afterEach(async () => {
  await otel.uninstall();
});

/** The propagation fields of the agent's span, as it would put them in `_meta`. */
function agentMeta(
  span: ReturnType<ReturnType<typeof trace.getTracer>['startSpan']>,
): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier;
}

describe('gateway server spans', () => {
  for (const era of ['modern', 'legacy'] as const) {
    it(`joins one trace from the agent through the gateway to the upstream server (${era} client)`, async () => {
      await using gw = await gatewayFixture({ fx: fixture() });
      const client = await v2Client(gw.url, era);
      try {
        const agent = trace.getTracer('agent').startSpan('invoke_agent');
        const result = await client.callTool({ name: 'fx__meta', arguments: {}, _meta: agentMeta(agent) });
        agent.end();
        const spans = otel.spans();
        const served = onlySpan(spans, 'tools/call fx__meta');
        expect(served.kind).toBe(SpanKind.SERVER);
        expect(served.spanContext().traceId).toBe(agent.spanContext().traceId);
        expect(served.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
        expect(served.attributes).toMatchObject({
          'mcp.method.name': 'tools/call',
          'gen_ai.tool.name': 'fx__meta',
          'gen_ai.operation.name': 'execute_tool',
          'network.transport': 'tcp',
        });
        expect(served.attributes['jsonrpc.request.id']).toBeDefined();
        expect(served.attributes['mcp.protocol.version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        if (era === 'legacy') expect(served.attributes['mcp.session.id']).toBeTruthy();

        const upstream = onlySpan(spans, 'tools/call meta');
        expect(upstream.kind).toBe(SpanKind.CLIENT);
        expect(upstream.parentSpanContext?.spanId).toBe(served.spanContext().spanId);
        const received = JSON.parse(resultText(result)) as Record<string, string>;
        expect(received.traceparent).toBe(
          `00-${agent.spanContext().traceId}-${upstream.spanContext().spanId}-01`,
        );

        const metrics = await otel.collect();
        const points = histogramPoints(metrics.get('mcp.server.operation.duration'), {
          'mcp.method.name': 'tools/call',
          'gen_ai.tool.name': 'fx__meta',
        });
        expect(points).toHaveLength(1);
        expect(points[0]!.value.count).toBe(1);
        expect(points[0]!.attributes).not.toHaveProperty('jsonrpc.request.id');
      } finally {
        await client.close();
      }
    });
  }

  it('gives each method its span, and marks a failed request with its error', async () => {
    {
      await using gw = await gatewayFixture({ fx: fixture() });
      const client = await v1Client(gw.url);
      try {
        await client.listTools();
        await client.getPrompt({ name: 'fx__greet', arguments: { name: 'Ada' } });
        await client.readResource({ uri: 'fixture://state' });
        const failed = await client.callTool({ name: 'fx__fail', arguments: {} });
        expect(failed.isError).toBe(true);
        await expect(client.getPrompt({ name: 'nope__nothing' })).rejects.toThrow();
      } finally {
        await client.close();
      }
      // The 2025 session lives until the gateway ends it: no session duration yet.
      const live = await otel.collect();
      expect(histogramPoints(live.get('mcp.server.session.duration'))).toEqual([]);
    }
    const spans = otel.spans().filter((s) => s.kind === SpanKind.SERVER);
    const names = spans.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'tools/list',
        'prompts/get fx__greet',
        'resources/read',
        'tools/call fx__fail',
      ]),
    );
    expect(onlySpan(spans, 'tools/call fx__fail').attributes['error.type']).toBe('tool_error');
    const unknown = onlySpan(spans, 'prompts/get nope__nothing');
    expect(unknown.attributes['error.type']).toMatch(/^-32\d{3}$/);
    expect(unknown.status.code).toBe(SpanStatusCode.ERROR);
    // The gateway's close ended the session: its duration is recorded, once.
    const metrics = await otel.collect();
    const [session] = histogramPoints(metrics.get('mcp.server.session.duration'));
    expect(session?.value.count).toBe(1);
    expect(session?.attributes['network.transport']).toBe('tcp');
  });

  it('with nothing registered records nothing; a meter provider alone, registered later, is used', async () => {
    await otel.uninstall(); // this test starts with no provider and no propagator
    await using gw = await gatewayFixture({ fx: fixture() });
    const client = await v2Client(gw.url, 'modern');
    try {
      await client.callTool({ name: 'fx__echo', arguments: { value: 'a' } });
      otel = installOtel({ traces: false, propagation: false });
      await client.callTool({ name: 'fx__echo', arguments: { value: 'b' } });
    } finally {
      await client.close();
    }
    const metrics = await otel.collect();
    const calls = histogramPoints(metrics.get('mcp.server.operation.duration'), {
      'mcp.method.name': 'tools/call',
    });
    expect(calls.map((point) => point.value.count)).toEqual([1]); // the second call only
    expect(otel.spans()).toEqual([]);
  });

  it('serves requests whose _meta trace context is hostile, huge or of the wrong type', async () => {
    await using gw = await gatewayFixture({ fx: fixture() });
    const client = await v2Client(gw.url, 'modern');
    const hostile: Array<Record<string, unknown>> = [
      { traceparent: '00-' + 'f'.repeat(1_000_000) },
      { traceparent: { nested: 'object' }, tracestate: ['a', 'b'], baggage: 42 },
      { traceparent: '00-00000000000000000000000000000000-0000000000000000-01' }, // invalid ids
      {
        traceparent: 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: ','.repeat(9000),
      },
      { baggage: 'k=' + 'v'.repeat(8192) + ',' + 'x=y,'.repeat(2000) },
    ];
    try {
      for (const meta of hostile) {
        const result = await client.callTool({ name: 'fx__echo', arguments: { value: 'ok' }, _meta: meta });
        expect(resultText(result)).toBe('ok');
      }
    } finally {
      await client.close();
    }
    const served = otel.spans().filter((s) => s.name === 'tools/call fx__echo');
    expect(served).toHaveLength(hostile.length);
    // None took a parent from what it was sent: each began a trace of its own.
    for (const span of served) expect(span.parentSpanContext).toBeUndefined();
    expect(new Set(served.map((s) => s.spanContext().traceId)).size).toBe(hostile.length);
  });
});
