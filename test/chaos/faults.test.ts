/**
 * The chaos suite: the faults real stdio servers produce, each against a real misbehaving fixture
 * process. berth must explain every failure with a typed error, recover where it can, stay responsive
 * with bounded memory, and leave no process behind.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CallTimeoutError,
  createHost,
  ServerError,
  ServerUnavailableError,
  type HostEvent,
} from '../../src/index.js';
import { alive, fixture, pidFile, text, waitFor } from '../helpers.js';

const fast = { restart: { initialDelayMs: 20, maxDelayMs: 200 } };

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'berth-chaos-')), name);
}

describe('server exits', () => {
  it('during initialize: failed at once, with exit code and stderr', async () => {
    const host = await createHost({ mcpServers: { s: fixture(['--crash-on-start']) } });
    try {
      expect(host.status()[0]).toMatchObject({
        state: 'failed',
        lastError: { phase: 'connect', exitCode: 3 },
      });
      expect(host.status()[0]?.stderrTail).toContain('crash-on-start');
    } finally {
      await host.close();
    }
  });

  it('during a call: a typed error saying the outcome is unknown, then recovery', async () => {
    const host = await createHost({ mcpServers: { s: fixture([], fast) } });
    try {
      const error = await host.callTool('s__crash').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ phase: 'call', exitCode: 7, outcomeUnknown: true });
      expect((error as Error).message).toMatch(/may or may not have run/);
      expect(text(await host.callTool('s__echo', { value: 'back' }))).toBe('back');
    } finally {
      await host.close();
    }
  });

  it('between calls (killed from outside): restarted, and the next call succeeds', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { s: fixture([], fast, pids) } },
      { onEvent: (e) => void events.push(e) },
    );
    try {
      const first = Number(text(await host.callTool('s__pid')));
      process.kill(first, 'SIGKILL');
      expect(
        await waitFor(() => events.some((e) => e.type === 'server:state' && e.state === 'restarting')),
      ).toBe(true);
      const second = Number(text(await host.callTool('s__pid')));
      expect(second).not.toBe(first);
      expect(host.status()[0]).toMatchObject({
        state: 'ready',
        restarts: 1,
        lastError: { signal: 'SIGKILL' },
      });
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });

  it('in a crash loop: backoff grows, the circuit opens after the limit, restart() closes it', async () => {
    const crashFile = tempFile('crash');
    const pids = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      {
        mcpServers: {
          s: fixture([], {
            env: { FIXTURE_CRASH_FILE: crashFile, FIXTURE_PID_FILE: pids.path },
            restart: { maxRestarts: 4, initialDelayMs: 20, maxDelayMs: 1_000 },
          }),
        },
      },
      { onEvent: (e) => void events.push(e) },
    );
    try {
      writeFileSync(crashFile, 'on');
      process.kill(Number(text(await host.callTool('s__pid'))), 'SIGKILL');
      expect(await waitFor(() => host.status()[0]?.state === 'failed', 10_000)).toBe(true);
      const attempts = events.flatMap((e) => (e.type === 'server:restart-scheduled' ? [e] : []));
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      // Full jitter within [ceiling/2, ceiling], ceiling doubling: each delay is at least half the next ceiling's floor.
      attempts.forEach((a, i) => expect(a.delayMs).toBeGreaterThanOrEqual((20 * 2 ** i) / 2));
      expect(attempts[3]!.delayMs).toBeGreaterThan(attempts[0]!.delayMs);
      expect(host.status()[0]?.lastError?.message).toMatch(/crash file present|exited/);
      // The circuit is open: calls fail fast instead of spawning.
      const started = Date.now();
      await expect(host.callTool('s__get')).rejects.toBeInstanceOf(ServerUnavailableError);
      expect(Date.now() - started).toBeLessThan(100);
      rmSync(crashFile);
      await host.restart('s');
      expect(host.status()[0]?.state).toBe('ready');
      expect(text(await host.callTool('s__get'))).toBe('0');
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('server hangs', () => {
  it('never answers initialize: fails at the startup deadline, process gone', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { s: fixture(['--hang-on-start'], { startupTimeoutMs: 200 }, pids) },
    });
    try {
      expect(host.status()[0]?.lastError?.message).toMatch(
        /did not complete the MCP handshake within 200 ms/,
      );
      expect(alive(pids.pids())).toEqual([]);
    } finally {
      await host.close();
    }
  });

  it('hangs on one call: that call times out, the others on the same server complete', async () => {
    const host = await createHost({ mcpServers: { s: fixture() } });
    try {
      const hung = host.callTool('s__hang', {}, { timeoutMs: 300 }).catch((e: unknown) => e);
      const others = await Promise.all(
        Array.from({ length: 20 }, (_, i) => host.callTool('s__echo', { value: `v${i}` }).then(text)),
      );
      expect(others).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
      expect(await hung).toBeInstanceOf(CallTimeoutError);
      expect(text(await host.callTool('s__echo', { value: 'after' }))).toBe('after');
    } finally {
      await host.close();
    }
  });

  it('a frozen server fails its health check and is restarted', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: {
        s: fixture([], { ...fast, pingIntervalMs: 100, pingTimeoutMs: 150, termGraceMs: 100 }, pids),
      },
    });
    try {
      const first = Number(text(await host.callTool('s__pid')));
      await host.callTool('s__freeze');
      expect(
        await waitFor(() => host.status()[0]?.restarts === 1 && host.status()[0]?.state === 'ready', 10_000),
      ).toBe(true);
      expect(host.status()[0]?.lastError?.message).toMatch(
        /did not answer a health check ping within 150 ms/,
      );
      expect(alive([first])).toEqual([]);
      expect(Number(text(await host.callTool('s__pid')))).not.toBe(first);
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('server writes garbage', () => {
  it('non-JSON lines and a frame split across writes: ignored, the session goes on', async () => {
    const host = await createHost({ mcpServers: { s: fixture() } });
    try {
      expect(text(await host.callTool('s__garbage'))).toBe('still fine');
      expect(text(await host.callTool('s__echo', { value: 'ok' }))).toBe('ok');
      expect(host.status()[0]?.restarts).toBe(0);
    } finally {
      await host.close();
    }
  });

  it('a 50 MB single message: the session closes with a clear error, memory stays bounded, others are unaffected', async () => {
    const host = await createHost({
      mcpServers: { big: fixture([], { ...fast, maxMessageBytes: 1024 * 1024 }), other: fixture() },
    });
    try {
      const before = process.memoryUsage().rss;
      const other = Promise.all(
        Array.from({ length: 20 }, (_, i) => host.callTool('other__echo', { value: `o${i}` }).then(text)),
      );
      const error = await host.callTool('big__huge', { mb: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect((error as Error).message).toMatch(
        /sent a message larger than maxMessageBytes \(1048576 bytes\)/,
      );
      expect(await other).toHaveLength(20);
      // RSS also counts freed buffers not yet given back: bounded it grew 19 MB alone and up to 54 MB
      // under a full suite's load; with no limit the same call grows it by about 200 MB.
      expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
      // The server is restarted and usable; a small message still goes through.
      expect(text(await host.callTool('big__echo', { value: 'small' }))).toBe('small');
    } finally {
      await host.close();
    }
  });

  it('floods stderr at full speed: berth stays responsive, the kept tail stays bounded', async () => {
    const host = await createHost({ mcpServers: { s: fixture([], { stderrBufferBytes: 4096 }) } });
    try {
      const flood = host.callTool('s__flood', { ms: 1_000 });
      const echoes = [];
      for (let i = 0; i < 20; i++) echoes.push(text(await host.callTool('s__echo', { value: `e${i}` })));
      expect(echoes).toHaveLength(20);
      const written = Number(text(await flood));
      expect(written).toBeGreaterThan(1024 * 1024); // it really flooded
      const tail = host.status()[0]?.stderrTail ?? '';
      expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(4096);
      expect(tail).toContain('noise');
    } finally {
      await host.close();
    }
  });
});

describe('server breaks its pipes', () => {
  it('closes stdout but keeps running: the session is replaced and the old process does not survive', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { s: fixture([], fast, pids) } });
    try {
      const first = Number(text(await host.callTool('s__pid')));
      await host.callTool('s__close-stdout');
      expect(
        await waitFor(() => host.status()[0]?.restarts === 1 && host.status()[0]?.state === 'ready'),
      ).toBe(true);
      expect(alive([first])).toEqual([]);
      expect(Number(text(await host.callTool('s__pid')))).not.toBe(first);
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('retries after a lost session respect side effects', () => {
  it('a read-only tool is retried once, transparently', async () => {
    const marker = tempFile('crashed-once');
    const host = await createHost({
      mcpServers: { s: fixture([], { ...fast, env: { FIXTURE_CRASH_ONCE_FILE: marker } }) },
    });
    try {
      expect(text(await host.callTool('s__flaky-read'))).toBe('read ok');
      expect(existsSync(marker)).toBe(true); // it did crash the first time
      expect(host.status()[0]?.restarts).toBe(1);
    } finally {
      await host.close();
    }
  });

  it('a tool with side effects is not retried: the error says it may or may not have run', async () => {
    const marker = tempFile('crashed-once');
    const host = await createHost({
      mcpServers: { s: fixture([], { ...fast, env: { FIXTURE_CRASH_ONCE_FILE: marker } }) },
    });
    try {
      const error = await host.callTool('s__flaky-write').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect((error as Error).message).toMatch(/may or may not have run/);
      expect(text(await host.callTool('s__flaky-write'))).toBe('write ok'); // only when the caller asks again
    } finally {
      await host.close();
    }
  });

  it('a server whose config says retries are safe gets them for every tool', async () => {
    const marker = tempFile('crashed-once');
    const host = await createHost({
      mcpServers: { s: fixture([], { ...fast, retrySafe: true, env: { FIXTURE_CRASH_ONCE_FILE: marker } }) },
    });
    try {
      expect(text(await host.callTool('s__flaky-write'))).toBe('write ok');
    } finally {
      await host.close();
    }
  });
});
