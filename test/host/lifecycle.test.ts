/**
 * Ownership and lifecycle against real fixture processes: state persists in a shared session,
 * concurrent first calls share one connect, and close() from any caller at any moment leaks nothing
 * and rejects pending work with its cause.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallTimeoutError,
  createHost,
  HostClosedError,
  SessionClosedError,
  type HostEvent,
} from '../../src/index.js';
import { Host } from '../../src/host/host.js';
import { resolveConfig } from '../../src/config/load.js';
import { SessionOwner } from '../../src/session/owner.js';
import { Deadline } from '../../src/util/deadline.js';
import { alive, fixture, pidFile, text, waitFor } from '../helpers.js';

describe('a host created in beforeAll and closed in afterAll', () => {
  let host: Host;
  const pids = pidFile();

  beforeAll(async () => {
    host = await createHost({ mcpServers: { counter: fixture([], {}, pids) } });
  });

  afterAll(async () => {
    await host.close();
    expect(alive(pids.pids())).toEqual([]);
  });

  it('keeps a stateful server state across calls', async () => {
    await host.callTool('counter__increment', { by: 1 });
    await host.callTool('counter__increment', { by: 1 });
    expect(text(await host.callTool('counter__get'))).toBe('2');
    expect(pids.pids('server')).toHaveLength(1);
  });
});

describe('concurrent first calls', () => {
  it('share one connect: ten calls, one server process', async () => {
    const pids = pidFile();
    const { servers } = resolveConfig({ mcpServers: { counter: fixture([], {}, pids) } }, '<inline>');
    const events: string[] = [];
    const owner = new SessionOwner(servers[0]!, {
      clientInfo: { name: 'test', version: '0' },
      observer: { onState: (o) => events.push(o.state), onListing: () => {}, onRestartScheduled: () => {} },
    });
    try {
      // The owner is not started: every call asks it for a connection at the same moment.
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          owner.request((session, timeout) => session.callTool({ name: 'pid', arguments: {} }, { timeout }), {
            deadline: Deadline.in(10_000),
          }),
        ),
      );
      const served = new Set(results.map(text));
      expect(served.size).toBe(1);
      expect(pids.pids('server')).toHaveLength(1);
      expect(events.filter((s) => s === 'starting')).toHaveLength(1);
    } finally {
      await owner.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('close() at any moment', () => {
  it('during connect: the server is stopped and waiting calls are rejected with the cause', async () => {
    const pids = pidFile();
    const loaded = resolveConfig(
      { mcpServers: { slow: fixture(['--hang-on-start'], {}, pids) } },
      '<inline>',
    );
    const host = new Host(loaded);
    const starting = host.start();
    expect(await waitFor(() => pids.pids('server').length === 1)).toBe(true);
    // A call that waits for the server to become ready.
    const waiting = host.callTool('slow__get').catch((error: unknown) => error);
    await host.close();
    await starting;
    expect(alive(pids.pids())).toEqual([]);
    // The catalog is empty while the server never answered, so the call waited for startup and found nothing,
    // or was rejected by the close; either way it must settle with an error, not hang.
    const error = await waiting;
    expect(error).toBeInstanceOf(Error);
    expect(host.status()[0]?.state).toBe('stopped');
  });

  it('mid-request: the pending call is rejected with a SessionClosedError saying why', async () => {
    const pids = pidFile();
    const host = await createHost({ mcpServers: { counter: fixture([], {}, pids) } });
    const pending = host.callTool('counter__sleep', { ms: 10_000 }).catch((error: unknown) => error);
    expect(await waitFor(() => pids.count('sleeping') === 1)).toBe(true);
    await host.close();
    const error = await pending;
    expect(error).toBeInstanceOf(SessionClosedError);
    expect((error as Error).message).toMatch(/host closed while the request was in flight/);
    expect(alive(pids.pids())).toEqual([]);
  });

  it('twice, and concurrently from many callers: one close, nothing leaked, later calls rejected', async () => {
    const pids = pidFile();
    const host = await createHost({
      mcpServers: { a: fixture([], {}, pids), b: fixture(['--name=b'], {}, pids) },
    });
    const calls = Array.from({ length: 20 }, (_, i) =>
      host.callTool(i % 2 ? 'a__sleep' : 'b__sleep', { ms: 5_000 }).catch((error: unknown) => error),
    );
    expect(await waitFor(() => pids.count('sleeping') === 20)).toBe(true);
    await Promise.all([host.close(), host.close(), host.close(), host[Symbol.asyncDispose]()]);
    await host.close();
    for (const error of await Promise.all(calls)) expect(error).toBeInstanceOf(SessionClosedError);
    await expect(host.callTool('a__get')).rejects.toBeInstanceOf(HostClosedError);
    expect(alive(pids.pids())).toEqual([]);
  });

  it('from inside an event handler while the host is starting', async () => {
    const pids = pidFile();
    let closing: Promise<void> | undefined;
    const events: HostEvent[] = [];
    const loaded = resolveConfig({ mcpServers: { counter: fixture([], {}, pids) } }, '<inline>');
    const host: Host = new Host(loaded, {
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'server:state' && event.state === 'ready') closing = host.close();
      },
    });
    await host.start();
    await closing;
    expect(host.status()[0]?.state).toBe('stopped');
    expect(alive(pids.pids())).toEqual([]);
  });

  it('createHost with an aborted signal stops a slow start-up at once', async () => {
    const pids = pidFile();
    const controller = new AbortController();
    const creating = createHost(
      { mcpServers: { slow: fixture(['--hang-on-start'], {}, pids), good: fixture([], {}, pids) } },
      { signal: controller.signal },
    );
    expect(await waitFor(() => pids.pids('server').length === 2)).toBe(true);
    controller.abort(new Error('user pressed Ctrl-C'));
    await expect(creating).rejects.toThrow('user pressed Ctrl-C');
    expect(alive(pids.pids())).toEqual([]);
  });

  it('await using closes the host at the end of the scope', async () => {
    const pids = pidFile();
    {
      await using host = await createHost({ mcpServers: { counter: fixture([], {}, pids) } });
      expect(text(await host.callTool('counter__increment', { by: 3 }))).toBe('3');
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('a process that uses berth', () => {
  it('exits on its own within a second of close()', async () => {
    const entry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const config = JSON.stringify({ mcpServers: { counter: fixture() } });
    const script = `
      const { createHost } = await import(${JSON.stringify(entry)});
      const host = await createHost(JSON.parse(process.argv[1]));
      await host.callTool('counter__increment', { by: 1 });
      await host.close();
      process.stdout.write(String(Date.now()));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, config],
      // A hang guard only (the assertion below is what this test checks): a loaded machine took more
      // than 15 s to import berth, start a server, call it and close.
      { timeout: 60_000 },
    );
    expect(Date.now() - Number(stdout)).toBeLessThan(1_000);
  });
});

describe('a call’s deadline', () => {
  it('counts from when the call was made, including the wait for start-up to settle', async () => {
    const pids = pidFile();
    const loaded = resolveConfig(
      {
        mcpServers: {
          a: fixture([], {}, pids),
          // Start-up settles only when this one gives up, 1.5 s in.
          slow: fixture(['--hang-on-start'], { startupTimeoutMs: 1_500 }, pids),
        },
      },
      '<inline>',
    );
    const host = new Host(loaded);
    const starting = host.start();
    try {
      const began = Date.now();
      const error = await host
        .callTool('a__sleep', { ms: 5_000 }, { timeoutMs: 2_500 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CallTimeoutError);
      // One budget of 2.5 s from the call, not 1.5 s of start-up plus a fresh 2.5 s.
      expect(Date.now() - began).toBeLessThan(3_700);
    } finally {
      await starting;
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});
