/**
 * The stdio transport against real server processes that break the protocol or the pipes: a server
 * that closes its stdin, responses that violate JSON-RPC 2.0, and a notification flood that must not
 * starve other servers. Every failure must reach the caller at once, naming the server, instead of
 * waiting out the call's deadline.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@modelcontextprotocol/client';
import {
  CallTimeoutError,
  createHost,
  RequestFailedError,
  ServerError,
  type HostEvent,
} from '../../src/index.js';
import { ServerProcess } from '../../src/process/server-process.js';
import { ProcessTransport } from '../../src/transport/process-transport.js';
import { alive, fixture, pidFile, text, waitFor } from '../helpers.js';

const RAW_RESULT_SERVER = fileURLToPath(new URL('../fixtures/raw-result-server.mjs', import.meta.url));

const fast = { restart: { initialDelayMs: 20, maxDelayMs: 200 } };

describe('a server that closes its stdin', () => {
  it('ends the session: the next call fails at once with a ServerError, then the server is restarted', async () => {
    const pids = pidFile();
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { s: fixture(['--close-stdin'], { callTimeoutMs: 20_000, ...fast }, pids) } },
      { onEvent: (e) => void events.push(e) },
    );
    try {
      expect(text(await host.callTool('s__close-stdin'))).toBe('closing stdin');
      expect(await waitFor(() => pids.count('stdin-closed') === 1)).toBe(true);
      const [first] = pids.pids('server');

      const started = Date.now();
      const error = await host.callTool('s__get').catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5_000); // not the 20 s call deadline
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ server: 's', phase: 'call', outcomeUnknown: true });
      expect((error as Error).message).toMatch(/^server "s" closed its stdin/);

      // The owner treats it as a crash: reported, restarted, and the old process is gone.
      expect(
        await waitFor(() =>
          events.some(
            (e) =>
              e.type === 'server:state' && e.state === 'restarting' && /stdin/.test(e.error?.message ?? ''),
          ),
        ),
      ).toBe(true);
      expect(text(await host.callTool('s__get'))).toBe('0');
      expect(host.status()[0]).toMatchObject({ state: 'ready', restarts: 1 });
      expect(alive([first!])).toEqual([]);
    } finally {
      await host.close();
    }
    expect(alive(pids.pids())).toEqual([]);
  });
});

describe('a response that violates JSON-RPC 2.0', () => {
  const cases = {
    both: 'both result and error',
    neither: 'neither result nor error',
    version: 'jsonrpc is "1.0", not "2.0"',
    'no-version': 'jsonrpc is missing, not "2.0"',
    extra: 'unexpected member "extra"',
    'result-type': 'result is a number, not an object',
    'error-shape': 'error.code is a string, not an integer',
  };

  it('fails its call at once with a protocol error naming the server; the session goes on', async () => {
    const host = await createHost({
      mcpServers: { s: fixture(['--bad-responses'], { callTimeoutMs: 20_000 }) },
    });
    try {
      const pid = host.status()[0]?.pid;
      for (const [kind, problem] of Object.entries(cases)) {
        const started = Date.now();
        const error = await host.callTool('s__bad-response', { kind }).catch((e: unknown) => e);
        expect(Date.now() - started, kind).toBeLessThan(5_000); // not the 20 s call deadline
        expect(error, kind).toBeInstanceOf(RequestFailedError);
        expect((error as Error).message, kind).toBe(
          `server "s": tools/call failed: sent an invalid response: ${problem}`,
        );
        const cause = (error as Error).cause;
        expect(cause, kind).toBeInstanceOf(ProtocolError);
        expect((cause as Error).message, kind).toBe(`server "s" sent an invalid response: ${problem}`);
      }
      // Only the broken calls failed: the same session and process serve the next call.
      expect(text(await host.callTool('s__increment', { by: 2 }))).toBe('2');
      expect(host.status()[0]).toMatchObject({ state: 'ready', restarts: 0, pid });
    } finally {
      await host.close();
    }
  });
});

describe('a server flooding notifications', () => {
  it('is delivered a bounded slice per event-loop turn, in order, while another server keeps answering', async () => {
    const n = 100_000;
    const host = await createHost({
      mcpServers: { flood: fixture(['--notify-flood']), other: fixture() },
    });
    try {
      const loop = monitorEventLoopDelay({ resolution: 5 });
      const progress: number[] = [];
      let done = false;
      // How many notifications reach the caller between two turns of the event loop. Wall-clock
      // figures (loop delay, another server's latency) swing with the machine's load; this count is
      // what decides them, and it does not.
      let largestTurn = 0;
      let seenAtLastTurn = 0;
      const turn = () => {
        largestTurn = Math.max(largestTurn, progress.length - seenAtLastTurn);
        seenAtLastTurn = progress.length;
        if (!done) setImmediate(turn);
      };
      setImmediate(turn);
      loop.enable();
      const flood = host
        .callTool(
          'flood__notify-flood',
          { n },
          { timeoutMs: 60_000, onProgress: (p) => progress.push(p.progress) },
        )
        .finally(() => (done = true));
      // Another server's calls, back to back while the flood lasts.
      let otherCalls = 0;
      let slowestOther = 0;
      while (!done) {
        const started = performance.now();
        await host.callTool('other__get');
        slowestOther = Math.max(slowestOther, performance.now() - started);
        otherCalls += 1;
      }
      const result = await flood;
      loop.disable();

      expect(text(result)).toBe(`sent ${n}`);
      // Nothing lost or reordered, and the result came after the last progress.
      expect(progress).toHaveLength(n);
      expect(progress.every((p, i) => p === i + 1)).toBe(true);
      // Unbounded, a turn delivered whatever the pipe held (thousands of messages, blocking the loop for
      // hundreds of ms); bounded, at most a slice or two (256 messages each) between turns.
      const figures = `largest turn ${largestTurn} messages; max loop delay ${(loop.max / 1e6).toFixed(0)} ms; slowest other call ${slowestOther.toFixed(0)} ms over ${otherCalls} calls`;
      expect(largestTurn, figures).toBeLessThanOrEqual(600);
      expect(otherCalls, figures).toBeGreaterThan(1);
    } finally {
      await host.close();
    }
  });
});

describe('a server that closes its stdout but keeps running', () => {
  it('is reported as having closed its stdout, not as having exited', async () => {
    const events: HostEvent[] = [];
    const host = await createHost(
      { mcpServers: { s: fixture([], fast) } },
      { onEvent: (e) => void events.push(e) },
    );
    try {
      await host.callTool('s__close-stdout');
      expect(
        await waitFor(() => events.some((e) => e.type === 'server:state' && e.state === 'restarting')),
      ).toBe(true);
      const restarting = events.find((e) => e.type === 'server:state' && e.state === 'restarting');
      const message = (restarting as { error?: Error }).error?.message ?? '';
      expect(message.split('\n')[0]).toBe(
        'server "s" closed its stdout; the session was closed (phase: idle)',
      );
    } finally {
      await host.close();
    }
  });
});

describe('a server flooding stdout with lines that are not JSON', () => {
  it('skipping them counts toward the work per turn: no turn runs long', async () => {
    const host = await createHost({ mcpServers: { flood: fixture(['--notify-flood']) } });
    try {
      let done = false;
      // The CPU time this process spends between two turns of the event loop: unlike wall-clock time,
      // it does not grow when a loaded machine gives the process no CPU.
      let longestTurnMs = 0;
      let last = process.cpuUsage();
      const turn = () => {
        const now = process.cpuUsage();
        longestTurnMs = Math.max(longestTurnMs, (now.user + now.system - last.user - last.system) / 1000);
        last = now;
        if (!done) setImmediate(turn);
      };
      setImmediate(turn);
      // 200,000 lines that look like JSON but are not, and 5 notifications: nothing to deliver for long
      // stretches, so only a bound on skipped lines keeps a turn short. Unbounded, a turn took ~300 ms
      // of CPU; bounded, a few ms (plus garbage collection): the bound leaves room for a loaded machine.
      const progress: number[] = [];
      const result = await host
        .callTool(
          'flood__noise-flood',
          { n: 5, noise: 40_000 },
          { timeoutMs: 60_000, onProgress: (p) => progress.push(p.progress) },
        )
        .finally(() => (done = true));
      expect(text(result)).toBe('sent 5');
      expect(progress).toEqual([1, 2, 3, 4, 5]);
      expect(longestTurnMs, `longest turn ${longestTurnMs.toFixed(0)} ms of CPU`).toBeLessThan(120);
    } finally {
      await host.close();
    }
  });
});

describe('a request from the server that violates JSON-RPC 2.0', () => {
  it('is answered with an Invalid Request error, so the server does not wait forever', async () => {
    const host = await createHost({ mcpServers: { s: fixture(['--bad-requests']) } });
    try {
      const problems = {
        extra: 'unexpected member "extra"',
        'params-type': 'params is a number, not an object',
        'method-type': 'method is a number, not a string',
        version: 'jsonrpc is "1.0", not "2.0"',
      };
      for (const [kind, problem] of Object.entries(problems)) {
        const result = await host.callTool('s__bad-request', { kind }, { timeoutMs: 5_000 });
        const answer = JSON.parse(text(result)) as { id: string; error?: { code: number; message: string } };
        expect(answer.error, kind).toEqual({ code: -32600, message: `Invalid Request: ${problem}` });
      }
    } finally {
      await host.close();
    }
  });
});

describe('a server that stops reading its stdin but keeps running', () => {
  it('does not make berth buffer requests without bound: past a limit they fail at once, unsent', async () => {
    const host = await createHost({ mcpServers: { s: fixture(['--stop-reading']) } });
    try {
      await host.callTool('s__stop-reading');
      const value = 'x'.repeat(1024 * 1024);
      let refused: unknown;
      // 1 MiB requests nobody reads: unbounded, each waits out its deadline and stays buffered.
      for (let i = 0; i < 40 && refused === undefined; i++) {
        const started = Date.now();
        const error = await host.callTool('s__echo', { value }, { timeoutMs: 200 }).catch((e: unknown) => e);
        // An answer means the server read that one before it stopped (a loaded machine is slow to
        // stop): not a refusal, go on.
        if (error instanceof Error && !(error instanceof CallTimeoutError)) {
          refused = error;
          expect(Date.now() - started).toBeLessThan(150);
        }
      }
      expect(refused).toBeInstanceOf(ServerError);
      expect((refused as Error).message).toMatch(
        /^server "s" is not reading its stdin: \d+ MiB of earlier messages are still waiting; the request was not sent/,
      );
    } finally {
      await host.close();
    }
  });
});

describe('many requests sent in one turn', () => {
  it('reach the pipe in one write, not one write each, and all arrive in order', async () => {
    const server = await ServerProcess.spawn({
      server: 's',
      command: process.execPath,
      args: [RAW_RESULT_SERVER],
      env: {},
      cwd: process.cwd(),
      stderrBufferBytes: 1024,
    });
    const transport = new ProcessTransport(server, { server: 's' });
    const answers: unknown[] = [];
    transport.onmessage = (message) => void answers.push((message as { id?: unknown }).id);
    await transport.start();
    // Count what the stream hands to the pipe: one `_write` or `_writev` is one write to the pipe.
    type Write = (...args: unknown[]) => unknown;
    const stdin = server.stdin as unknown as Record<'_write' | '_writev', Write>;
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = stdin[method].bind(stdin);
      stdin[method] = (...args) => {
        writes += 1;
        return original(...args);
      };
    }
    try {
      const ids = Array.from({ length: 100 }, (_, i) => i + 1);
      await Promise.all(ids.map((id) => transport.send({ jsonrpc: '2.0', id, method: 'ping', params: {} })));
      expect(await waitFor(() => answers.length === ids.length)).toBe(true);
      expect(answers).toEqual(ids);
      expect(writes).toBe(1);
    } finally {
      await transport.close();
      await server.terminate({ stdinGraceMs: 2_000, termGraceMs: 1_000 });
    }
  });
});
