/**
 * Interceptors, against a real stdio server and a real Streamable HTTP server: a per-call identity
 * reaches every transport (headers on HTTP, `_meta` everywhere) without crossing between concurrent
 * calls; logs are redacted; a tool policy denies or asks for approval before anything is sent.
 */
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHost,
  injectHeaders,
  injectMeta,
  InterceptorError,
  RequestFailedError,
  logRequests,
  PolicyDeniedError,
  toolPolicy,
  type Host,
  type RequestLogEntry,
} from '../../src/index.js';
import { fixture, startHttpFixture, text, type HttpFixture } from '../helpers.js';

describe('interceptors', () => {
  let server: HttpFixture;
  let host: Host;
  const logged: RequestLogEntry[] = [];
  const approvals: string[] = [];

  beforeAll(async () => {
    server = await startHttpFixture('http-server.mjs');
    const url = `${server.origin}/mcp`;
    host = await createHost({ mcpServers: { local: fixture(), remote: { url } } });
    const user = (ctx: { context: Readonly<Record<string, unknown>> }) =>
      ctx.context.user as string | undefined;
    host.use(
      logRequests({ log: (entry) => logged.push(entry) }),
      toolPolicy({
        rules: { local__crash: 'deny', local__fail: 'approve' },
        approve: (ctx) => {
          approvals.push(String(ctx.context.user));
          return ctx.context.user === 'admin';
        },
      }),
      injectHeaders((ctx) => (user(ctx) ? { 'x-user': user(ctx)! } : undefined)),
      injectMeta((ctx) => (user(ctx) ? { user: user(ctx) } : undefined)),
    );
  });
  afterAll(async () => {
    await host.close();
    await server.stop();
  });

  it('carry a per-call identity to a stdio server as _meta', async () => {
    const meta = JSON.parse(
      text(await host.callTool('local__meta', {}, { context: { user: 'ada' } })),
    ) as object;
    expect(meta).toMatchObject({ user: 'ada' });
  });

  it('carry it to an HTTP server as a header, and never across concurrent calls', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const seen = await Promise.all(
      users.map((user) =>
        host.callTool('remote__whoami', {}, { context: { user } }).then((r) => JSON.parse(text(r)) as object),
      ),
    );
    expect(seen).toEqual(users.map((user) => ({ header: user, meta: user })));
    expect(JSON.parse(text(await host.callTool('remote__whoami')))).toEqual({ header: null, meta: null });
  });

  it('log each request with secrets redacted', async () => {
    logged.length = 0;
    await host.callTool('local__echo', { value: 'visible' }, { meta: { authorization: 'Bearer s3cret' } });
    const entry = logged.at(-1)!;
    expect(entry).toMatchObject({
      server: 'local',
      method: 'tools/call',
      name: 'local__echo',
      outcome: 'ok',
    });
    expect(JSON.stringify(entry)).toContain('visible');
    expect(JSON.stringify(entry)).not.toContain('s3cret');
    // Redacted, not dropped: the key stays so the log shows a credential was sent.
    expect(entry.params).toMatchObject({ _meta: { authorization: '[redacted]' } });
  });

  it('deny or require approval by tool name, before anything is sent', async () => {
    const before = Number(text(await host.callTool('local__pid')));
    await expect(host.callTool('local__crash')).rejects.toBeInstanceOf(PolicyDeniedError);
    expect(Number(text(await host.callTool('local__pid')))).toBe(before); // the crash never reached the server
    await expect(host.callTool('local__fail', {}, { context: { user: 'guest' } })).rejects.toThrow(
      /approval refused/,
    );
    const approved = await host.callTool('local__fail', {}, { context: { user: 'admin' } });
    expect(approved.isError).toBe(true); // let through: the tool's own error result
    expect(approvals).toEqual(['guest', 'admin']);
    expect(logged.filter((e) => e.outcome === 'error').map((e) => e.name)).toContain('local__crash');
  });

  it('refuse a second next() from one middleware', async () => {
    const strict = await createHost({ mcpServers: { s: fixture() } });
    try {
      strict.use(async (_ctx, next) => {
        await next();
        return next();
      });
      await expect(strict.callTool('s__get')).rejects.toThrow(/next\(\) called more than once/);
      await expect(strict.callTool('s__get')).rejects.toBeInstanceOf(InterceptorError);
    } finally {
      await strict.close();
    }
  });

  it('turn what an interceptor throws into a berth error, and let the request’s own errors through', async () => {
    const host = await createHost({ mcpServers: { s: fixture() } });
    try {
      const thrown = new TypeError('boom');
      host.use(async (ctx, next) => {
        if (ctx.name === 's__get') throw thrown;
        return next();
      });
      const error = await host.callTool('s__get').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InterceptorError);
      expect(error).toMatchObject({
        code: 'INTERCEPTOR_FAILED',
        server: 's',
        method: 'tools/call',
        cause: thrown,
      });
      expect((error as Error).message).toMatch(/server "s": an interceptor failed on tools\/call: boom/);
      // The server's own error (an unknown resource) passes through the interceptor unwrapped.
      const wire = await host.readResource('fixture://nope', { server: 's' }).catch((e: unknown) => e);
      expect(wire).toBeInstanceOf(RequestFailedError);
      expect(wire).toMatchObject({ server: 's', method: 'resources/read' });
      expect((wire as RequestFailedError).cause).toBeInstanceOf(ProtocolError);
      expect(typeof (wire as RequestFailedError).rpcCode).toBe('number');
    } finally {
      await host.close();
    }
  });
});

describe('completion context', () => {
  it('sends the completion arguments, never the interceptor context', async () => {
    const host = await createHost({ mcpServers: { local: fixture() } });
    try {
      const sent: unknown[] = [];
      host.use(async (ctx, next) => {
        sent.push(ctx.params.context);
        return next();
      });
      const ref = { type: 'ref/prompt', name: 'local__pick' } as const;
      const result = await host.complete(
        ref,
        { name: 'item', value: 'x' },
        { arguments: { lang: 'ts' }, context: { user: 'ada', token: 'secret' } },
      );
      expect(result.completion.values).toEqual(['x:{"lang":"ts"}']);
      await host.complete(ref, { name: 'item', value: 'y' }, { context: { user: 'ada' } });
      expect(sent).toEqual([{ arguments: { lang: 'ts' } }, undefined]);
    } finally {
      await host.close();
    }
  });
});
