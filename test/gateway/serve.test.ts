/**
 * berth serve's core, with real clients of both eras (SDK v2 pinned to 2026-07-28, SDK v1 on 2025)
 * against real fixture servers: the catalog, calls, a session per client on keyed servers (and
 * nothing crossed), DELETE and idle expiry ending a client's processes, progress, and the relay of
 * upstream sampling and elicitation to the client whose call caused them.
 */
import { describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { fixture, waitFor } from '../helpers.js';
import { fileURLToPath } from 'node:url';
import { gatewayFixture, resultText, v1Client, v2Client } from './helpers.js';

const keyed = () => fixture(['--client-requests'], { session: 'keyed', maxSessions: 8 });

describe('berth serve', () => {
  it('serves the catalog and calls to both eras', async () => {
    await using gw = await gatewayFixture({ k: keyed(), s: fixture() });
    const modern = await v2Client(gw.url, 'modern');
    const legacy = await v1Client(gw.url);
    for (const client of [modern, legacy]) {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('k__increment');
      expect(names).toContain('s__echo');
      expect(resultText(await client.callTool({ name: 's__echo', arguments: { value: 'hi' } }))).toBe('hi');
    }
    await modern.close();
    await legacy.close();
  });

  it("sends the GET stream's headers at once, before any event", async () => {
    await using gw = await gatewayFixture({ s: fixture() });
    const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(gw.url, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    await init.text();
    const session = {
      'mcp-session-id': init.headers.get('mcp-session-id') ?? '',
      'mcp-protocol-version': '2025-11-25',
    };
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await (
      await fetch(gw.url, { method: 'POST', headers: { ...json, ...session }, body: initialized })
    ).text();
    // Nothing is ever sent on this stream: a client awaiting its response must still get one.
    const stream = new AbortController();
    const answered = await Promise.race([
      fetch(gw.url, { headers: { accept: 'text/event-stream', ...session }, signal: stream.signal }),
      new Promise<'no headers'>((resolve) => setTimeout(resolve, 5_000, 'no headers').unref()),
    ]);
    expect(answered === 'no headers' ? answered : answered.headers.get('content-type')).toBe(
      'text/event-stream',
    );
    stream.abort();
  });

  it('gives each client its own session of a keyed server, and nothing crosses', async () => {
    await using gw = await gatewayFixture({ k: keyed() });
    const a = await v1Client(gw.url);
    const b = await v1Client(gw.url);
    const c = await v2Client(gw.url, 'modern');
    type Caller = {
      callTool(params: {
        name: string;
        arguments: Record<string, unknown>;
        _meta?: Record<string, unknown>;
      }): Promise<unknown>;
    };
    const inc = (client: Caller, meta?: Record<string, unknown>) =>
      client
        .callTool({ name: 'k__increment', arguments: { by: 1 }, ...(meta && { _meta: meta }) })
        .then(resultText);
    expect(await inc(a)).toBe('1');
    expect(await inc(a)).toBe('2');
    expect(await inc(b)).toBe('1');
    expect(await inc(c)).toBe('1');
    // A 2026-era client holds two conversations with berth/key and returns to each.
    expect(await inc(c, { 'berth/key': 'second' })).toBe('1');
    expect(await inc(c, { 'berth/key': 'second' })).toBe('2');
    expect(await inc(c)).toBe('2');
    expect(await inc(a)).toBe('3');
    const pids = new Set(
      await Promise.all(
        [a, b].map(async (client) => resultText(await client.callTool({ name: 'k__pid', arguments: {} }))),
      ),
    );
    expect(pids.size).toBe(2);
    await a.close();
    await b.close();
    await c.close();
  });

  it('ends a 2025 client session on DELETE: its keyed process goes', async () => {
    await using gw = await gatewayFixture({ k: keyed() });
    const client = await v1Client(gw.url);
    const pid = Number(resultText(await client.callTool({ name: 'k__pid', arguments: {} })));
    await (client.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
    expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);
    await client.close();
  });

  it('ends a 2026 conversation on DELETE with berth-key, and an idle one on its own', async () => {
    await using gw = await gatewayFixture({ k: keyed() }, { limits: { sessionIdleMs: 300 } });
    const client = await v2Client(gw.url, 'modern');
    const pidOf = async (key: string) =>
      Number(
        resultText(await client.callTool({ name: 'k__pid', arguments: {}, _meta: { 'berth/key': key } })),
      );
    const first = await pidOf('one');
    const response = await fetch(gw.url, { method: 'DELETE', headers: { 'berth-key': 'one' } });
    expect(response.status).toBe(204);
    expect(await waitFor(() => !isAlive(first), 10_000)).toBe(true);
    const idle = await pidOf('two');
    expect(await waitFor(() => !isAlive(idle), 10_000)).toBe(true);
    await client.close();
  });

  it('relays upstream sampling and elicitation to the client whose call caused them, in both eras', async () => {
    await using gw = await gatewayFixture({ k: keyed() });
    const offer = (who: string) => ({
      sampling: () => ({
        model: 'm',
        role: 'assistant',
        content: { type: 'text', text: `sampled by ${who}` },
      }),
      elicitation: () => ({ action: 'accept', content: { ok: who === 'modern' } }),
    });
    const modern = await v2Client(gw.url, 'modern', offer('modern'));
    const legacy = await v1Client(gw.url, offer('legacy'));
    const ask = (client: typeof modern | typeof legacy) =>
      client.callTool({ name: 'k__ask', arguments: { prompt: 'hi' } }).then(resultText);
    expect(await ask(modern)).toBe('sampled by modern');
    expect(await ask(legacy)).toBe('sampled by legacy');
    const confirm = (client: typeof modern | typeof legacy) =>
      client.callTool({ name: 'k__confirm', arguments: { message: 'ok?' } }).then(resultText);
    expect(JSON.parse(await confirm(modern))).toMatchObject({ action: 'accept', content: { ok: true } });
    expect(JSON.parse(await confirm(legacy))).toMatchObject({ action: 'accept', content: { ok: false } });
    await modern.close();
    await legacy.close();
  });

  it('tells a client that cannot answer an upstream request, never hangs', async () => {
    await using gw = await gatewayFixture({ k: keyed() });
    for (const client of [await v2Client(gw.url, 'modern'), await v1Client(gw.url)]) {
      await expect(client.callTool({ name: 'k__ask', arguments: { prompt: 'hi' } })).rejects.toThrow(
        /asked for sampling, which this client does not offer/,
      );
      await client.close();
    }
  });

  it('relays progress to the client that made the call', async () => {
    await using gw = await gatewayFixture({ s: fixture() });
    const params = { name: 's__sleep', arguments: { ms: 40 } };
    const modern = await v2Client(gw.url, 'modern');
    const legacy = await v1Client(gw.url);
    const seen: Record<string, number[]> = { modern: [], legacy: [] };
    const results = await Promise.all([
      modern.callTool(params, { onprogress: (p) => void seen.modern!.push(p.progress) }),
      legacy.callTool(params, undefined, { onprogress: (p) => void seen.legacy!.push(p.progress) }),
    ]);
    expect(results.map(resultText)).toEqual(['slept 40', 'slept 40']);
    expect(seen).toEqual({ modern: [1, 2, 3, 4], legacy: [1, 2, 3, 4] });
    await modern.close();
    await legacy.close();
  });

  it("relays a shared server's logs to clients, never a keyed server's", async () => {
    await using gw = await gatewayFixture({ s: fixture(), k: keyed() });
    const client = await v1Client(gw.url);
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    await client.setLoggingLevel('debug');
    await client.callTool({ name: 'k__garbage', arguments: {} });
    await client.callTool({ name: 's__garbage', arguments: {} });
    expect(await waitFor(() => logs.length > 0)).toBe(true);
    expect(logs).toEqual([{ level: 'info', logger: 's', data: 'split' }]);
    await client.close();
  });

  it("never relays one client's upstream request to another client's call", async () => {
    const tokens = { alice: 'a'.repeat(32), bob: 'b'.repeat(32) };
    await using gw = await gatewayFixture({ s: fixture(['--client-requests']) }, { auth: { tokens } });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const asked: string[] = [];
    const alice = await v1Client(gw.url, {
      token: tokens.alice,
      sampling: async (params) => {
        asked.push(JSON.stringify(params));
        await released;
        return { model: 'm', role: 'assistant', content: { type: 'text', text: 'alice' } };
      },
    });
    const bob = await v1Client(gw.url, {
      token: tokens.bob,
      sampling: () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'bob' } }),
    });
    const call = alice.callTool({ name: 's__ask', arguments: { prompt: 'from alice' } });
    expect(await waitFor(() => asked.length === 1)).toBe(true);
    // Bob's prompt makes the same shared server ask for sampling while Alice's call waits on hers:
    // berth cannot tell whose it is, so it goes to no one (never to Alice).
    await expect(bob.getPrompt({ name: 's__ask-prompt' })).rejects.toThrow(/cannot tell which client asked/);
    release();
    expect(resultText(await call)).toBe('alice');
    expect(asked).toHaveLength(1);
    await alice.close();
    await bob.close();
  });

  it("passes a 2026 server's input_required on as is, keys and all, in both eras", async () => {
    const modernServer = fileURLToPath(new URL('../fixtures/modern-server.mjs', import.meta.url));
    await using gw = await gatewayFixture({ m: { command: process.execPath, args: [modernServer] } });
    const answer = () => ({ action: 'accept', content: { name: 'Ada' } });
    const modern = await v2Client(gw.url, 'modern', { elicitation: answer });
    // By hand: the server's own key ("who") reaches the client, and the sealed state brings it back.
    const first = (await modern.callTool(
      { name: 'm__greet-me', arguments: {} },
      { allowInputRequired: true },
    )) as unknown as {
      inputRequests: Record<string, unknown>;
      requestState: string;
    };
    expect(Object.keys(first.inputRequests)).toEqual(['who']);
    const retry = { inputResponses: { who: answer() }, requestState: first.requestState };
    const done = await modern.callTool(
      { name: 'm__greet-me', arguments: {}, ...retry },
      { allowInputRequired: true },
    );
    expect(resultText(done)).toBe('Hello, Ada!');
    // A state made for another tool is refused.
    await expect(
      modern.callTool(
        { name: 'm__pid', ...{ requestState: first.requestState } },
        { allowInputRequired: true },
      ),
    ).rejects.toThrow(/another request|requestState/);
    // And as SDK clients do it on their own: v2 fulfils the rounds, v1 answers the shim's request.
    expect(resultText(await modern.callTool({ name: 'm__greet-me', arguments: {} }))).toBe('Hello, Ada!');
    const legacy = await v1Client(gw.url, { elicitation: answer });
    expect(resultText(await legacy.callTool({ name: 'm__greet-me', arguments: {} }))).toBe('Hello, Ada!');
    await modern.close();
    await legacy.close();
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
