/**
 * A changing set of servers, with real processes: add, replace and remove at runtime; reload applies
 * only the difference and loses no call in flight; reload works from inside an event handler; watch
 * mode follows the file.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createHost,
  HostClosedError,
  SessionClosedError,
  type HostEvent,
} from '../../src/index.js';
import { alive, fixture, pidFile, text, waitFor } from '../helpers.js';

function configFile(config: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'berth-reload-')), 'mcp.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe('add, replace, remove', () => {
  it('add starts a server and its tools join the catalog; bad or duplicate entries are refused', async () => {
    const events: HostEvent[] = [];
    const host = await createHost({ mcpServers: { a: fixture() } }, { onEvent: (e) => void events.push(e) });
    try {
      await host.add('b', fixture(['--name=b']));
      expect(host.tools().some((t) => t.name === 'b__increment')).toBe(true);
      expect(text(await host.callTool('b__increment', { by: 4 }))).toBe('4');
      expect(events.map((e) => e.type)).toContain('server:added');
      await expect(host.add('b', fixture())).rejects.toThrow(/already exists; use replace\(\)/);
      const bad = await host.add('c', { command: 7 }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ConfigError);
      expect((bad as ConfigError).issues[0]?.path).toBe('$.mcpServers.c.command');
    } finally {
      await host.close();
    }
  });

  it('replace starts a new process and closes the old one', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { a: fixture([], {}, pids) } });
    try {
      const before = Number(text(await host.callTool('a__pid')));
      await host.replace('a', fixture(['--tools=1'], {}, pids));
      const after = Number(text(await host.callTool('a__pid')));
      expect(after).not.toBe(before);
      expect(alive([before])).toEqual([]);
      expect(host.tools().some((t) => t.name === 'a__tool_0')).toBe(true);
    } finally {
      await host.close();
    }
  });

  it('remove takes the tools out first and lets in-flight calls complete', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { a: fixture([], {}, pids), keep: fixture() } },
      { onEvent: (e) => void events.push(e) },
    );
    try {
      let completed = 0;
      const calls = [1, 2, 3].map(() =>
        host.callTool('a__sleep', { ms: 300 }).then((result) => {
          completed += 1;
          return result;
        }),
      );
      expect(await waitFor(() => pids.count('sleeping') === 3)).toBe(true); // all three in flight
      const removing = host.remove('a');
      // The tools leave the catalog first, while the calls are still running.
      expect(await waitFor(() => !host.tools().some((t) => t.server === 'a'))).toBe(true);
      expect(completed).toBe(0);
      for (const result of await Promise.all(calls)) expect(text(result)).toBe('slept 300');
      await removing;
      expect(alive(pids.pids())).toEqual([]);
      expect(host.status().map((s) => s.name)).toEqual(['keep']);
      const types = events.map((e) => e.type);
      expect(types.indexOf('tools:changed', types.indexOf('server:state'))).toBeLessThan(
        types.indexOf('server:removed'),
      );
    } finally {
      await host.close();
    }
  });

  it('remove past the drain deadline fails the call with a clear "server removed" error', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { a: fixture([], { drainTimeoutMs: 100 }, pids) } });
    try {
      const call = host.callTool('a__sleep', { ms: 5_000 }).catch((e: unknown) => e);
      expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true); // the call is in flight
      await host.remove('a');
      const error = await call;
      expect(error).toBeInstanceOf(SessionClosedError);
      expect((error as Error).message).toMatch(/server removed while the request was in flight/);
      expect(alive(pids.pids())).toEqual([]);
    } finally {
      await host.close();
    }
  });
});

describe('changes and close()', () => {
  it('queued add and replace reject with HOST_CLOSED without spawning once close() began', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { a: fixture() } });
    // Never-answering servers: started, they would hold close() up to their startup deadline.
    const slow = fixture(['--hang-on-start'], { startupTimeoutMs: 20_000 }, pids);
    const added = host.add('slow', slow).catch((error: unknown) => error);
    const replaced = host.replace('a', slow).catch((error: unknown) => error);
    const started = Date.now();
    await host.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await added).toBeInstanceOf(HostClosedError);
    expect(await replaced).toBeInstanceOf(HostClosedError);
    expect(pids.pids()).toEqual([]);
  });
});

describe('reload', () => {
  it('during 200 calls in flight: all complete; the changed server’s old pid is gone, the unchanged one’s is not', async () => {
    const pidsA = pidFile();
    const pidsB = pidFile();
    const path = configFile({ mcpServers: { a: fixture([], {}, pidsA), b: fixture([], {}, pidsB) } });
    const host = await createHost(path);
    try {
      const aPid = Number(text(await host.callTool('a__pid')));
      const bPid = Number(text(await host.callTool('b__pid')));
      const calls = Array.from({ length: 200 }, (_, i) =>
        host.callTool(i % 2 ? 'a__echo' : 'b__echo', { value: `call-${i}` }).then(text),
      );
      writeFileSync(
        path,
        JSON.stringify({ mcpServers: { a: fixture([], {}, pidsA), b: fixture(['--tools=2'], {}, pidsB) } }),
      );
      const reloading = host.reload();
      // More calls while the reload runs: each lands on the old or on the new session.
      const during = Array.from({ length: 50 }, (_, i) =>
        host.callTool('b__echo', { value: `during-${i}` }).then(text),
      );
      const summary = await reloading;
      expect(summary).toMatchObject({ replaced: ['b'], unchanged: ['a'], added: [], removed: [] });
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 200 }, (_, i) => `call-${i}`));
      expect(await Promise.all(during)).toEqual(Array.from({ length: 50 }, (_, i) => `during-${i}`));
      expect(alive([bPid])).toEqual([]);
      expect(Number(text(await host.callTool('b__pid')))).not.toBe(bPid);
      expect(Number(text(await host.callTool('a__pid')))).toBe(aPid);
      expect(host.tools().some((t) => t.name === 'b__tool_1')).toBe(true);
    } finally {
      await host.close();
    }
    expect(alive([...pidsA.pids(), ...pidsB.pids()])).toEqual([]);
  });

  it('adds, removes and reports invalid entries; a broken file changes nothing', async () => {
    const path = configFile({ mcpServers: { a: fixture(), gone: fixture() } });
    const host = await createHost(path);
    try {
      writeFileSync(
        path,
        JSON.stringify({ mcpServers: { a: fixture(), fresh: fixture(), bad: { command: 1 } } }),
      );
      const summary = await host.reload();
      expect(summary).toMatchObject({
        added: ['fresh'],
        removed: ['gone'],
        unchanged: ['a'],
        invalid: ['bad'],
      });
      expect(host.status().map((s) => [s.name, s.state])).toEqual([
        ['a', 'ready'],
        ['fresh', 'ready'],
        ['bad', 'failed'],
      ]);
      writeFileSync(path, '{ "mcpServers": ');
      await expect(host.reload()).rejects.toBeInstanceOf(ConfigError);
      expect(
        host
          .status()
          .filter((s) => s.state === 'ready')
          .map((s) => s.name),
      ).toEqual(['a', 'fresh']);
    } finally {
      await host.close();
    }
  });

  it('called from inside an onEvent handler, completes within its deadline', async () => {
    let reloaded: Promise<unknown> | undefined;
    const path = configFile({ mcpServers: { a: fixture() } });
    const host = await createHost(path, {
      onEvent: (event) => {
        if (event.type === 'server:added' && event.server === 'b' && !reloaded) {
          writeFileSync(path, JSON.stringify({ mcpServers: { a: fixture(['--tools=1']) } }));
          reloaded = host.reload();
        }
      },
    });
    try {
      await host.add('b', fixture());
      expect(reloaded).toBeDefined();
      const outcome = await Promise.race([
        reloaded!.then(() => 'done'),
        new Promise((resolve) => setTimeout(() => resolve('deadline passed'), 15_000)),
      ]);
      expect(outcome).toBe('done');
      expect(host.status().map((s) => s.name)).toEqual(['a']);
      expect(host.tools().some((t) => t.name === 'a__tool_0')).toBe(true);
    } finally {
      await host.close();
    }
  });

  it('called from inside a tool call’s progress callback, completes within its deadline', async () => {
    const path = configFile({ mcpServers: { a: fixture() } });
    const host = await createHost(path);
    try {
      let reloaded: Promise<unknown> | undefined;
      const result = await host.callTool(
        'a__sleep',
        { ms: 200 },
        {
          onProgress: () => {
            if (reloaded) return;
            writeFileSync(path, JSON.stringify({ mcpServers: { a: fixture(), b: fixture() } }));
            reloaded = host.reload();
          },
        },
      );
      expect(text(result)).toBe('slept 200');
      const outcome = await Promise.race([
        reloaded!.then(() => 'done'),
        new Promise((resolve) => setTimeout(() => resolve('deadline passed'), 15_000)),
      ]);
      expect(outcome).toBe('done');
      expect(host.status().map((s) => s.name)).toEqual(['a', 'b']);
    } finally {
      await host.close();
    }
  });

  it('watch mode follows the file, and reports a broken edit without stopping anything', async () => {
    const events: HostEvent[] = [];
    const path = configFile({ mcpServers: { a: fixture() } });
    const host = await createHost(path, { watch: true, onEvent: (e) => void events.push(e) });
    try {
      writeFileSync(path, JSON.stringify({ mcpServers: { a: fixture(), b: fixture() } }));
      expect(await waitFor(() => host.tools().some((t) => t.server === 'b'), 10_000)).toBe(true);
      writeFileSync(path, '{ not json');
      expect(await waitFor(() => events.some((e) => e.type === 'config:error'), 10_000)).toBe(true);
      expect(host.status().every((s) => s.state === 'ready')).toBe(true);
    } finally {
      await host.close();
    }
  });

  it('watch mode follows the target of a symlinked config file', async () => {
    const target = configFile({ mcpServers: { a: fixture() } });
    const link = join(mkdtempSync(join(tmpdir(), 'berth-link-')), 'mcp.json');
    symlinkSync(target, link);
    const host = await createHost(link, { watch: true });
    try {
      writeFileSync(target, JSON.stringify({ mcpServers: { a: fixture(), b: fixture() } }));
      expect(await waitFor(() => host.tools().some((t) => t.server === 'b'), 10_000)).toBe(true);
    } finally {
      await host.close();
    }
  });
});
