// The gateway's /metrics in the Prometheus text format, scraped over HTTP from a real gateway: behind
// the endpoint's auth on its listener, or without auth on a listener of its own.
import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { fixture } from '../helpers.js';
import { gatewayFixture, v2Client } from '../gateway/helpers.js';

const TOKEN = 'metrics-token-0123456789abcdef';

afterEach(() => {
  metrics.disable();
});

describe('gateway /metrics', () => {
  it('serves the metrics behind the endpoint auth on its own listener', async () => {
    await using gw = await gatewayFixture(
      { fx: fixture() },
      { auth: { tokens: { ops: TOKEN } }, metrics: true },
    );
    const client = await v2Client(gw.url, 'modern', { token: TOKEN });
    await client.callTool({ name: 'fx__echo', arguments: { value: 'x' } });
    await client.close();
    const url = new URL('/metrics', gw.url);
    expect((await fetch(url)).status).toBe(401);
    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^# HELP mcp_server_operation_duration /m);
    // The advised bucket bounds are there (the count in each depends on how fast the call was).
    expect(text).toMatch(
      /mcp_client_operation_duration_bucket\{.*gen_ai_tool_name="echo".*le="0.01"\} [01]$/m,
    );
    expect(text).toMatch(/berth_server_sessions\{.*berth_server_name="fx".*\} 1/);
    expect(text).not.toContain(TOKEN);
  });

  it('serves the metrics without auth on a listener of their own', async () => {
    await using gw = await gatewayFixture(
      { fx: fixture() },
      { auth: { tokens: { ops: TOKEN } }, metrics: { listen: '127.0.0.1:0' } },
    );
    expect(gw.gateway.metricsUrl?.port).not.toBe(gw.url.port);
    const response = await fetch(gw.gateway.metricsUrl!);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('berth_server_processes');
    expect((await fetch(new URL('/mcp', gw.gateway.metricsUrl))).status).toBe(404);
    expect((await fetch(gw.gateway.metricsUrl!, { method: 'POST', body: '{}' })).status).toBe(405);
    // The main listener does not serve them.
    const beside = await fetch(new URL('/metrics', gw.url), {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(beside.status).toBe(404);
  });

  it('refuses to start when another meter provider is registered', async () => {
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    metrics.setGlobalMeterProvider(new MeterProvider());
    await expect(gatewayFixture({ fx: fixture() }, { metrics: true })).rejects.toThrow(
      /meter provider is registered already/,
    );
  });
});
