/**
 * Config and catalog changes across replicas, on a real Redis: `berth serve` replicas, each with a
 * config file of its own. A change to one replica's file reaches every replica (their clients hear
 * list_changed), exactly once each; the config travels with its `${VAR}` references unexpanded;
 * forged, malformed and huge messages are dropped; a replica that starts later converges; and a
 * stopped replica leaves no Redis connection behind.
 */
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisLink } from '../../src/cluster/redis.js';
import { fixture, waitFor, waitForAsync } from '../helpers.js';
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
  afterEach(async () => {
    for (const replica of replicas.splice(0)) {
      if (replica.child.exitCode === null) replica.child.kill('SIGTERM');
      await replica.exited;
    }
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

  async function replica(config: string, env: Record<string, string> = {}) {
    const saved = { ...process.env };
    Object.assign(process.env, { SYNC_TEST_SECRET: SECRET_VALUE, ...env });
    try {
      const started = await startHttpServe(config, ['--log-format', 'json', '--log-level', 'info']);
      replicas.push(started);
      return started;
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    }
  }

  const reloads = (serve: ServeProcess) =>
    serve
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"msg":"config reloaded"')).length;

  const toolsOf = async (url: URL) => {
    const client = await v1Client(url);
    try {
      return (await client.listTools()).tools.map((t) => t.name);
    } finally {
      await client.close();
    }
  };

  async function stop(serve: ServeProcess) {
    serve.child.kill('SIGTERM');
    return serve.exited;
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
      await waitForAsync(
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
    expect(await waitForAsync(async () => (await toolsOf(B.url)).includes('y__second'), 30_000)).toBe(true);
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
    expect(A.stderr()).not.toContain('cluster: applied the config another replica published');
  });
});
