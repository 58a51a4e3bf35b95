/**
 * What the gateway serves: names by prefix mode (and a collision it cannot resolve refused at start),
 * honest aggregation (a failed or hanging upstream never stalls the list; a call names the server and
 * why), per-call list changes reaching connected clients.
 */
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, serve } from '../../src/index.js';
import { fixture, hostFixture, waitFor } from '../helpers.js';
import { gatewayFixture, resultText, v1Client, v2Client } from './helpers.js';

const tools = async (url: URL) => {
  const client = await v1Client(url);
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
};

describe('gateway catalog', () => {
  it('prefix "always" serves catalog names; "collision" bare names unless two servers share one', async () => {
    const servers = { a: fixture(['--tool-name=only_a']), b: fixture(['--tool-name=only_b']) };
    await using always = await gatewayFixture(servers);
    expect(await tools(always.url)).toEqual(expect.arrayContaining(['a__echo', 'b__echo', 'a__only_a']));
    await using collision = await gatewayFixture(servers, { prefix: 'collision' });
    const names = await tools(collision.url);
    expect(names).toEqual(expect.arrayContaining(['a__echo', 'b__echo', 'only_a', 'only_b']));
    expect(names).not.toContain('echo');
    const client = await v2Client(collision.url, 'modern');
    expect(resultText(await client.callTool({ name: 'only_b', arguments: {} }))).toBe('only_b');
    expect(resultText(await client.callTool({ name: 'a__echo', arguments: { value: 'x' } }))).toBe('x');
    await client.close();
  });

  it('prefix "never" serves bare names, and refuses to start on a collision', async () => {
    await using one = await gatewayFixture({ a: fixture() }, { prefix: 'never' });
    expect(await tools(one.url)).toContain('echo');
    await using fx = await hostFixture({ a: fixture(), b: fixture() });
    const started = serve(fx.host, { gateway: { listen: '127.0.0.1:0', prefix: 'never' } });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/tool name "echo" would be served for "a__echo" and "b__echo"/);
  });

  it('a failed or hanging upstream never stalls the list; a call to it names the server and why', async () => {
    await using gw = await gatewayFixture({
      ok: fixture(),
      broken: fixture(['--crash-on-start'], { restart: { maxRestarts: 0 } }),
    });
    const client = await v2Client(gw.url, 'modern');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('ok__echo');
    expect(names.some((n) => n.startsWith('broken__'))).toBe(false);
    await expect(client.callTool({ name: 'broken__echo', arguments: { value: 'x' } })).rejects.toThrow(
      /server "broken" is failed/,
    );
    // A server whose name is not a catalog name as it stands (sanitized, or made to start with `_`).
    for (const [name, served] of [
      ['my.server', 'my_server__echo'],
      ['1st', '_1st__echo'],
    ] as const) {
      await gw.fx.host
        .add(name, fixture(['--crash-on-start'], { restart: { maxRestarts: 0 } }))
        .catch(() => undefined);
      await expect(client.callTool({ name: served, arguments: { value: 'x' } })).rejects.toThrow(
        `server "${name}" is failed`,
      );
    }
    // A server that never finishes starting: the list is served meanwhile, without its tools.
    let settled = false;
    const adding = gw.fx.host
      .add('hang', fixture(['--hang-on-start'], { startupTimeoutMs: 3000 }))
      .catch(() => undefined)
      .finally(() => (settled = true));
    const during = (await client.listTools()).tools.map((t) => t.name);
    expect(settled).toBe(false);
    expect(during).toContain('ok__echo');
    expect(during.some((n) => n.startsWith('hang__'))).toBe(false);
    await adding;
    await client.close();
  });

  it('tells connected clients when the catalog changes (an upstream list_changed, a server added)', async () => {
    await using gw = await gatewayFixture({ a: fixture() });
    const client = await v1Client(gw.url);
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (changes += 1));
    // The client's GET stream carries notifications; wait until it is open.
    await client.listTools();
    await client.callTool({ name: 'a__add-tool', arguments: {} });
    expect(await waitFor(() => changes >= 1, 10_000)).toBe(true);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('a__added');
    await gw.fx.host.add('b', fixture());
    expect(await waitFor(() => changes >= 2, 10_000)).toBe(true);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('b__echo');
    await client.close();
  });

  it("tells a failed server's state only to principals who may use its tools", async () => {
    const tokens = { alice: 'a'.repeat(32), bob: 'b'.repeat(32) };
    await using gw = await gatewayFixture(
      { ok: fixture(), broken: fixture(['--crash-on-start'], { restart: { maxRestarts: 0 } }) },
      { auth: { tokens }, principals: { bob: { tools: { deny: ['broken__*'] } } } },
    );
    const alice = await v2Client(gw.url, 'modern', { token: tokens.alice });
    const bob = await v2Client(gw.url, 'modern', { token: tokens.bob });
    await expect(alice.callTool({ name: 'broken__echo', arguments: {} })).rejects.toThrow(
      /server "broken" is failed/,
    );
    const refused = bob.callTool({ name: 'broken__echo', arguments: {} });
    await expect(refused).rejects.toThrow(/Unknown tool: broken__echo/);
    await expect(refused).rejects.not.toThrow(/server "broken"/);
    await alice.close();
    await bob.close();
  });
});
