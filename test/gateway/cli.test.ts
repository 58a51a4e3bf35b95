/**
 * `berth serve` as a process (the built CLI), as users run it: it says where it serves in one line
 * once it listens; SIGTERM lets the calls in flight finish, then it exits 0 with no server process
 * left; SIGKILL leaves the watchdog to reap every server process; and `--stdio` serves one SDK client
 * on its stdin/stdout until that client closes stdin, then exits 0 with nothing left.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, fixture, waitFor } from '../helpers.js';
import { resultText } from './helpers.js';
import {
  PipeTransport,
  childrenOf,
  cleanUp,
  configFile,
  startHttpServe,
  startServe,
  track,
} from './serve-process.js';

afterEach(cleanUp);

const servers = () => ({
  s: fixture(),
  k: fixture([], { session: 'keyed', maxSessions: 4 }),
});

async function v1(url: URL): Promise<V1Client> {
  const client = new V1Client({ name: 'cli-v1', version: '1.0.0' });
  await client.connect(new V1Transport(url));
  return client;
}

async function v2(url: URL): Promise<Client> {
  const client = new Client(
    { name: 'cli-v2', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

describe.skipIf(process.platform !== 'linux')('berth serve, the process', () => {
  it('says where it serves in exactly one line once listening; SIGTERM lets calls in flight finish, exit 0', async () => {
    const { path, pids } = configFile(servers());
    const serve = await startHttpServe(path);
    const lines = serve.stderr().split('\n');
    const serving = lines.filter((line) => line.startsWith('berth: serving'));
    expect(serving).toHaveLength(1);
    expect(serving[0]).toMatch(/^berth: serving http:\/\/127\.0\.0\.1:[1-9]\d*\/mcp$/);
    expect(serve.url.href).toBe(serving[0]!.slice('berth: serving '.length));
    track(pids.pids());

    // Listening already when it said so: both eras connect at once.
    const legacy = await v1(serve.url);
    const modern = await v2(serve.url);
    track(pids.pids());
    const calls = [
      legacy.callTool({ name: 'k__sleep', arguments: { ms: 600 } }),
      modern.callTool({ name: 's__sleep', arguments: { ms: 600 } }),
    ];
    expect(await waitFor(() => pids.count('sleeping') === 2, 10_000)).toBe(true);
    track(pids.pids());
    serve.child.kill('SIGTERM');
    expect((await Promise.all(calls)).map(resultText)).toEqual(['slept 600', 'slept 600']);
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(alive(pids.pids())).toEqual([]);
    expect(
      serve
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('berth: serving')),
    ).toHaveLength(1);
    await legacy.close();
    await modern.close();
  });

  it('SIGKILLed: the watchdog reaps every server process, the keyed sessions’ too', async () => {
    const { path, pids } = configFile({
      ...servers(),
      stubborn: fixture(['--ignore-sigterm']), // only SIGKILL ends it
    });
    const serve = await startHttpServe(path);
    const clients = [await v1(serve.url), await v1(serve.url), await v2(serve.url)];
    const keyedPids = await Promise.all(
      clients.map(async (client) =>
        Number(resultText(await client.callTool({ name: 'k__pid', arguments: {} }))),
      ),
    );
    expect(new Set(keyedPids).size).toBe(3);
    const tree = pids.pids();
    track(tree);
    expect(alive(tree)).toEqual(tree);
    expect(tree.length).toBeGreaterThanOrEqual(5); // s, stubborn, and a keyed process per client
    const watchdog = childrenOf(serve.child.pid!).find(({ command }) => command.startsWith('berth-watchdog'));
    expect(watchdog?.command).toBe(`berth-watchdog --host-pid=${serve.child.pid}`);
    track([watchdog!.pid]);

    serve.child.kill('SIGKILL');
    expect((await serve.exited).signal).toBe('SIGKILL');
    expect(await waitFor(() => alive([...tree, watchdog!.pid]).length === 0, 5_000)).toBe(true);
    for (const client of clients) await client.close().catch(() => undefined);
  });

  for (const era of ['2025 (SDK v1)', '2026-07-28 (SDK v2)'] as const) {
    it(`--stdio serves one client (${era}); its closing stdin ends berth with exit 0 and nothing left`, async () => {
      const { path, pids } = configFile(servers());
      const serve = startServe(['--stdio', '--config', path]);
      const transport = new PipeTransport(serve.child);
      const client = era.startsWith('2025')
        ? new V1Client({ name: 'desktop-v1', version: '1.0.0' })
        : new Client(
            { name: 'desktop-v2', version: '1.0.0' },
            { versionNegotiation: { mode: { pin: '2026-07-28' } } },
          );
      await client.connect(transport);
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['s__echo', 'k__increment']));
      const inc = async () =>
        resultText(await client.callTool({ name: 'k__increment', arguments: { by: 1 } }));
      expect(await inc()).toBe('1');
      expect(await inc()).toBe('2');
      expect(resultText(await client.callTool({ name: 's__echo', arguments: { value: 'hi' } }))).toBe('hi');
      track(pids.pids());
      expect(alive(pids.pids())).toHaveLength(2);

      await transport.close(); // stdin ends, nothing else
      expect(
        await waitFor(() => serve.child.exitCode !== null || serve.child.signalCode !== null, 10_000),
      ).toBe(true);
      expect(await serve.exited).toEqual({ code: 0, signal: null });
      expect(alive(pids.pids())).toEqual([]);
      expect(serve.stderr()).toMatch(/^berth: serving on stdio$/m);
    });
  }
});
