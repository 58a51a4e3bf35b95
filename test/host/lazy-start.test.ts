/**
 * The `lazy` start mode and its start cache, with real fixture server processes counted by pid file:
 * a warm cache serves the catalog with no process, the first use starts exactly one; a cold, corrupt,
 * foreign or stale cache; two hosts sharing one cache directory; no env value ever reaches a file;
 * races of first calls, close, restart and replace; and the CLI (`berth tools`, `berth call`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { open as fsOpen } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cacheKey, ListingCache } from '../../src/cache/listing-cache.js';
import { resolveConfig } from '../../src/config/load.js';
import { Redactor } from '../../src/gateway/status/redact.js';
import { buildSnapshot, ClientLabels } from '../../src/gateway/status/snapshot.js';
import { createHost, type Host, type HostEvent } from '../../src/index.js';
import { alive, FIXTURE, fixture, pidFile, startHttpFixture, text, waitFor } from '../helpers.js';

const CLI = fileURLToPath(new URL('../../dist/bin/berth.js', import.meta.url));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'berth-cache-'));
}

/** A lazy fixture entry. */
function lazy(pids: { path: string }, env: Record<string, string> = {}, flags: string[] = []) {
  const entry = fixture(flags, {}, pids);
  return { ...entry, env: { ...entry.env, ...env }, start: 'lazy' };
}

async function open(
  servers: Record<string, unknown>,
  cacheDir: string,
  events: HostEvent[] = [],
): Promise<Host> {
  return createHost({ mcpServers: servers }, { cacheDir, onEvent: (e) => void events.push(e) });
}

/** The cache files in `dir` (their names, without temp files). */
function cacheFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
}

/** Runs the host once so the cache holds the server's listing; returns the pids it spawned. */
async function warm(servers: Record<string, unknown>, cacheDir: string): Promise<void> {
  const host = await open(servers, cacheDir);
  await host.close(); // awaits the cache writes
}

