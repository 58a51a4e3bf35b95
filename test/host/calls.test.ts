/**
 * The call path against a real server: argument validation before sending, name suggestions,
 * cancellation on the wire, deadlines, progress, tool errors as results, prompts and resources,
 * and catalog refresh on `notifications/tools/list_changed`.
 */
import { fileURLToPath } from 'node:url';
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RequestFailedError,
  AmbiguousResourceError,
  CallAbortedError,
  CallTimeoutError,
  createHost,
  InvalidArgumentsError,
  UnknownNameError,
  type Host,
  type HostEvent,
} from '../../src/index.js';
import { fixture, pidFile, text, waitFor } from '../helpers.js';

describe('calls', () => {
  let host: Host;
  const pids = pidFile();
  const events: HostEvent[] = [];

  beforeAll(async () => {
    host = await createHost(
      {
        mcpServers: {
          counter: fixture([], {}, pids),
          other: fixture(['--name=other'], { tools: { deny: ['crash', 'add-*'] } }),
        },
      },
      { onEvent: (event) => void events.push(event) },
    );
  });
  afterAll(() => host.close());

  it('lists every tool under server__tool with its schema and server', () => {
    const tool = host.tools().find((t) => t.name === 'counter__increment');
    expect(tool).toMatchObject({ server: 'counter', tool: 'increment', description: 'Add to the counter' });
    expect(tool?.inputSchema).toMatchObject({ type: 'object', properties: { by: { type: 'integer' } } });
  });

  it('applies per-server allow/deny filters', () => {
    const names = host
      .tools()
      .filter((t) => t.server === 'other')
      .map((t) => t.tool);
    expect(names).toContain('increment');
    expect(names).not.toContain('crash');
    expect(names).not.toContain('add-tool');
  });

  it('rejects arguments that fail the schema before sending, naming the path', async () => {
    const before = text(await host.callTool('counter__get'));
    const error = await host.callTool('counter__increment', { by: 'two' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentsError);
    expect((error as InvalidArgumentsError).problems[0]?.path).toBe('/by');
    expect((error as Error).message).toMatch(/\/by must be integer/);
    await expect(host.callTool('counter__echo', {})).rejects.toThrow(/\/value is required/);
    expect(text(await host.callTool('counter__get'))).toBe(before); // nothing reached the server
  });

  it('suggests the nearest names for an unknown tool', async () => {
    const error = await host.callTool('counter__incremnt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownNameError);
    expect((error as UnknownNameError).suggestions[0]).toBe('counter__increment');
    const bare = await host.callTool('increment').catch((e: unknown) => e);
    expect((bare as UnknownNameError).suggestions).toContain('counter__increment');
  });

  it('returns a tool error result instead of throwing', async () => {
    const result = await host.callTool('counter__fail');
    expect(result.isError).toBe(true);
    expect(text(result)).toBe('it failed');
  });

  it('checks structured results against the listed outputSchema, in shared and per-call sessions', async () => {
    const perCall = await createHost({ mcpServers: { fresh: fixture([], { session: 'per-call' }) } });
    try {
      for (const [h, name] of [
        [host, 'counter__shaped'],
        [perCall, 'fresh__shaped'],
      ] as const) {
        const valid = await h.callTool(name, { value: 3 });
        expect(valid.structuredContent).toEqual({ value: 3 });
        // The server's own check passes (its schema has a `.catch`); the client's, against the listing, does not.
        const mismatch = await h.callTool(name, { value: 'three' }).catch((e: unknown) => e);
        expect(mismatch).toBeInstanceOf(RequestFailedError);
        expect(mismatch).toMatchObject({
          code: 'REQUEST_FAILED',
          method: 'tools/call',
          server: name.split('__')[0],
        });
        expect((mismatch as Error).message).toMatch(/does not match the tool's output schema/);
        // Checked by berth's own JSON Schema engine: its message names the failing path.
        expect((mismatch as Error).message).toMatch(/: \/value must be number \(got string\)$/);
        expect((mismatch as Error).cause).toBeInstanceOf(ProtocolError);
      }
    } finally {
      await perCall.close();
    }
  });

  it('passes progress notifications to onProgress', async () => {
    const progress: number[] = [];
    const result = await host.callTool(
      'counter__sleep',
      { ms: 80 },
      { onProgress: (p) => progress.push(p.progress) },
    );
    expect(text(result)).toBe('slept 80');
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('delivers every progress notification, even those sharing a chunk with the result', async () => {
    const progress: number[] = [];
    const result = await host.callTool(
      'counter__burst',
      { n: 50 },
      { onProgress: (p) => progress.push(p.progress) },
    );
    expect(text(result)).toBe('sent 50');
    expect(progress).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('cancels on the wire when the signal aborts', async () => {
    const controller = new AbortController();
    const sleeping = pids.count('sleeping');
    const pending = host.callTool('counter__sleep', { ms: 2_000 }, { signal: controller.signal });
    // Abort once the call is running on the server (not after a guessed 100 ms).
    expect(await waitFor(() => pids.count('sleeping') === sleeping + 1)).toBe(true);
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toBeInstanceOf(CallAbortedError);
    // The server saw notifications/cancelled and stopped the work.
    expect(await waitFor(() => pids.pids('cancelled').length === 1, 3_000)).toBe(true);
    expect(text(await host.callTool('counter__get'))).toMatch(/^\d+$/); // the session is still usable
  });

  it('enforces a per-call deadline and keeps the session usable', async () => {
    const error = await host
      .callTool('counter__sleep', { ms: 2_000 }, { timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ server: 'counter', timeoutMs: 150, sent: true });
    expect(text(await host.callTool('counter__echo', { value: 'still here' }))).toBe('still here');
  });

  it('enforces the per-server call timeout from config', async () => {
    const quick = await createHost({ mcpServers: { q: fixture([], { callTimeoutMs: 100 }) } });
    try {
      await expect(quick.callTool('q__sleep', { ms: 1_000 })).rejects.toBeInstanceOf(CallTimeoutError);
    } finally {
      await quick.close();
    }
  });

  it('passes meta as the request _meta, to tools, prompts and resources alike', async () => {
    const result = await host.callTool('counter__meta', {}, { meta: { traceId: 'abc' } });
    expect(JSON.parse(text(result))).toMatchObject({ traceId: 'abc' });
    let sent: unknown;
    const probe = await createHost({ mcpServers: { p: fixture() } });
    try {
      probe.use(async (ctx, next) => {
        sent = ctx.params._meta;
        return next();
      });
      await probe.getPrompt('p__greet', { name: 'Ada' }, { meta: { traceId: 'prompt' } });
      expect(sent).toEqual({ traceId: 'prompt' });
      await probe.readResource('fixture://state', { meta: { traceId: 'resource' } });
      expect(sent).toEqual({ traceId: 'resource' });
    } finally {
      await probe.close();
    }
  });

  it('aggregates prompts and resources and reads them through their server', async () => {
    expect(host.prompts().map((p) => p.name)).toEqual(
      expect.arrayContaining(['counter__greet', 'other__greet']),
    );
    const prompt = await host.getPrompt('counter__greet', { name: 'Ada' });
    expect(prompt.messages[0]?.content).toMatchObject({ type: 'text', text: 'Hello, Ada!' });
    const resources = host.resources().filter((r) => r.uri === 'fixture://state');
    expect(resources.map((r) => r.server).sort()).toEqual(['counter', 'other']);
    const read = await host.readResource('fixture://state', { server: 'counter' });
    expect(read.contents[0]).toMatchObject({ uri: 'fixture://state' });
    const ambiguous = host.readResource('fixture://state');
    await expect(ambiguous).rejects.toThrow(/pass \{ server \}/);
    await expect(ambiguous).rejects.toBeInstanceOf(AmbiguousResourceError);
    await expect(ambiguous).rejects.toMatchObject({
      code: 'AMBIGUOUS_RESOURCE',
      servers: ['counter', 'other'],
    });
  });

  it('refreshes prompts and resources on their list_changed notifications', async () => {
    await host.callTool('counter__add-prompt-and-resource');
    expect(await waitFor(() => host.prompts().some((p) => p.name === 'counter__added-prompt'), 3_000)).toBe(
      true,
    );
    expect(await waitFor(() => host.resources().some((r) => r.uri === 'fixture://added'), 3_000)).toBe(true);
    const read = await host.readResource('fixture://added');
    expect(read.contents[0]).toMatchObject({ text: 'added' });
  });

  it('refreshes the catalog on tools/list_changed', async () => {
    await host.callTool('counter__add-tool');
    expect(await waitFor(() => host.tools().some((t) => t.name === 'counter__added'), 3_000)).toBe(true);
    expect(events.some((e) => e.type === 'tools:changed' && e.server === 'counter')).toBe(true);
    expect(text(await host.callTool('counter__added'))).toBe('added');
  });
});

describe('paginated lists', () => {
  it('the catalog aggregates every page of tools and resources', async () => {
    const paged = fileURLToPath(new URL('../fixtures/paged-server.mjs', import.meta.url));
    const host = await createHost({ mcpServers: { paged: { command: process.execPath, args: [paged] } } });
    try {
      expect(host.tools().map((t) => t.tool)).toEqual(Array.from({ length: 8 }, (_, i) => `paged_${i}`));
      expect(host.resources().map((r) => r.uri)).toEqual(
        Array.from({ length: 7 }, (_, i) => `paged://item/${i}`),
      );
      expect(text(await host.callTool('paged__paged_7'))).toBe('called paged_7');
      const read = await host.readResource('paged://item/6');
      expect(read.contents[0]).toMatchObject({ text: 'content of paged://item/6' });
    } finally {
      await host.close();
    }
  });
});
