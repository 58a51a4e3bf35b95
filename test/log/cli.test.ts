/**
 * berth's log and messages as users get them: the built CLI (`berth serve`, `berth call`) as a real
 * process, on real servers that echo the secrets they were given (their environment, the headers
 * they were sent) to stderr and in log messages, crash at start and mid-call, and try to forge lines
 * of berth's log. In both formats, no secret berth knows (env and header values of the config, the
 * gateway's tokens, a client's wrong token) may appear anywhere on stderr; every record is well
 * formed; and what berth logged before SIGTERM ended it is all there.
 */
/* eslint-disable no-control-regex -- the tests look for control characters */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BERTH, cleanUp, configFile, startHttpServe, type ServeProcess } from '../gateway/serve-process.js';

afterEach(cleanUp);

const LEAKY = fileURLToPath(new URL('./fixtures/leaky-server.mjs', import.meta.url));
const LEAK = 'sk-live-LEAK-7d1e2f3a4b5c6d';
const PEM_LINE = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_LINE}\n-----END PRIVATE KEY-----`;
const HEADER_SECRET = 'hdr-secret-0f1e2d3c4b5a';
const ALICE = 'alice-token-8c7b6a5f4e3d2c1b';
const WRONG = 'wrong-token-1a2b3c4d5e6f7a8b';
/** Every value that must never reach stderr (and the pieces a cut could leave of them). */
const NEVER = [LEAK, LEAK.slice(0, 12), LEAK.slice(-12), PEM_LINE, HEADER_SECRET, ALICE, WRONG];

/** An HTTP "MCP server" that answers every request with a JSON-RPC error echoing the request's headers. */
let echo: Server;
let echoUrl: string;
beforeAll(async () => {
  echo = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      let id: unknown = null;
      try {
        id = (JSON.parse(body) as { id?: unknown }).id ?? null;
      } catch {
        // not JSON
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id,
          error: { code: -32603, message: `you sent ${JSON.stringify(req.headers)}` },
        }),
      );
    });
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  echo.closeAllConnections();
  await new Promise((resolve) => echo.close(resolve));
});

const leaky = (flags: string[], extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [LEAKY, ...flags],
  env: { LEAK, PEM },
  restart: { maxRestarts: 0 },
  ...extra,
});

function config() {
  return configFile(
    {
      leaky: leaky(['--inject', '--split']),
      // Its tail (1024 bytes) keeps the last 14 characters of the secret at the start of a line.
      cutter: leaky([`--cut=${1024 - 1 - 14}`], { stderrBufferBytes: 1024 }),
      broken: leaky(['--crash-on-start']),
    },
    { gateway: { auth: { tokens: { alice: ALICE } } } },
  );
}

/** Adds the remote entry whose server echoes our headers, to a config file written by `configFile`. */
async function withRemote(path: string): Promise<void> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const parsed = JSON.parse(await readFile(path, 'utf8')) as { mcpServers: Record<string, unknown> };
  parsed.mcpServers.remote = {
    url: echoUrl,
    headers: { Authorization: `Bearer ${HEADER_SECRET}` },
    restart: { maxRestarts: 0 },
  };
  await writeFile(path, JSON.stringify(parsed));
}

function expectNoSecret(stderr: string): void {
  for (const secret of NEVER) expect(stderr, `stderr shows ${secret}`).not.toContain(secret);
  expect(stderr).toContain('[redacted]');
}

/** Drives a served gateway as a client would: a wrong token, then alice calling tools that leak. */
async function exercise(url: URL): Promise<void> {
  const refused = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${WRONG}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: '{}',
  });
  expect(refused.status).toBe(401);
  const client = new Client({ name: 'log-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { authorization: `Bearer ${ALICE}` } },
  });
  await client.connect(transport);
  try {
    const logged = await client.callTool({ name: 'leaky__leak-log', arguments: {} });
    expect(logged.isError).toBeFalsy();
    for (const name of ['leaky__crash', 'cutter__crash']) {
      const crashed = await client.callTool({ name, arguments: {} });
      expect(crashed.isError).toBe(true);
    }
    await transport.terminateSession(); // the client ends its session: one "closed" line, reason client
  } finally {
    await client.close();
  }
}

async function stop(serve: ServeProcess): Promise<string> {
  serve.child.kill('SIGTERM');
  const { code } = await serve.exited;
  expect(code).toBe(0);
  return serve.stderr();
}

describe.skipIf(process.platform !== 'linux')('berth serve: the log', () => {
  it('JSON lines: records for sessions, auth failures and requests; no secret; nothing lost at SIGTERM', async () => {
    const { path } = config();
    await withRemote(path);
    const serve = await startHttpServe(path, ['--log-level', 'debug']);
    await exercise(serve.url);
    const stderr = await stop(serve);
    expectNoSecret(stderr);

    const lines = stderr.trimEnd().split('\n');
    const records: Array<Record<string, unknown>> = [];
    for (const line of lines) {
      if (line.startsWith('berth: ')) continue; // the CLI's messages
      records.push(JSON.parse(line) as Record<string, unknown>); // anything else must be a record
    }
    // The interface line, exactly once, and nothing a server wrote passes for it.
    expect(lines.filter((line) => /^berth: serving /.test(line))).toEqual([
      `berth: serving ${serve.url.href}`,
    ]);
    // No server forged a record: every record is one of berth's (a level and a message of its own).
    expect(records.map((r) => r.msg)).not.toContain('forged');
    expect(records.map((r) => r.msg)).not.toContain('forged record');
    const find = (msg: string) => records.filter((r) => r.msg === msg);

    const [failed] = find('authentication failed');
    expect(failed).toMatchObject({ level: 'warn', status: 401, reason: 'invalid_token' });
    expect(failed).not.toHaveProperty('principal');
    expect(find('client session opened')[0]).toMatchObject({ level: 'info', principal: 'alice' });
    const closed = find('client session closed')[0]!;
    expect(closed).toMatchObject({ principal: 'alice', reason: 'client' });
    expect(closed.session).toBe(find('client session opened')[0]!.session);
    expect(find('request').some((r) => r.rpc === 'tools/call' && r.principal === 'alice')).toBe(true);
    // The upstream request, with its duration and outcome.
    expect(
      find('request').some((r) => r.server === 'leaky' && r.name === 'leaky__crash' && r.outcome === 'error'),
    ).toBe(true);

    // The servers' own words, hidden where they held secrets.
    const broken = records.find((r) => r.server === 'broken' && r.msg === 'server failed')!;
    expect(broken.stderrTail).toContain('env LEAK=[redacted]');
    const remote = records.find((r) => r.server === 'remote' && r.msg === 'server failed')!;
    expect(remote.error).toContain('[redacted]');
    const log = records.find((r) => r.msg === 'server log' && r.server === 'leaky')!;
    expect(log).toMatchObject({ level: 'warn', logger: 'leaky' });
    const data = log.data as { env: Record<string, string>; note: string };
    expect(data.env.LEAK).toBe('[redacted]');
    expect(data.note).toMatch(/^value \[redacted\]\n/);
    const crashed = records.find((r) => r.server === 'leaky' && r.msg === 'server failed')!;
    expect(crashed.stderrTail).toContain('fatal: crashing with [redacted]');
    expect(crashed.stderrTail).toContain('split: [redacted] end'); // written in two pieces
    // What the bounded tail kept of the secret (its end, at the start of the tail) is hidden too.
    const cut = records.find((r) => r.server === 'cutter' && r.msg === 'server failed')!;
    expect(cut.stderrTail).toMatch(/^\[redacted\]y{100}/);

    // Written before the exit, after SIGTERM: the last records of the shutdown are there.
    const last = records.findIndex((r) => r.msg === 'stopped serving');
    expect(last).toBeGreaterThan(records.findIndex((r) => r.msg === 'client session closed'));
  });

  it('readable lines: no secret, no control character, and no line a server wrote passes for a record', async () => {
    const { path } = config();
    await withRemote(path);
    const serve = await startHttpServe(path, ['--log-level', 'debug', '--log-format', 'pretty']);
    await exercise(serve.url);
    const stderr = await stop(serve);
    expectNoSecret(stderr);
    expect(stderr).not.toMatch(/[\r\u001b\u2028\u2029\u0085]/);
    const RECORD = /^\d\d:\d\d:\d\d\.\d{3} (FATAL|ERROR|WARN |INFO |DEBUG|TRACE) \S/;
    for (const line of stderr.trimEnd().split('\n')) {
      // Each line is a message of the CLI's, a record, or a marked line under one.
      expect(line).toMatch(/^(berth: |\d\d:\d\d:\d\d\.\d{3} | {2})/);
      if (/^\d\d:\d\d/.test(line)) {
        expect(line).toMatch(RECORD);
        expect(line).not.toContain('forged pretty line');
        expect(line.startsWith('12:00:00.000 ERROR forged')).toBe(false);
      }
    }
    expect(stderr).toMatch(/^ {2}\| .*forged pretty line$/m); // shown, marked as the server's
    expect(stderr.match(/^berth: serving /gm)).toHaveLength(1);
    expect(stderr).toMatch(/ INFO {2}stopped serving url=/);
  });

  it('a bad --log-level or BERTH_LOG_LEVEL is refused with the choices, before anything starts', async () => {
    const { path } = config();
    const bad = await run(['tools', '--config', path, '--log-level', 'loud']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("option '--log-level <level>' argument 'loud' is invalid");
    const env = await run(['tools', '--config', path], { BERTH_LOG_LEVEL: 'loud' });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('berth: BERTH_LOG_LEVEL: expected one of fatal, error, warn, info');
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BERTH, ...args],
      { timeout: 60_000, env: { ...process.env, BERTH_DEBUG: '', ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.skipIf(process.platform !== 'linux')('berth call: messages and the log', () => {
  for (const format of ['json', 'pretty'] as const) {
    it(`a server that crashes mid-call after echoing its env shows no secret (${format})`, async () => {
      const { path } = config();
      const result = await run(['call', 'leaky__crash', '--config', path, '--log-level', 'debug'], {
        BERTH_LOG_FORMAT: format,
      });
      expect(result.code).toBe(1);
      expectNoSecret(result.stderr);
      expect(result.stderr).toMatch(/^berth: server "leaky" exited while the request was in flight/m);
      expect(result.stderr).toContain('  | fatal: crashing with [redacted]');
      expect(result.stderr).toContain('env PEM=[redacted]');
      // The server's escape sequences reach the terminal as text, not as escapes.
      expect(result.stderr).not.toMatch(/[\r\u001b\u2028\u0085]/);
    });
  }

  for (const format of ['json', 'pretty'] as const) {
    it(`a server failing at start after echoing its env shows no secret (${format})`, async () => {
      const { path } = config();
      const result = await run(['call', 'broken__anything', '--config', path, '--log-level', 'warn'], {
        BERTH_LOG_FORMAT: format,
      });
      expect(result.code).toBe(1);
      expectNoSecret(result.stderr);
      expect(result.stderr).toContain('server "broken" is failed');
      // The record of its failure, with its stderr tail, secrets hidden.
      expect(result.stderr).toContain('env LEAK=[redacted]');
    });
  }
});