describe('lazy start from the start cache', () => {
  it('cold: starts the server as eager does, and caches its listing (0600 file, 0700 dir)', async () => {
    const pids = pidFile();
    const dir = join(tempDir(), 'nested', 'cache');
    const host = await open({ a: lazy(pids) }, dir);
    try {
      expect(pids.count('server')).toBe(1);
      expect(host.tool('a__increment')).toBeDefined();
      expect(host.status()[0]).toMatchObject({ state: 'ready', lazy: { started: true } });
    } finally {
      await host.close();
    }
    const files = cacheFiles(dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as Record<string, unknown>;
    expect(saved.server).toBe('a');
    expect(saved.serverInfo).toEqual({ name: 'fixture', version: '1.0.0' });
  });

  it('warm: lists the tools with no process; the first call starts exactly one', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const servers = { a: lazy(pids), b: lazy(pids, {}, ['--name=b']) };
    await warm(servers, dir);
    expect(pids.count('server')).toBe(2);
    const host = await open(servers, dir);
    try {
      expect(pids.count('server')).toBe(2); // nothing spawned
      expect(host.tools().map((t) => t.name)).toContain('a__increment');
      expect(host.tools().map((t) => t.name)).toContain('b__increment');
      const [a] = host.status();
      expect(a).toMatchObject({ state: 'ready', lazy: { started: false } });
      expect(a!.pid).toBeUndefined();
      expect(a!.lazy!.cachedAt).toBeDefined();
      // Racing first calls share one start.
      const results = await Promise.all([1, 2, 3].map(() => host.callTool('a__increment', { by: 1 })));
      expect(results.map(text).sort()).toEqual(['1', '2', '3']);
      expect(pids.count('server')).toBe(3); // only a
      expect(host.status()[0]).toMatchObject({ state: 'ready', lazy: { started: true } });
      expect(host.status()[1]).toMatchObject({ lazy: { started: false } });
    } finally {
      await host.close();
    }
    expect(alive(pids.pids('server'))).toEqual([]);
  });

  it('keyed scope: the first call is served by the session its start opens (one process)', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const servers = { a: { ...lazy(pids), session: 'keyed' } };
    await warm(servers, dir);
    const before = pids.count('server');
    const host = await open(servers, dir);
    try {
      expect(pids.count('server')).toBe(before);
      expect(text(await host.callTool('a__increment', {}, { key: 'k' }))).toBe('1');
      expect(pids.count('server') - before).toBe(1); // not a listing probe and then the key's session
    } finally {
      await host.close();
    }
  });

  it('calls waiting for the first start count as waiting in status()', async () => {
    const pids = pidFile();
    const dir = tempDir();
    // The same entry before and after: the script first serves, then never answers the handshake.
    const script = join(tempDir(), 'server.mjs');
    writeFileSync(script, `await import(${JSON.stringify(pathToFileURL(FIXTURE).href)});\n`);
    const entry = {
      command: process.execPath,
      args: [script],
      env: { FIXTURE_PID_FILE: pids.path },
      start: 'lazy',
      session: 'keyed',
      startupTimeoutMs: 60_000,
    };
    await warm({ a: entry }, dir);
    writeFileSync(script, 'setInterval(() => {}, 1000);\n');
    const host = await open({ a: entry }, dir);
    try {
      expect(host.status()[0]).toMatchObject({ waiting: 0, lazy: { started: false } });
      const controller = new AbortController();
      const calls = [1, 2].map((n) =>
        host.callTool('a__increment', {}, { key: `k${n}`, signal: controller.signal }).catch(() => 'aborted'),
      );
      expect(await waitFor(() => host.status()[0]!.waiting === 2)).toBe(true);
      controller.abort();
      expect(await Promise.all(calls)).toEqual(['aborted', 'aborted']);
      expect(host.status()[0]!.waiting).toBe(0);
    } finally {
      await host.close();
    }
  });

  it('the status page says a lazy server is not started, and when its catalog was cached', async () => {
    const pids = pidFile();
    const dir = tempDir();
    await warm({ a: lazy(pids) }, dir);
    const host = await open({ a: lazy(pids) }, dir);
    const view = () =>
      buildSnapshot({
        rows: host.status(),
        calls: [],
        labels: new ClientLabels(Buffer.alloc(32)),
        redactor: new Redactor(),
        gateway: { version: 'test', clientSessions: 0, statusStreams: 0 },
      }).servers[0];
    try {
      const before = view();
      expect(before).toMatchObject({ name: 'a', state: 'ready', lazy: { started: false } });
      expect(before?.lazy?.cachedAt).toEqual(host.status()[0]!.lazy!.cachedAt);
      expect(before?.pid).toBeUndefined();
      await host.callTool('a__increment', {});
      expect(view()).toMatchObject({ state: 'ready', lazy: { started: true } });
      expect(view()?.pid).toBeGreaterThan(0);
      expect(view()?.lazy?.cachedAt).toBeUndefined(); // the server listed itself
    } finally {
      await host.close();
    }
  });

  it('a corrupt, foreign or malformed cache file is a miss, and is rewritten', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const servers = { a: lazy(pids) };
    await warm(servers, dir);
    const [name] = cacheFiles(dir);
    const file = join(dir, name!);
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const listing = good.listing as { tools: unknown[] };
    const spoiled = [
      '{"format":1, "berth": "tor', // torn
      JSON.stringify({ ...good, berth: '0.0.0-other' }), // another berth version
      JSON.stringify({ ...good, key: 'f'.repeat(64) }), // another entry's
      JSON.stringify({ ...good, listing: { ...listing, tools: [{ name: 7 }] } }), // a tool berth never wrote
      JSON.stringify({ ...good, listing: { tools: listing.tools } }), // lists missing
      // A well-formed listing, but not the one berth sealed: its digest no longer matches.
      JSON.stringify({ ...good, listing: { ...listing, tools: listing.tools.slice(1) } }),
      JSON.stringify({ ...good, digest: undefined }), // unsealed
      JSON.stringify({ ...good, format: 1 }), // the layout before the seal
    ];
    let spawned = 1;
    for (const content of spoiled) {
      writeFileSync(file, content);
      const host = await open(servers, dir);
      try {
        spawned += 1;
        expect(pids.count('server'), content).toBe(spawned);
        expect(host.tool('a__increment')).toBeDefined();
      } finally {
        await host.close();
      }
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ key: good.key, berth: good.berth });
    }
    // And rewritten well: the next host is warm again.
    const host = await open(servers, dir);
    await host.close();
    expect(pids.count('server')).toBe(spawned);
  });

  it('a listing that changed since it was cached is announced as a catalog change, and cached', async () => {
    const pids = pidFile();
    const dir = tempDir();
    // Same entry (env names are the same, values differ): the same cache file.
    await warm({ a: lazy(pids, { FIXTURE_EXTRA_TOOL: 'old_tool' }) }, dir);
    const events: HostEvent[] = [];
    const host = await open({ a: lazy(pids, { FIXTURE_EXTRA_TOOL: 'new_tool' }) }, dir, events);
    try {
      expect(host.tool('a__old_tool')).toBeDefined(); // from the cache
      expect(events.filter((e) => e.type === 'tools:changed')).toHaveLength(1); // the cached catalog
      await host.callTool('a__increment', {});
      expect(host.tool('a__new_tool')).toBeDefined();
      expect(host.tool('a__old_tool')).toBeUndefined();
      expect(events.filter((e) => e.type === 'tools:changed')).toHaveLength(2);
    } finally {
      await host.close();
    }
    const [name] = cacheFiles(dir);
    expect(readFileSync(join(dir, name!), 'utf8')).toContain('new_tool');
  });

  it('an unchanged listing is no catalog change when the server starts', async () => {
    const pids = pidFile();
    const dir = tempDir();
    await warm({ a: lazy(pids) }, dir);
    const events: HostEvent[] = [];
    const host = await open({ a: lazy(pids) }, dir, events);
    try {
      const before = events.filter((e) => e.type === 'tools:changed' || e.type === 'catalog:changed');
      await host.callTool('a__increment', {});
      const after = events.filter((e) => e.type === 'tools:changed' || e.type === 'catalog:changed');
      expect(after).toEqual(before);
    } finally {
      await host.close();
    }
  });

  it('two hosts sharing one cache directory at once: both work, the file stays whole', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const servers = { a: lazy(pids), b: lazy(pids, {}, ['--name=b']), c: lazy(pids, {}, ['--tools=30']) };
    const [one, two] = await Promise.all([open(servers, dir), open(servers, dir)]);
    try {
      // Both restart their servers again and again, each rewriting the files the other reads.
      await Promise.all(
        [one, two].flatMap((host) =>
          ['a', 'b', 'c'].map(async (s) => {
            for (let i = 0; i < 3; i++) await host.restart(s);
          }),
        ),
      );
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
    expect(cacheFiles(dir)).toHaveLength(3);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const started = pids.count('server');
    const third = await open(servers, dir);
    try {
      expect(pids.count('server')).toBe(started); // warm for all three
      expect(third.tools().filter((t) => t.server === 'c')).toHaveLength(
        one.tools().filter((t) => t.server === 'c').length,
      );
    } finally {
      await third.close();
    }
  });

  it('a reader never sees a torn file while writers race', async () => {
    const dir = tempDir();
    const [spec] = resolveConfig(
      { mcpServers: { a: { command: 'x', start: 'lazy' } } },
      '<inline>',
      {},
    ).servers;
    const cache = new ListingCache(dir);
    const big = (n: number) => ({
      tools: Array.from({ length: 200 }, (_, i) => ({
        name: `t${n}_${i}`,
        description: 'x'.repeat(500),
        inputSchema: { type: 'object' as const },
      })),
      prompts: [],
      resources: [],
      resourceTemplates: [],
    });
    await cache.write(spec!, big(0), undefined);
    const writers = Array.from({ length: 20 }, (_, n) => cache.write(spec!, big(n), undefined));
    const readers = Array.from({ length: 60 }, () => cache.read(spec!));
    const read = await Promise.all(readers);
    await Promise.all(writers);
    for (const hit of read) expect(hit?.listing.tools).toHaveLength(200);
  });

  it('a write replaces the file whole: a reader that opened the old file reads it unchanged', async () => {
    const dir = tempDir();
    const [spec] = resolveConfig(
      { mcpServers: { a: { command: 'x', start: 'lazy' } } },
      '<inline>',
      {},
    ).servers;
    const cache = new ListingCache(dir);
    const listing = (name: string) => ({
      tools: [{ name, inputSchema: { type: 'object' as const } }],
      prompts: [],
      resources: [],
      resourceTemplates: [],
    });
    await cache.write(spec!, listing('old_tool'), undefined);
    const file = cache.fileFor(spec!);
    const before = readFileSync(file, 'utf8');
    const reader = await fsOpen(file, 'r');
    try {
      await cache.write(spec!, listing('new_tool'), undefined);
      // Written in place, the open file would now be truncated or hold the new listing.
      expect(await reader.readFile('utf8')).toBe(before);
    } finally {
      await reader.close();
    }
    expect(readFileSync(file, 'utf8')).toContain('new_tool');
    expect(readdirSync(dir)).toEqual([basename(file)]); // no temporary file left
  });

  it('the cache holds env names only, never their values; the key ignores values', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const secret = 'sk-live-5ecret-VALUE-4242';
    await warm({ a: lazy(pids, { API_TOKEN: secret }) }, dir);
    const files = cacheFiles(dir);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(dir, files[0]!), 'utf8')).not.toContain(secret);
    const spec = (env: Record<string, string>, headers?: Record<string, string>) =>
      resolveConfig(
        {
          mcpServers: {
            a: headers ? { url: 'http://127.0.0.1:1/mcp', headers } : { command: 'x', env, start: 'lazy' },
          },
        },
        '<inline>',
        {},
      ).servers[0]!;
    expect(cacheKey(spec({ T: 'one' }))).toBe(cacheKey(spec({ T: 'two' })));
    expect(cacheKey(spec({ T: 'one' }))).not.toBe(cacheKey(spec({ U: 'one' })));
    expect(cacheKey(spec({}, { Authorization: 'Bearer a' }))).toBe(
      cacheKey(spec({}, { Authorization: 'Bearer b' })),
    );
  });

  it('a remote lazy server: its header values and URL are in no cache file', async () => {
    const secret = 'hdr-5ecret-token-9731';
    const server = await startHttpFixture('http-server.mjs', { env: { REQUIRED_TOKEN: secret } });
    try {
      const dir = tempDir();
      const url = `${server.origin}/mcp?key=url-5ecret-4455`;
      const servers = {
        r: { type: 'http', url, headers: { Authorization: `Bearer ${secret}` }, start: 'lazy' },
      };
      await warm(servers, dir);
      const files = cacheFiles(dir);
      expect(files).toHaveLength(1);
      const written = readFileSync(join(dir, files[0]!), 'utf8');
      expect(written).toContain('"increment"'); // its listing was cached
      expect(written).not.toContain(secret);
      expect(written).not.toContain('url-5ecret-4455');
      const host = await open(servers, dir);
      try {
        expect(host.status()[0]).toMatchObject({ state: 'ready', lazy: { started: false } });
        expect(text(await host.callTool('r__increment', { by: 2 }))).toBe('2');
      } finally {
        await host.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('restart() of a server never started starts it once', async () => {
    const pids = pidFile();
    const dir = tempDir();
    await warm({ a: lazy(pids) }, dir);
    const host = await open({ a: lazy(pids) }, dir);
    try {
      await Promise.all([host.restart('a'), host.restart('a')]);
      expect(pids.count('server')).toBe(2);
      expect(host.status()[0]).toMatchObject({ state: 'ready', lazy: { started: true } });
      expect(host.status()[0]!.pid).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  });

  it.each(['call', 'restart'] as const)(
    'close() during a start on first use (%s) leaves no process, and refuses later calls',
    async (use) => {
      const pids = pidFile();
      const dir = tempDir();
      // Ends only by SIGKILL, after both graces: close() must wait for that, not return before.
      const servers = {
        a: { ...lazy(pids, {}, ['--ignore-sigterm']), stdinGraceMs: 200, termGraceMs: 300 },
      };
      await warm(servers, dir);
      const host = await open(servers, dir);
      const first = (use === 'call' ? host.callTool('a__increment', {}) : host.restart('a')).then(
        () => 'done',
        () => 'refused',
      );
      await waitFor(() => pids.count('server') === 2);
      await host.close();
      expect(alive(pids.pids('server'))).toEqual([]);
      expect(['done', 'refused']).toContain(await first);
      await expect(host.callTool('a__increment', {})).rejects.toThrow();
    },
  );

  it('replace() and reload of a lazy entry: calls land on one runtime, no process is left', async () => {
    const pids = pidFile();
    const dir = tempDir();
    await warm({ a: lazy(pids) }, dir);
    const host = await open({ a: lazy(pids) }, dir);
    try {
      const calls = Array.from({ length: 5 }, () => host.callTool('a__increment', {}));
      await host.replace('a', lazy(pids, { OTHER: '1' })); // another entry: cold, so it starts
      expect((await Promise.all(calls)).every((r) => !r.isError)).toBe(true);
      expect(host.status()[0]).toMatchObject({ state: 'ready', lazy: { started: true } });
      await host.replace('a', lazy(pids)); // the first entry again: warm, nothing starts
      expect(host.status()[0]).toMatchObject({ state: 'ready', lazy: { started: false } });
      expect(text(await host.callTool('a__increment', {}))).toBe('1');
    } finally {
      await host.close();
    }
    expect(alive(pids.pids('server'))).toEqual([]);
  });
});

/**
 * Runs the built CLI with `BERTH_CACHE_DIR` (and Node options before it); resolves with its exit code
 * and output.
 */
function berth(
  args: string[],
  cacheDir: string,
  node: { options?: string[]; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(node.options ?? []), CLI, ...args],
      {
        timeout: 20_000,
        env: { ...process.env, ...node.env, BERTH_CACHE_DIR: cacheDir, BERTH_DEBUG: '' },
      },
      (error, stdout) =>
        resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout }),
    );
  });
}

