/**
 * `berth doctor` end to end: the built CLI against real fixture servers (stdio, Streamable HTTP, an
 * OAuth-protected one, an HTTPS one with a self-signed certificate made at test time), each failure
 * the doctor must name, the `--json` shape, exit codes, and attacks: no servers, 50 servers, a server
 * that never answers, Ctrl-C in the middle (no process left behind).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, pidFile, startHttpFixture, waitFor, type HttpFixture } from '../helpers.js';
import { assertBuilt, berth, CLI, FIXTURE, TINY } from './run-cli.js';

let dir: string;

async function writeConfig(name: string, servers: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ mcpServers: servers }, null, 2));
  return path;
}

const doctor = (args: string[], env?: Record<string, string>) =>
  berth(['doctor', ...args], { cwd: dir, env });

interface Report {
  config: string;
  verdict: string;
  counts: { ok: number; warn: number; fail: number };
  servers: {
    name: string;
    verdict: string;
    reason: string;
    transport: string;
    checks: { check: string; verdict: string; message: string; missingVariables?: string[] }[];
    handshake?: {
      ms?: number;
      protocolVersion?: string;
      era?: string;
      serverInfo?: { name: string; version: string };
    };
    tools?: {
      count: number;
      renamed: { tool: string; name: string; how: string }[];
      unvalidated: { name: string; problem: string }[];
      leftOut: { name?: string; position: number; problem: string }[];
    };
    auth?: { type: string; tokenStored?: boolean; state: string };
    stderrTail?: string;
  }[];
}

function server(report: Report, name: string) {
  const found = report.servers.find((s) => s.name === name);
  if (!found) throw new Error(`no server ${name} in ${JSON.stringify(report)}`);
  return found;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'berth-doctor-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('berth doctor on stdio servers', () => {
  it('passes a healthy server: handshake, server info, tools, renamed names; exit 0', async () => {
    const config = await writeConfig('healthy.json', {
      good: { command: process.execPath, args: [FIXTURE, '--name=doc-fixture', '--tool-name=dotted.name'] },
    });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Report;
    expect(report).toMatchObject({ config, verdict: 'ok', counts: { ok: 1, warn: 0, fail: 0 } });
    const good = server(report, 'good');
    expect(good).toMatchObject({ verdict: 'ok', transport: 'stdio' });
    expect(good.reason).toMatch(/^ready in \d+ ms, \d+ tools$/);
    expect(good.checks.map((c) => c.check)).toEqual(['command', 'handshake', 'tools']);
    expect(good.handshake).toMatchObject({
      protocolVersion: expect.any(String) as string,
      era: 'legacy',
      serverInfo: { name: 'doc-fixture', version: '1.0.0' },
    });
    expect(good.handshake?.ms).toBeGreaterThan(0);
    expect(good.tools?.count).toBeGreaterThan(5);
    expect(good.tools?.renamed).toEqual([
      { tool: 'dotted.name', name: 'good__dotted_name', how: 'sanitized' },
    ]);
    expect(good.tools?.unvalidated).toEqual([]);
    expect(good.tools?.leftOut).toEqual([]);
    expect(good.stderrTail).toBeUndefined();

    const human = await doctor(['--config', config]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^good: ok - ready in \d+ ms/m);
    expect(human.stdout).toMatch(
      /handshake\s+doc-fixture 1\.0\.0, protocol \S+ \(legacy era\), answered in \d+ ms/,
    );
    expect(human.stdout).toContain('dotted.name → good__dotted_name (sanitized)');
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe('1 ok, 0 warn, 0 fail');
  });

  it('names a missing command and a missing npx launcher, and starts neither', async () => {
    const pids = pidFile();
    const config = await writeConfig('missing.json', {
      nocmd: { command: 'berth-no-such-command-xyz' },
      nonpx: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { PATH: dir } },
      fine: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_PID_FILE: pids.path } },
    });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.counts).toEqual({ ok: 1, warn: 0, fail: 2 });
    expect(server(report, 'nocmd')).toMatchObject({
      verdict: 'fail',
      checks: [{ check: 'command', verdict: 'fail' }],
    });
    expect(server(report, 'nocmd').reason).toContain('"berth-no-such-command-xyz" is not on PATH');
    const nonpx = server(report, 'nonpx');
    expect(nonpx).toMatchObject({ verdict: 'fail', checks: [{ check: 'launcher', verdict: 'fail' }] });
    expect(nonpx.reason).toMatch(/"npx" is not on PATH: npx comes with Node\.js/);
    expect(nonpx.handshake).toBeUndefined();
    expect(alive(pids.pids())).toEqual([]);
  });

  it('names every unset ${VAR} and never prints a value from the config', async () => {
    const secret = 'do-not-print-this-9f3a';
    const config = await writeConfig('vars.json', {
      needs: {
        command: process.execPath,
        args: [FIXTURE],
        env: { TOKEN: '${DOCTOR_TEST_UNSET_A}', OTHER: '${DOCTOR_TEST_UNSET_B}', KEY: '${DOCTOR_TEST_SET}' },
      },
      uses: { command: process.execPath, args: [FIXTURE], env: { API_KEY: '${DOCTOR_TEST_SET}' } },
    });
    const env = { DOCTOR_TEST_SET: secret };
    const json = await doctor(['--config', config, '--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Report;
    const needs = server(report, 'needs');
    expect(needs.checks).toEqual([
      expect.objectContaining({
        check: 'variables',
        verdict: 'fail',
        missingVariables: ['DOCTOR_TEST_UNSET_A', 'DOCTOR_TEST_UNSET_B'],
      }),
    ]);
    expect(needs.reason).toContain('DOCTOR_TEST_UNSET_A, DOCTOR_TEST_UNSET_B are not set');
    expect(server(report, 'uses').verdict).toBe('ok');
    const human = await doctor(['--config', config], env);
    expect(human.stdout).toMatch(
      /^needs: FAIL - variables DOCTOR_TEST_UNSET_A, DOCTOR_TEST_UNSET_B are not set/m,
    );
    for (const run of [json, human]) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it("shows the server's own stderr tail when it crashes at start", async () => {
    const config = await writeConfig('crash.json', {
      crash: { command: process.execPath, args: [FIXTURE, '--crash-on-start'] },
    });
    const json = await doctor(['--config', config, '--json']);
    expect(json.code).toBe(1);
    const crash = server(JSON.parse(json.stdout) as Report, 'crash');
    expect(crash.verdict).toBe('fail');
    expect(crash.checks.at(-1)).toMatchObject({ check: 'start', verdict: 'fail' });
    expect(crash.reason).toMatch(/exited before completing the MCP handshake.*exit code 3/);
    expect(crash.stderrTail).toContain('fatal: crash-on-start requested');
    const human = await doctor(['--config', config]);
    expect(human.stdout).toContain("the server's stderr (tail):\n");
    expect(human.stdout).toMatch(/^ {4}\| fatal: crash-on-start requested$/m);
  });

  it('fails a server that never answers initialize at its deadline, the others unharmed', async () => {
    const config = await writeConfig('slow.json', {
      hang: { command: process.execPath, args: [FIXTURE, '--hang-on-start'], startupTimeoutMs: 1500 },
      good: { command: process.execPath, args: [FIXTURE] },
    });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(server(report, 'hang').reason).toMatch(/did not complete the MCP handshake within 1500 ms/);
    expect(server(report, 'good').verdict).toBe('ok');
  });

  it('--timeout caps a longer startupTimeoutMs', async () => {
    const config = await writeConfig('capped.json', {
      hang: { command: process.execPath, args: [FIXTURE, '--hang-on-start'], startupTimeoutMs: 120_000 },
    });
    const run = await doctor(['--config', config, '--json', '--timeout', '1000']);
    expect(run.code).toBe(1);
    expect(server(JSON.parse(run.stdout) as Report, 'hang').reason).toMatch(/within 1000 ms/);
  });

  it('warns about schemas that do not compile and tools left out as malformed (exit 0)', async () => {
    const config = await writeConfig('schemas.json', {
      odd: { command: process.execPath, args: [FIXTURE, '--uncompilable-schema', '--invalid-tools=no-name'] },
    });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(0);
    const odd = server(JSON.parse(run.stdout) as Report, 'odd');
    expect(odd.verdict).toBe('warn');
    expect(odd.tools?.unvalidated).toEqual([
      {
        name: 'odd__edge_badpattern',
        problem: expect.stringMatching(/^inputSchema cannot be compiled: /) as string,
      },
    ]);
    expect(odd.tools?.leftOut).toEqual([
      expect.objectContaining({ problem: expect.stringContaining('name') as string }),
    ]);
    expect(odd.checks.map((c) => [c.check, c.verdict])).toEqual([
      ['command', 'ok'],
      ['handshake', 'ok'],
      ['tools', 'ok'],
      ['schemas', 'warn'],
      ['malformed', 'warn'],
    ]);
  });

  it('reports a disabled server as a warning, without starting it', async () => {
    const config = await writeConfig('disabled.json', {
      off: { command: 'berth-no-such-command-xyz', disabled: true },
    });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(0);
    expect(server(JSON.parse(run.stdout) as Report, 'off')).toMatchObject({
      verdict: 'warn',
      checks: [{ check: 'disabled', verdict: 'warn' }],
    });
  });
});

describe('berth doctor on remote servers', () => {
  let http: HttpFixture;
  let oauth: HttpFixture;
  let https: HttpsServer | undefined;
  let httpsPort = 0;

  beforeAll(async () => {
    [http, oauth] = await Promise.all([
      startHttpFixture('http-server.mjs'),
      startHttpFixture('oauth-server.mjs'),
    ]);
    // A self-signed certificate, made now (node:crypto cannot make X.509 certificates).
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-days',
          '1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore', timeout: 20_000 },
      );
      const [key, cert] = await Promise.all([
        readFile(join(dir, 'key.pem')),
        readFile(join(dir, 'cert.pem')),
      ]);
      https = createHttpsServer({ key, cert }, (_req, res) => res.end('{}'));
      https.listen(0, '127.0.0.1');
      await once(https, 'listening');
      httpsPort = (https.address() as AddressInfo).port;
    } catch {
      https = undefined; // no openssl here: the TLS test says so and skips
    }
  });

  afterAll(async () => {
    await Promise.all([http.stop(), oauth.stop()]);
    if (https) {
      https.closeAllConnections();
      await new Promise((resolve) => https!.close(resolve));
    }
  });

  it('passes a reachable Streamable HTTP server', async () => {
    const config = await writeConfig('http.json', { remote: { url: `${http.origin}/mcp` } });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(0);
    const remote = server(JSON.parse(run.stdout) as Report, 'remote');
    expect(remote).toMatchObject({ verdict: 'ok', transport: 'http' });
    expect(remote.checks.map((c) => c.check)).toEqual(['connect', 'handshake', 'tools']);
    expect(remote.handshake?.serverInfo).toEqual({ name: 'http-fixture', version: '1.0.0' });
  });

  it('names an unreachable server (connection refused)', async () => {
    const port = await closedPort();
    const config = await writeConfig('refused.json', { gone: { url: `http://127.0.0.1:${port}/mcp` } });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(1);
    const gone = server(JSON.parse(run.stdout) as Report, 'gone');
    expect(gone.checks).toEqual([expect.objectContaining({ check: 'connect', verdict: 'fail' })]);
    expect(gone.reason).toBe(
      `cannot reach http://127.0.0.1:${port}: connection refused: nothing listens there (is the server running? is the port right?) (ECONNREFUSED)`,
    );
  });

  it('names a TLS failure: a self-signed certificate', async (context) => {
    if (!https) context.skip();
    const config = await writeConfig('tls.json', { secure: { url: `https://localhost:${httpsPort}/mcp` } });
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(1);
    const secure = server(JSON.parse(run.stdout) as Report, 'secure');
    expect(secure.checks).toEqual([expect.objectContaining({ check: 'tls', verdict: 'fail' })]);
    expect(secure.reason).toMatch(
      /^TLS failed for https:\/\/localhost:\d+: the certificate is self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/,
    );
    // Trusting the CA (here: the certificate itself) is what the message suggests; it then gets past TLS.
    const trusted = await doctor(['--config', config, '--json'], {
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    });
    const after = server(JSON.parse(trusted.stdout) as Report, 'secure');
    expect(after.checks.map((c) => c.check)).not.toContain('tls');
  });

  it('tells "needs OAuth, no token stored" from "stored token refused", and never prints the token', async () => {
    const url = `${oauth.origin}/mcp`;
    const config = await writeConfig('oauth.json', {
      oauthed: { url, auth: { type: 'oauth' } },
      bare: { url },
    });
    const authFile = join(dir, 'auth.json');
    const none = await doctor(['--config', config, '--json'], { BERTH_AUTH_FILE: authFile });
    expect(none.code).toBe(1);
    const report = JSON.parse(none.stdout) as Report;
    expect(server(report, 'oauthed')).toMatchObject({
      verdict: 'fail',
      auth: { type: 'oauth', tokenStored: false, state: 'unauthorized' },
    });
    expect(server(report, 'oauthed').reason).toMatch(/^needs OAuth: no token is stored for this server in /);
    expect(server(report, 'bare')).toMatchObject({ auth: { type: 'none', state: 'unauthorized' } });
    expect(server(report, 'bare').reason).toMatch(/answered 401/);

    const token = 'stale-token-never-printed-77';
    await writeFile(
      authFile,
      JSON.stringify({ [url]: { tokens: { access_token: token, token_type: 'bearer' } } }),
    );
    const stale = await doctor(['--config', config, '--json', '--server', 'oauthed'], {
      BERTH_AUTH_FILE: authFile,
    });
    const oauthed = server(JSON.parse(stale.stdout) as Report, 'oauthed');
    expect(oauthed).toMatchObject({ auth: { type: 'oauth', tokenStored: true, state: 'unauthorized' } });
    expect(oauthed.reason).toMatch(/refused the stored OAuth token \(401\)/);
    expect(stale.stdout + stale.stderr).not.toContain(token);
    // Read only: the doctor left the token file as it was.
    expect(JSON.parse(await readFile(authFile, 'utf8'))).toEqual({
      [url]: { tokens: { access_token: token, token_type: 'bearer' } },
    });
  });
});

describe('berth doctor: selection, config errors, attacks', () => {
  it('--server checks only the named servers; an unknown name is an error with a suggestion', async () => {
    const config = await writeConfig('pick.json', {
      alpha: { command: process.execPath, args: [TINY] },
      beta: { command: 'berth-no-such-command-xyz' },
    });
    const picked = await doctor(['--config', config, '--json', '--server', 'alpha']);
    expect(picked.code).toBe(0);
    expect((JSON.parse(picked.stdout) as Report).servers.map((s) => s.name)).toEqual(['alpha']);
    const unknown = await doctor(['--config', config, '--server', 'alpa']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('no server named "alpa"');
    expect(unknown.stderr).toContain('did you mean "alpha"?');
  });

  it('a config with no servers: nothing fails (exit 0), and --json says so', async () => {
    const config = await writeConfig('empty.json', {});
    const human = await doctor(['--config', config]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('the config has no servers');
    const json = await doctor(['--config', config, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      config,
      verdict: 'ok',
      counts: { ok: 0, warn: 0, fail: 0 },
      servers: [],
    });
  });

  it('a config that cannot be read: exit 1, and --json still prints a report', async () => {
    const missing = join(dir, 'nope.json');
    const human = await doctor(['--config', missing]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('cannot read config: file not found');
    const json = await doctor(['--config', missing, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verdict: 'fail',
      servers: [],
      error: { code: 'CONFIG_INVALID', message: expect.stringContaining('file not found') as string },
    });
  });

  it('checks 50 servers at once, and leaves none running', async () => {
    const pids = pidFile();
    const servers: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      servers[`s${i}`] = { command: process.execPath, args: [TINY], env: { FIXTURE_PID_FILE: pids.path } };
    }
    const config = await writeConfig('fifty.json', servers);
    const run = await doctor(['--config', config, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.counts).toEqual({ ok: 50, warn: 0, fail: 0 });
    expect(pids.pids()).toHaveLength(50);
    expect(alive(pids.pids())).toEqual([]);
  });

  it('Ctrl-C while a server hangs in its handshake: exits 130 at once, no process left', async () => {
    const pids = pidFile();
    const config = await writeConfig('interrupt.json', {
      hang: {
        command: process.execPath,
        args: [FIXTURE, '--hang-on-start'],
        env: { FIXTURE_PID_FILE: pids.path },
      },
      good: { command: process.execPath, args: [TINY], env: { FIXTURE_PID_FILE: pids.path } },
    });
    const child = spawn(process.execPath, [CLI, 'doctor', '--config', config, '--timeout', '60000'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
    const exited = once(child, 'exit');
    try {
      expect(await waitFor(() => pids.pids().length === 2, 20_000)).toBe(true);
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(130);
      expect(stdout).toBe(''); // no half report
      expect(alive(pids.pids())).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
