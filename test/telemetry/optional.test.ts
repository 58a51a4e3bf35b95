// OpenTelemetry is optional: importing berth loads none of it; berth works when `@opentelemetry/api`
// cannot be found at all; with the API but no provider registered nothing is recorded and no trace
// context is sent; a provider registered after the host was created is used from then on; and no
// secret (an env value, a header, a token) ends up in a span.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, fixture, hostFixture, startHttpFixture, text } from '../helpers.js';
import { context, trace } from '@opentelemetry/api';
import { histogramPoints, installOtel, onlySpan, type InstalledOtel } from './otel.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'berth-otel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `code` (an ES module) in a child Node where `hide` cannot be resolved; returns its outcome. */
function runWithout(
  hide: RegExp,
  code: string,
): { status: number | null; stdout: string; stderr: string; hidden: string[] } {
  const hooks = join(work, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
const HIDE = new RegExp(${JSON.stringify(hide.source)});
export async function resolve(specifier, context, next) {
  if (HIDE.test(specifier)) {
    appendFileSync(process.env.BERTH_HIDDEN_LOG, specifier + '\\n');
    const error = new Error('Cannot find package ' + specifier);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`,
  );
  const register = join(work, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  const log = join(work, 'hidden.log');
  writeFileSync(log, '');
  const child = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(register).href, '--input-type=module', '-e', code],
    { cwd: ROOT, env: { ...process.env, BERTH_HIDDEN_LOG: log }, encoding: 'utf8', timeout: 60_000 },
  );
  const hidden = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { status: child.status, stdout: child.stdout, stderr: child.stderr, hidden };
}

let otel: InstalledOtel | undefined;
afterEach(async () => {
  await otel?.uninstall();
  otel = undefined;
});

describe('OpenTelemetry is optional', () => {
  it('berth creates a host and calls tools when @opentelemetry/api is not installed', () => {
    const code = `
      import { createHost } from 'berth';
      const host = await createHost({ mcpServers: { fx: { command: process.execPath, args: [${JSON.stringify(FIXTURE)}] } } });
      const result = await host.callTool('fx__meta', {});
      await host.close();
      console.log(result.content[0].text);
    `;
    const { status, stdout, stderr, hidden } = runWithout(/^@opentelemetry\//, code);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(hidden).toContain('@opentelemetry/api'); // berth looked for it, and went on without it
    expect(JSON.parse(stdout.trim())).not.toHaveProperty('traceparent');
  });

  it('the child would see the API if the hook let it through (the check is not blind)', () => {
    const { status, stderr } = runWithout(/^$/, "await import('@opentelemetry/api');");
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const hidden = runWithout(/^@opentelemetry\//, "await import('@opentelemetry/api');");
    expect(hidden.status).not.toBe(0);
  });

  it('records nothing and sends no trace context with no provider registered', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    const meta = JSON.parse(text(await fx.host.callTool('fx__meta', {}))) as Record<string, unknown>;
    expect(meta).not.toHaveProperty('traceparent');
    // Registered now, the SDK has seen none of what came before.
    otel = installOtel();
    expect(otel.spans()).toEqual([]);
  });

  it('uses a provider registered after the host was created', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    otel = installOtel();
    const meta = JSON.parse(text(await fx.host.callTool('fx__meta', {}))) as Record<string, unknown>;
    const call = onlySpan(otel.spans(), 'tools/call meta');
    expect(meta.traceparent).toContain(call.spanContext().spanId);
    const metrics = await otel.collect();
    expect(metrics.get('mcp.client.operation.duration')).toBeDefined();
  });

  // With nothing registered a request skips its telemetry altogether; any one part registered
  // later must bring it back, alone.
  it('records durations when only a meter provider is registered, after the host was created', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    await fx.host.callTool('fx__meta', {});
    otel = installOtel({ traces: false, propagation: false });
    await fx.host.callTool('fx__meta', {});
    const metrics = await otel.collect();
    expect(
      histogramPoints(metrics.get('mcp.client.operation.duration'), { 'mcp.method.name': 'tools/call' }),
    ).toHaveLength(1);
    expect(otel.spans()).toEqual([]);
  });

  it('records spans when only a tracer provider is registered, after the host was created', async () => {
    await using fx = await hostFixture({ fx: fixture() });
    await fx.host.callTool('fx__meta', {});
    otel = installOtel({ metrics: false, propagation: false });
    const meta = JSON.parse(text(await fx.host.callTool('fx__meta', {}))) as Record<string, unknown>;
    onlySpan(otel.spans(), 'tools/call meta');
    expect(meta).not.toHaveProperty('traceparent'); // no propagator: nothing to send it with
  });

  it("passes a caller's remote trace context on when only a propagator is registered", async () => {
    await using fx = await hostFixture({ fx: fixture() });
    otel = installOtel({ traces: false, metrics: false });
    const remote = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    const result = await context.with(remote, () => fx.host.callTool('fx__meta', {}));
    const meta = JSON.parse(text(result)) as Record<string, unknown>;
    expect(meta.traceparent).toContain('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('puts no secret in any span: env values, headers and arguments stay out', async () => {
    otel = installOtel();
    const SECRET = 'sekrit-4f9a1c';
    const remote = await startHttpFixture('http-server.mjs', { env: { REQUIRED_TOKEN: SECRET } });
    try {
      await using fx = await hostFixture({
        fx: fixture([], { env: { API_KEY: SECRET } }),
        remote: {
          url: `${remote.origin}/mcp`,
          headers: { 'x-api-key': SECRET },
          auth: { type: 'bearer', token: SECRET },
        },
      });
      await fx.host.callTool('fx__env', { name: 'API_KEY' });
      await fx.host.callTool('fx__echo', { value: SECRET });
      await fx.host.callTool('remote__whoami', {});
    } finally {
      await remote.stop();
    }
    const spans = otel.spans();
    const dump = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.status, s.events]));
    expect(dump).toContain('tools/call echo'); // the spans are there
    const remoteCall = onlySpan(spans, 'tools/call whoami');
    expect(remoteCall.attributes).toMatchObject({
      'network.transport': 'tcp',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(remote.origin).port),
      'network.protocol.name': 'http',
    });
    expect(remoteCall.attributes['mcp.session.id']).toBeTruthy(); // a 2025-era HTTP session
    expect(dump).not.toContain(SECRET);
  });
});