describe('the CLI with lazy servers', () => {
  it('`berth tools` on a warm cache spawns nothing; `berth call x__y` spawns only x', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const config = join(tempDir(), 'berth.json');
    writeFileSync(
      config,
      JSON.stringify({
        defaults: { start: 'lazy' },
        mcpServers: { x: fixture([], {}, pids), y: fixture(['--name=y'], {}, pids) },
      }),
    );
    expect((await berth(['tools', '--config', config], dir)).code).toBe(0); // cold: both start
    expect(pids.count('server')).toBe(2);
    expect(cacheFiles(dir)).toHaveLength(2); // in BERTH_CACHE_DIR, nowhere else
    const tools = await berth(['tools', '--config', config, '--json'], dir);
    expect(tools.code).toBe(0);
    expect(tools.stdout).toContain('x__increment');
    expect(tools.stdout).toContain('y__increment');
    expect(pids.count('server')).toBe(2); // warm: nothing spawned
    const status = await berth(['status', '--config', config], dir);
    expect(status.stdout).toContain('ready (lazy, not started)');
    const call = await berth(['call', 'x__increment', '--config', config], dir);
    expect(call.code).toBe(0);
    expect(pids.count('server')).toBe(3); // x only
  });
});

/** The modules a run of `node --import module-log.mjs …` loaded (see test/fixtures/module-log.mjs). */
function moduleLog(): { options: string[]; env: Record<string, string>; loaded(): string[] } {
  const path = join(tempDir(), 'modules.log');
  const hook = pathToFileURL(fileURLToPath(new URL('../fixtures/module-log.mjs', import.meta.url))).href;
  return {
    options: ['--import', hook],
    env: { MODULE_LOG: path },
    loaded: () => readFileSync(path, 'utf8').split('\n').filter(Boolean),
  };
}

