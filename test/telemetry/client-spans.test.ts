// Client spans by the OpenTelemetry MCP conventions: one CLIENT span per request berth sends to a real
// fixture server, named `{mcp.method.name} {target}`, with the conventions' attributes; errors (a
// JSON-RPC error, a tool's isError, a server that dies mid-call); opt-in content; and the rule that an
// agent framework's execute_tool span gets the MCP attributes instead of a nested duplicate.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, hostFixture, text } from '../helpers.js';
import { installOtel, onlySpan, type InstalledOtel } from './otel.js';

let otel: InstalledOtel;
beforeEach(() => {
  otel = installOtel();
});
afterEach(async () => {
  await otel.uninstall();
});

describe('client spans', () => {
  it('names and attributes a span for each method berth sends', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    const { host } = fx;
    await host.callTool('fx__echo', { value: 'hi' });
    await host.getPrompt('fx__greet', { name: 'Ada' });
    await host.readResource('fixture://state');
    const spans = otel.spans();
    const names = spans.map((s) => s.name);
    expect(names).toContain('initialize');
    expect(names).toContain('tools/list');

    const call = onlySpan(spans, 'tools/call echo');
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.instrumentationScope.name).toBe('berth');
    expect(call.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'pipe',
      'berth.server.name': 'fx',
    });
    expect(call.attributes['jsonrpc.request.id']).toMatch(/^\d+$/);
    expect(call.attributes['mcp.protocol.version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(call.attributes['error.type']).toBeUndefined();
    expect(call.attributes['gen_ai.tool.call.arguments']).toBeUndefined(); // opt-in only
    expect(call.status.code).not.toBe(SpanStatusCode.ERROR);

    const prompt = onlySpan(spans, 'prompts/get greet');
    expect(prompt.attributes).toMatchObject({
      'mcp.method.name': 'prompts/get',
      'gen_ai.prompt.name': 'greet',
    });
    expect(prompt.attributes['gen_ai.operation.name']).toBeUndefined();

    const read = onlySpan(spans, 'resources/read'); // the URI is no part of the name
    expect(read.attributes['mcp.resource.uri']).toBe('fixture://state');
  });

  it('marks a JSON-RPC error with its code, and a tool error as tool_error', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    await fx.host.callTool('fx__fail', {});
    await expect(fx.host.getPrompt('fx__greet', { wrong: 1 } as never)).rejects.toThrow();
    const failed = onlySpan(otel.spans(), 'tools/call fail');
    expect(failed.attributes['error.type']).toBe('tool_error');
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    const rejected = onlySpan(otel.spans(), 'prompts/get greet');
    // The server's JSON-RPC error code (the fixture's SDK answers bad prompt arguments with -32603).
    expect(rejected.attributes['error.type']).toMatch(/^-32\d{3}$/);
    expect(rejected.attributes['rpc.response.status_code']).toBe(rejected.attributes['error.type']);
    expect(rejected.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(rejected.status.message).toBeTruthy();
  });

  it('ends the span of a call whose server dies under it', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    await expect(fx.host.callTool('fx__crash', {})).rejects.toThrow();
    const crashed = onlySpan(otel.spans(), 'tools/call crash');
    expect(crashed.attributes['error.type']).toBe('connection_closed');
    expect(crashed.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('ends the span of a call the caller cancels or that times out', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    const controller = new AbortController();
    const call = fx.host.callTool('fx__sleep', { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(call).rejects.toThrow();
    await expect(fx.host.callTool('fx__sleep', { ms: 5_000 }, { timeoutMs: 300 })).rejects.toThrow();
    const [cancelled, timedOut] = otel.spans().filter((s) => s.name === 'tools/call sleep');
    expect(cancelled?.attributes['error.type']).toBe('cancelled');
    expect(timedOut?.attributes['error.type']).toBe('timeout');
  });

  it('records arguments and results only when the host opts in', async () => {
    await using fx = await hostFixture({ fx: fixture() }, { telemetry: { captureContent: true } });
    await fx.host.callTool('fx__echo', { value: 'payload' });
    const call = onlySpan(otel.spans(), 'tools/call echo');
    expect(JSON.parse(String(call.attributes['gen_ai.tool.call.arguments']))).toEqual({ value: 'payload' });
    expect(JSON.parse(String(call.attributes['gen_ai.tool.call.result']))).toEqual([
      { type: 'text', text: 'payload' },
    ]);
  });

  it("parents the span on the caller's active span, and propagates it in params._meta", async () => {
    await using fx = await hostFixture({ fx: fixture() });
    const tracer = trace.getTracer('agent');
    const parent = tracer.startSpan('invoke_agent');
    const meta = await context.with(trace.setSpan(context.active(), parent), () =>
      fx.host.callTool('fx__meta', {}),
    );
    parent.end();
    const call = onlySpan(otel.spans(), 'tools/call meta');
    expect(call.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(call.spanContext().traceId).toBe(parent.spanContext().traceId);
    const received = JSON.parse(text(meta)) as Record<string, string>;
    expect(received.traceparent).toBe(`00-${call.spanContext().traceId}-${call.spanContext().spanId}-01`);
  });

  it("annotates an agent framework's execute_tool span instead of nesting a duplicate", async () => {
    await using fx = await hostFixture({ fx: fixture() });
    const tracer = trace.getTracer('agent-framework');
    const outer = tracer.startSpan('execute_tool fx__echo', {
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'fx__echo' },
    });
    await context.with(trace.setSpan(context.active(), outer), () =>
      fx.host.callTool('fx__echo', { value: 'x' }),
    );
    outer.end();
    const spans = otel.spans();
    expect(spans.filter((s) => s.name.startsWith('tools/call'))).toEqual([]);
    const annotated = onlySpan(spans, 'execute_tool fx__echo');
    expect(annotated.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'fx__echo', // the agent's name for the tool stays
      'network.transport': 'pipe',
    });
    expect(annotated.attributes['jsonrpc.request.id']).toBeDefined();
  });

  it('nests its own span under an outer span that is not a tool execution, or when told to', async () => {
    await using fx = await hostFixture({ fx: fixture() }, { telemetry: { reuseToolSpan: false } });
    const tracer = trace.getTracer('agent-framework');
    const outer = tracer.startSpan('execute_tool fx__echo', {
      attributes: { 'gen_ai.operation.name': 'execute_tool' },
    });
    await context.with(trace.setSpan(context.active(), outer), () =>
      fx.host.callTool('fx__echo', { value: 'x' }),
    );
    outer.end();
    const call = onlySpan(otel.spans(), 'tools/call echo');
    expect(call.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });
});
