/**
 * Config and catalog changes across replicas, on a real Redis: `berth serve` replicas, each with a
 * config file of its own. A change to one replica's file reaches every replica (their clients hear
 * list_changed), exactly once each; the config travels with its `${VAR}` references unexpanded;
 * forged, malformed and huge messages are dropped; a replica that starts later converges; and a
 * stopped replica leaves no Redis connection behind.
 */
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterEvents, MAX_MESSAGE_CHARS, configHash } from '../../src/cluster/events.js';
import { connectRedis, type RedisLink } from '../../src/cluster/redis.js';
import { FIXTURE, fixture, waitFor } from '../helpers.js';
import { v1Client } from '../gateway/helpers.js';
import { cleanUp, startHttpServe, type ServeProcess } from '../gateway/serve-process.js';
import { SECRET } from './cluster-helpers.js';
import { REDIS_SERVER, RedisServer } from './redis-server.js';

const LEASE_MS = 1_500;
/** A value only the replicas' environment has: it must never reach Redis. */
const SECRET_VALUE = 'sync-test-secret-value-4242';

describe.skipIf(!REDIS_SERVER)('config and catalog changes across replicas', { timeout: 90_000 }, () => {
  let redis: RedisServer;
  let probe: RedisLink;
  let prefixes = 0;
  const replicas: Array<ServeProcess & { url: URL }> = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    probe = await connectRedis({ url: redis.url, commandTimeoutMs: 10_000 });
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && process.env.SYNC_TEST_DEBUG)
      for (const replica of replicas) console.error(replica.stderr());
    // A replica that does not exit on SIGTERM (a test that failed on it) is killed, never left behind.
    for (const replica of replicas.splice(0))
      if ((await stop(replica)) === 'hung') replica.child.kill('SIGKILL');
    cleanUp();
  });
  afterAll(async () => {
    await probe?.close();
    await redis?.stop();
  });

  /** A cluster's config (a key prefix of its own), with `servers`, as a file per replica. */
  function cluster(servers: Record<string, unknown>) {
    const prefix = `sync${++prefixes}`;
    const content = (mcpServers: Record<string, unknown>) =>
      JSON.stringify({
        mcpServers,
        gateway: { cluster: { redis: redis.url, secret: SECRET, leaseMs: LEASE_MS, prefix } },
      });
    const file = () => {
      const path = join(mkdtempSync(join(tmpdir(), 'berth-sync-')), 'berth.json');
      writeFileSync(path, content(servers));
      return path;
    };
    return { prefix, content, file };
  }

  /** Starts a replica on `config`, with `env` added to its environment (theirs alone: it spawns at once). */
  async function replica(config: string, env: Record<string, string> = {}) {
    const saved = { ...process.env };
    Object.assign(process.env, { SYNC_TEST_SECRET: SECRET_VALUE, ...env });
    let starting: ReturnType<typeof startHttpServe>;
    try {
      starting = startHttpServe(config, ['--log-format', 'json', '--log-level', 'info']);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    }
    const started = await starting;
    replicas.push(started);
    return started;
  }

  const reloads = (serve: ServeProcess) =>
    serve
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"msg":"config reloaded"')).length;

  /** Whether `condition` holds within `timeoutMs`, asked every 100 ms (not to flood the replicas). */
  async function eventually(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  const toolsOf = async (url: URL) => {
    const client = await v1Client(url);
    try {
      return (await client.listTools()).tools.map((t) => t.name);
    } finally {
      await client.close();
    }
  };

  /** Stops a replica with SIGTERM; it must exit on its own within 30 s (nothing left holding it). */
  async function stop(serve: ServeProcess) {
    serve.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 30_000)));
    try {
      return await Promise.race([serve.exited, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  it("one replica's config change reaches the others, once each, with its ${VAR}s unexpanded", async () => {
    const c = cluster({ a: fixture() });
    const [fileA, fileB] = [c.file(), c.file()];
    const A = await replica(fileA);
    const B = await replica(fileB);
    const bFile = readFileSync(fileB, 'utf8');
    const client = await v1Client(B.url);
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (changes += 1));
    await client.listTools(); // its notification stream is open

    writeFileSync(fileA, c.content({ a: fixture(), x: fixture(['--tool-name=added']) }));
    expect(
      await eventually(
        async () => (await client.listTools()).tools.some((t) => t.name === 'x__added'),
        30_000,
      ),
    ).toBe(true);
    expect(await waitFor(() => changes >= 1, 10_000)).toBe(true);
    expect(readFileSync(fileB, 'utf8')).toBe(bFile); // B's own file untouched

    // A second change, with a secret: it arrives too, and only as its reference.
    writeFileSync(
      fileA,
      c.content({
        a: fixture(),
        x: fixture(['--tool-name=added']),
        y: fixture(['--tool-name=second'], { env: { TOKEN: '${SYNC_TEST_SECRET}' } }),
      }),
    );
    expect(await eventually(async () => (await toolsOf(B.url)).includes('y__second'))).toBe(true);
    const record = await probe.command<string | null>(['HGET', `${c.prefix}:config`, 'record']);
    expect(record).toContain('${SYNC_TEST_SECRET}');
    const keys = await probe.command<string[]>(['KEYS', `${c.prefix}:*`]);
    for (const key of keys) {
      const type = String(await probe.command(['TYPE', key]));
      const read = { string: ['GET', key], hash: ['HGETALL', key], zset: ['ZRANGE', key, '0', '-1'] }[type];
      expect(read, `key ${key} of type ${type}`).toBeDefined();
      expect(JSON.stringify(await probe.command(read!))).not.toContain(SECRET_VALUE);
    }
    await client.close();
    await stop(A);
    await stop(B);
    // No ping-pong: each change made exactly one reload on each replica.
    expect(reloads(A)).toBe(2);
    expect(reloads(B)).toBe(2);
    expect(B.stderr()).toContain('cluster: applied the config another replica published');
    // B never published what it applied (A published its first config on joining, then two changes).
    const published = (serve: ServeProcess) =>
      serve
        .stderr()
        .split('\n')
        .filter((line) => line.includes("published this replica's config")).length;
    expect(published(B)).toBe(0);
    expect(published(A)).toBe(3);
    expect(A.stderr()).not.toContain('cluster: applied the config another replica published');
  });

  /** `body` signed as a replica of cluster `prefix` would sign it (or with another secret). */
  function signed(prefix: string, body: string, secret = SECRET) {
    const mac = createHmac('sha256', secret).update(`berth-cluster-event\n${prefix}:\n${body}`);
    return `${mac.digest('base64url')}.${body}`;
  }

  it('forged, malformed, huge and replayed messages are dropped, reported, and nothing is lost', async () => {
    const c = cluster({ a: fixture() });
    const [A, B] = await Promise.all([replica(c.file()), replica(c.file())]);
    const fileA = A.child.spawnargs[A.child.spawnargs.indexOf('--config') + 1]!;
    const change = async (servers: Record<string, unknown>, tool: string) => {
      writeFileSync(fileA, c.content(servers));
      expect(await eventually(async () => (await toolsOf(B.url)).includes(tool))).toBe(true);
    };
    // The config both started with (A published it on joining): it will be replayed once superseded.
    const first = await probe.command<string>(['HGET', `${c.prefix}:config`, 'record']);
    await change({ a: fixture(), y: fixture(['--tool-name=two']) }, 'y__two');

    // What a stranger on the channel could send: a config that would stop every server.
    const empty = { mcpServers: {} };
    const hash = createHash('sha256').update(JSON.stringify(empty)).digest('hex');
    const evil = JSON.stringify({ type: 'config', replica: 'evil', version: 2 ** 52, hash, config: empty });
    const channel = `${c.prefix}:events`;
    await probe.command(['PUBLISH', channel, signed(c.prefix, evil, 'not-the-cluster-secret-0123456789')]);
    await probe.command(['PUBLISH', channel, signed(`${c.prefix}x`, evil)]); // another cluster's
    await probe.command(['PUBLISH', channel, 'not even signed']);
    await probe.command(['PUBLISH', channel, signed(c.prefix, '{"type":"config","replica":"evil"}')]);
    await probe.command(['PUBLISH', channel, signed(c.prefix, 'x'.repeat(2 * 1024 * 1024))]);
    await probe.command(['PUBLISH', channel, first]); // an older config, replayed
    // A config signed by the cluster that this replica cannot use: an error naming its sender.
    const version = await probe.command<number>(['INCR', `${c.prefix}:config:version`]);
    const unusable = { mcpServers: 5 };
    const unusableHash = createHash('sha256').update(JSON.stringify(unusable)).digest('hex');
    await probe.command([
      'PUBLISH',
      channel,
      signed(
        c.prefix,
        JSON.stringify({
          type: 'config',
          replica: 'r-unusable',
          version,
          hash: unusableHash,
          config: unusable,
        }),
      ),
    ]);
    // A real change still arrives, and B never ran the forged or the replayed config meanwhile.
    await change({ a: fixture(), z: fixture(['--tool-name=three']) }, 'z__three');
    const tools = await toolsOf(B.url);
    expect(tools).toContain('a__echo');
    expect(tools).not.toContain('y__two');
    await stop(A);
    await stop(B);
    expect(reloads(B)).toBe(2);
    const reported = (what: string) =>
      B.stderr()
        .split('\n')
        .filter((line) => line.includes(`ignored a ${what} message`)).length;
    expect(reported('forged')).toBe(1); // two forged messages: reported once
    expect(reported('malformed')).toBe(1);
    expect(reported('too large')).toBe(1);
    expect(B.stderr()).toMatch(/config published by replica r-unusable cannot be used here/);
  });

  it('a replica that starts later takes the latest config; one with a config new to the cluster leads', async () => {
    const c = cluster({ a: fixture() });
    const [A, B] = await Promise.all([replica(c.file()), replica(c.file())]);
    const fileA = A.child.spawnargs[A.child.spawnargs.indexOf('--config') + 1]!;
    writeFileSync(fileA, c.content({ a: fixture(), x: fixture(['--tool-name=added']) }));
    expect(await eventually(async () => (await toolsOf(B.url)).includes('x__added'))).toBe(true);

    // C's file is the cluster's first config, which A's change superseded: C takes A's.
    const C = await replica(c.file());
    expect(await toolsOf(C.url)).toContain('x__added');
    expect(C.stderr()).toContain('cluster: applied the config another replica published');

    // D's file was changed while it was away (the cluster never saw it): D's wins everywhere.
    const fileD = c.file();
    writeFileSync(fileD, c.content({ a: fixture(), d: fixture(['--tool-name=mine']) }));
    const D = await replica(fileD);
    expect(D.stderr()).toContain("this replica's config is new to the cluster");
    for (const other of [A, B, C]) {
      expect(await eventually(async () => (await toolsOf(other.url)).includes('d__mine'), 30_000)).toBe(true);
    }
    expect(await toolsOf(A.url)).not.toContain('x__added');
  });

  it('a stopped replica closes its subscribed connection and exits on its own; the last leaves no key', async () => {
    const c = cluster({ a: fixture() });
    const [A, B] = await Promise.all([replica(c.file()), replica(c.file())]);
    const channel = `${c.prefix}:events`;
    const subscribers = async () =>
      Number((await probe.command<[string, number]>(['PUBSUB', 'NUMSUB', channel]))[1]);
    const clients = async () =>
      String(await probe.command(['CLIENT', 'LIST']))
        .trim()
        .split('\n').length;
    expect(await subscribers()).toBe(2);
    const before = await clients();
    expect(before).toBeGreaterThanOrEqual(5); // the probe, and two connections per replica
    expect(await stop(A)).toEqual({ code: 0, signal: null });
    expect(await subscribers()).toBe(1);
    expect(await stop(B)).toEqual({ code: 0, signal: null });
    expect(await subscribers()).toBe(0);
    expect(await clients()).toBe(1); // the probe alone
    expect(await probe.command<string[]>(['KEYS', `${c.prefix}:*`])).toEqual([]);
  });

  it("a list change on one replica reaches the others' clients when their lists differ, with no echo", async () => {
    // One config; the server `only` runs on A alone (B lacks its variable): their tool lists differ.
    const c = cluster({ a: fixture(), only: { command: '${SYNC_ONLY_CMD}', args: [FIXTURE] } });
    const [A, B] = await Promise.all([
      replica(c.file(), { SYNC_ONLY_CMD: process.execPath }),
      replica(c.file()),
    ]);
    expect(await toolsOf(A.url)).toContain('only__echo');
    expect(await toolsOf(B.url)).not.toContain('only__echo');
    const heard = { A: 0, B: 0 };
    const clients = await Promise.all(
      (['A', 'B'] as const).map(async (name) => {
        const client = await v1Client((name === 'A' ? A : B).url);
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (heard[name] += 1));
        await client.listTools(); // its notification stream is open
        return client;
      }),
    );
    // A's upstream adds a tool: A's clients hear it, and so do B's (a listing may be answered by A).
    await clients[0]!.callTool({ name: 'a__add-tool', arguments: {} });
    expect(await waitFor(() => heard.A >= 1 && heard.B >= 1, 20_000)).toBe(true);
    // A config change on A as a later mark: by the time B has it, an echo would have shown.
    const fileA = A.child.spawnargs[A.child.spawnargs.indexOf('--config') + 1]!;
    writeFileSync(
      fileA,
      c.content({ a: fixture(), only: { command: '${SYNC_ONLY_CMD}', args: [FIXTURE] }, z: fixture() }),
    );
    expect(await eventually(async () => (await toolsOf(B.url)).includes('z__echo'))).toBe(true);
    await Promise.all(clients.map((client) => client.close()));
    expect(heard.A).toBeLessThanOrEqual(5); // an echo would be hundreds
    expect(heard.B).toBeLessThanOrEqual(5);
  });

  it('a config too large for the channel is refused with a clear error, and nothing is stored', async () => {
    const prefix = `sync${++prefixes}:`;
    const events = await ClusterEvents.start(probe, { prefix, secret: SECRET, replica: 'r1' });
    try {
      const config = { mcpServers: { big: { command: 'x', args: ['y'.repeat(MAX_MESSAGE_CHARS)] } } };
      await expect(events.publishConfig(configHash(config), config)).rejects.toThrow(
        /too large to share with the other replicas/,
      );
      expect(await events.latestConfig()).toBeUndefined();
      const small = { mcpServers: {} };
      expect(await events.publishConfig(configHash(small), small)).toMatchObject({ replica: 'r1' });
      expect(await events.latestConfig()).toMatchObject({ config: small });
    } finally {
      events.close();
      await probe.command(['UNLINK', `${prefix}config`, `${prefix}config:seen`, `${prefix}config:version`]);
    }
  });
});