describe('what serving a cached catalog loads', () => {
  // The MCP SDK client (its schemas) and Ajv are most of what loading berth costs; a host that
  // opens no session does not need them (docs/benchmarks.md, "Start-up with a cached catalog").
  const config = (pids: { path: string }) => ({
    mcpServers: { x: lazy(pids), y: lazy(pids, {}, ['--name=y']) },
  });

  it('`berth tools` on a warm cache loads neither the MCP SDK nor Ajv; `berth call` does', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const file = join(tempDir(), 'berth.json');
    writeFileSync(file, JSON.stringify(config(pids)));
    expect((await berth(['tools', '--config', file], dir)).code).toBe(0); // cold: warms the cache
    const tools = moduleLog();
    const listed = await berth(['tools', '--config', file, '--json'], dir, tools);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('y__increment');
    const loaded = tools.loaded();
    expect(loaded.some((url) => /\/dist\/bin\/program-/.test(url))).toBe(true); // the log works
    expect(loaded.filter((url) => /\/(mcp-sdk|ajv)-[^/]*\.js$/.test(url))).toEqual([]);
    expect(pids.count('server')).toBe(2); // only the cold run's
    const call = moduleLog();
    expect((await berth(['call', 'x__increment', '--config', file], dir, call)).code).toBe(0);
    expect(call.loaded().filter((url) => /\/(mcp-sdk|ajv)-[^/]*\.js$/.test(url))).toHaveLength(2);
  });

  it('the host loads neither until its first session opens, then both', async () => {
    // berth's public API as the CLI uses it (src/api.ts: the package entry, `berth`, adds the SDK's
    // SkillVerificationError, so importing the entry loads the SDK anyway).
    const pids = pidFile();
    const dir = tempDir();
    await warm(config(pids).mcpServers, dir);
    const log = moduleLog();
    const api = pathToFileURL(fileURLToPath(new URL('../../dist/api.js', import.meta.url))).href;
    const script = `
      import { appendFileSync } from 'node:fs';
      const { createHost } = await import(${JSON.stringify(api)});
      const host = await createHost(${JSON.stringify(config(pids))}, { cacheDir: ${JSON.stringify(dir)} });
      appendFileSync(process.env.MODULE_LOG, 'listed ' + host.tools().length + '\\n');
      await host.callTool('x__increment', {});
      await host.close();`;
    await promisify(execFile)(process.execPath, [...log.options, '--input-type=module', '-e', script], {
      timeout: 20_000,
      env: { ...process.env, ...log.env },
    });
    const loaded = log.loaded();
    const listed = loaded.findIndex((line) => line.startsWith('listed '));
    expect(Number(loaded[listed]?.slice('listed '.length))).toBeGreaterThan(0);
    const deferred = (url: string) => /node_modules\/(@modelcontextprotocol\/client|ajv)\//.test(url);
    expect(loaded.slice(0, listed).some((url) => url.endsWith('/dist/api.js'))).toBe(true);
    expect(loaded.slice(0, listed).filter(deferred)).toEqual([]);
    expect(loaded.slice(listed).filter(deferred).length).toBeGreaterThan(0); // loaded for the call
    expect(pids.count('server')).toBe(3); // the warm-up's two, and x for the call
  });
});

describe('berth doctor with lazy servers', () => {
  it('starts a lazy server it checks: a server broken since it was cached fails', async () => {
    const pids = pidFile();
    const dir = tempDir();
    const work = tempDir();
    // The same entry before and after (command and args unchanged): only the script's content changes.
    const script = join(work, 'server.mjs');
    writeFileSync(script, `await import(${JSON.stringify(pathToFileURL(FIXTURE).href)});\n`);
    const config = join(work, 'berth.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          a: {
            command: process.execPath,
            args: [script],
            env: { FIXTURE_PID_FILE: pids.path },
            start: 'lazy',
          },
        },
      }),
    );
    const healthy = await berth(['doctor', '--config', config, '--json'], dir); // cold: starts a
    expect(healthy.code).toBe(0);
    expect(pids.count('server')).toBe(1);
    writeFileSync(script, `process.stderr.write('broken since it was cached\\n');\nprocess.exit(3);\n`);
    const tools = await berth(['tools', '--config', config, '--json'], dir);
    expect(tools.stdout).toContain('a__increment'); // the cached catalog, as designed
    const broken = await berth(['doctor', '--config', config, '--json'], dir);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout) as { servers: { name: string; verdict: string }[] };
    expect(report.servers).toMatchObject([{ name: 'a', verdict: 'fail' }]);
    expect(broken.stdout).toContain('broken since it was cached');
  });
});
