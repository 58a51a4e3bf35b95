// Tests for loadConfig/resolveConfig: formats, type inference, expansion, defaults, per-entry isolation and errors.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';
import { loadConfig, MAX_CONFIG_BYTES, resolveConfig, type LoadedConfig } from '../../src/config/load.js';
import { GATEWAY_DEFAULTS } from '../../src/config/gateway.js';
import { DEFAULTS, type RemoteServerSpec, type StdioServerSpec } from '../../src/config/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, content: unknown): Promise<string> {
  const file = join(dir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

function throwsConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const inline = (raw: unknown, env: Record<string, string> = {}): LoadedConfig =>
  resolveConfig(raw, '<inline>', { env, cwd: '/base' });
const only = <T>(config: LoadedConfig): T => {
  expect(config.invalid).toEqual([]);
  expect(config.servers).toHaveLength(1);
  return config.servers[0] as T;
};
const issuesOf = (config: LoadedConfig, name: string): Pick<ConfigIssue, 'path' | 'message'>[] =>
  config.invalid.find((s) => s.name === name)?.issues.map(({ path, message }) => ({ path, message })) ?? [];

describe('formats', () => {
  it('loads a Claude Desktop / Cursor / .mcp.json "mcpServers" file', async () => {
    const file = await writeConfig('claude.json', {
      mcpServers: { fs: { command: 'npx', args: ['-y', 'server-fs'], env: { A: '1' } } },
    });
    const config = await loadConfig(file, { env: {} });
    expect(config.source).toBe(file);
    expect(config.invalid).toEqual([]);
    expect(config.servers).toEqual([
      {
        name: 'fs',
        source: file,
        transport: 'stdio',
        command: 'npx',
        args: ['-y', 'server-fs'],
        env: { A: '1' },
        disabled: false,
        inheritEnv: DEFAULTS.inheritEnv,
        stderrBufferBytes: DEFAULTS.stderrBufferBytes,
        timeouts: DEFAULTS.timeouts,
        restart: DEFAULTS.restart,
        session: DEFAULTS.session,
        health: DEFAULTS.health,
        client: { offer: { roots: true, sampling: true, elicitation: true } },
        era: 'auto',
        start: 'eager',
        tools: { allow: [], deny: [] },
      },
    ]);
  });

  it('loads a VS Code "servers" file with comments, trailing commas and ignored inputs', async () => {
    const file = await writeConfig(
      'vscode/.vscode/mcp.json',
      `{
        // VS Code allows comments
        "inputs": [{ "type": "promptString", "id": "token", "password": true }],
        "servers": {
          "local": { "type": "stdio", "command": "node", "args": ["\${workspaceFolder}/server.js",], },
          /* a remote one */
          "remote": { "type": "http", "url": "https://example.com/mcp", "headers": { "X-A": "b" } },
        },
      }`,
    );
    const config = await loadConfig(file, { env: {} });
    expect(config.invalid).toEqual([]);
    const [local, remote] = config.servers as [StdioServerSpec, RemoteServerSpec];
    expect(local.args).toEqual([join(dir, 'vscode', 'server.js')]);
    expect(remote).toMatchObject({
      transport: 'http',
      url: 'https://example.com/mcp',
      headers: { 'X-A': 'b' },
    });
  });

  it('resolves a relative path against options.cwd', async () => {
    await writeConfig('rel/x.json', { mcpServers: {} });
    const config = await loadConfig('rel/x.json', { cwd: dir });
    expect(config).toEqual({
      source: join(dir, 'rel', 'x.json'),
      servers: [],
      invalid: [],
      gateway: GATEWAY_DEFAULTS,
      raw: { mcpServers: {} },
    });
  });

  it('accepts an already-parsed object as <inline>', async () => {
    const config = await loadConfig({ mcpServers: { a: { command: 'a' } } }, { env: {} });
    expect(config.source).toBe('<inline>');
    expect(config.servers[0]?.source).toBe('<inline>');
  });

  it('ignores unknown keys of other clients', () => {
    const spec = only<StdioServerSpec>(
      inline({
        globalShortcut: 'x',
        mcpServers: {
          a: {
            command: 'a',
            autoApprove: ['x'],
            alwaysAllow: [],
            timeout: 60,
            envFile: '.env',
            transportType: 'x',
          },
        },
      }),
    );
    expect(spec).not.toHaveProperty('autoApprove');
    expect(spec.command).toBe('a');
  });
});

describe('typos in berth settings', () => {
  it('reports an unknown key in berth’s own objects, with the nearest setting', () => {
    const config = inline({
      mcpServers: {
        s: {
          command: 'x',
          restart: { maxRestart: 0 },
          tools: { alow: ['a'] },
          capabilities: { sampling: false, elicitations: false },
        },
        r: { url: 'http://h/mcp', auth: { type: 'bearer', token: 't', header: 'X-Key' } },
      },
    });
    expect(issuesOf(config, 's')).toEqual(
      [
        { path: '$.mcpServers.s.tools', message: 'unknown setting "alow"; did you mean "allow"?' },
        {
          path: '$.mcpServers.s.capabilities',
          message: 'unknown setting "elicitations"; did you mean "elicitation"?',
        },
        {
          path: '$.mcpServers.s.restart',
          message: 'unknown setting "maxRestart"; did you mean "maxRestarts"?',
        },
      ].map((issue) => ({ ...issue, path: `${issue.path}.${/"(\w+)"/.exec(issue.message)![1]}` })),
    );
    expect(issuesOf(config, 'r')).toEqual([
      { path: '$.mcpServers.r.auth.header', message: 'unknown setting "header"' },
    ]);
  });

  it('reports an unknown key in the file defaults as a ConfigError', () => {
    const error = throwsConfigError(() =>
      resolveConfig({ defaults: { callTimeoutMS: 5_000, pingInterval: 0 }, mcpServers: {} }, '/x/c.json'),
    );
    expect(error.issues).toEqual([
      {
        file: '/x/c.json',
        path: '$.defaults.callTimeoutMS',
        message: 'unknown setting "callTimeoutMS"; did you mean "callTimeoutMs"?',
      },
      {
        file: '/x/c.json',
        path: '$.defaults.pingInterval',
        message: 'unknown setting "pingInterval"; did you mean "pingIntervalMs"?',
      },
    ]);
  });

  it('reports an entry key that differs from a berth setting only in case, and nothing else', () => {
    const config = inline({
      mcpServers: { s: { command: 'x', callTimeoutMS: 1_000, CWD: '/tmp', autoApprove: [], timeout: 5 } },
    });
    expect(issuesOf(config, 's')).toEqual([
      {
        path: '$.mcpServers.s.callTimeoutMS',
        message: 'unknown setting "callTimeoutMS"; did you mean "callTimeoutMs"?',
      },
      { path: '$.mcpServers.s.CWD', message: 'unknown setting "CWD"; did you mean "cwd"?' },
    ]);
  });
});

describe('transport', () => {
  it.each([
    [{ command: 'x' }, 'stdio'],
    [{ url: 'http://h/mcp' }, 'http'],
    [{ type: 'sse', url: 'http://h/sse' }, 'sse'],
    [{ type: 'streamable-http', url: 'http://h/mcp' }, 'http'],
    [{ type: 'streamableHttp', url: 'http://h/mcp' }, 'http'],
    [{ type: 'stdio', command: 'x' }, 'stdio'],
  ])('infers %j as %s', (entry, transport) => {
    expect(only<{ transport: string }>(inline({ mcpServers: { s: entry } })).transport).toBe(transport);
  });

  it.each([
    [{ command: 'x', url: 'http://h' }, '$.mcpServers.s', 'has both "command" and "url"'],
    [{ args: [] }, '$.mcpServers.s', 'expected "command" (a stdio server) or "url"'],
    [{ type: 'stdio', url: 'http://h' }, '$.mcpServers.s.type', 'type "stdio" expects "command"'],
    [{ type: 'sse', command: 'x' }, '$.mcpServers.s.type', 'type "sse" expects "url"'],
    [{ type: 'ws', url: 'http://h' }, '$.mcpServers.s.type', 'expected one of "stdio", "http", "sse"'],
    [{ url: 'ftp://h' }, '$.mcpServers.s.url', 'expected an http(s) URL, got "ftp://h"'],
    ['npx foo', '$.mcpServers.s', 'expected an object, got string'],
  ])('rejects %j', (entry, path, message) => {
    const [issue] = issuesOf(inline({ mcpServers: { s: entry } }), 's');
    expect(issue?.path).toBe(path);
    expect(issue?.message).toContain(message);
  });
});

describe('expansion', () => {
  const env = { HOME: '/home/me', TOKEN: 'tok', EMPTY: '' };

  it('expands command, args, env, cwd, url and headers', () => {
    const config = inline(
      {
        mcpServers: {
          local: {
            command: '${HOME}/bin/srv',
            args: ['--token=${env:TOKEN}', '--mode=${MODE:-fast}', '${EMPTY:-dflt}', 'cost $5'],
            env: { KEY: '${TOKEN}' },
            cwd: '${WORK}',
          },
          remote: { url: 'https://${HOST:-example.com}/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
        },
      },
      { ...env, WORK: dir },
    );
    expect(config.invalid).toEqual([]);
    const [local, remote] = config.servers as [StdioServerSpec, RemoteServerSpec];
    expect(local).toMatchObject({
      command: '/home/me/bin/srv',
      args: ['--token=tok', '--mode=fast', 'dflt', 'cost $5'],
      env: { KEY: 'tok' },
      cwd: dir,
    });
    expect(remote).toMatchObject({
      url: 'https://example.com/mcp',
      headers: { Authorization: 'Bearer tok' },
    });
  });

  it('makes an entry with a missing variable invalid, pointing at the exact string', () => {
    const config = inline(
      {
        mcpServers: {
          github: { command: 'gh', args: ['a', '${NOPE}'], env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } },
          'my-api': { url: 'http://h', headers: { 'X-Key': '${env:API_KEY}' } },
          fine: { command: 'ok' },
        },
      },
      env,
    );
    expect(config.servers.map((s) => s.name)).toEqual(['fine']);
    expect(issuesOf(config, 'github')).toEqual([
      {
        path: '$.mcpServers.github.args[1]',
        message: 'variable NOPE is not set (set it, or give a default with ${NOPE:-value})',
      },
      {
        path: '$.mcpServers.github.env.GITHUB_TOKEN',
        message: 'variable GITHUB_TOKEN is not set (set it, or give a default with ${GITHUB_TOKEN:-value})',
      },
    ]);
    const [apiIssue] = issuesOf(config, 'my-api');
    expect(apiIssue?.path).toBe('$.mcpServers["my-api"].headers["X-Key"]');
    expect(apiIssue?.message).toContain('variable API_KEY is not set');
  });

  it('expands nested defaults: ${A:-${B}}', () => {
    const config = inline(
      { mcpServers: { s: { command: 'x', args: ['${NOPE:-${HOME}}/bin', '${NOPE:-${ALSO:-${TOKEN}}}'] } } },
      env,
    );
    expect(only<StdioServerSpec>(config).args).toEqual(['/home/me/bin', 'tok']);
  });

  it('reports malformed ${ references in a file as a ConfigError issue with file and path', async () => {
    const file = await writeConfig('malformed.json', {
      mcpServers: {
        s: { command: 'x', args: ['ok', '${HOME'], env: { A: '${}' } },
        r: { url: 'http://h/${NOPE:-${HOST}' },
      },
    });
    const config = await loadConfig(file, { env });
    expect(config.servers).toEqual([]);
    expect(config.invalid.flatMap((entry) => entry.issues)).toEqual([
      {
        file,
        server: 's',
        path: '$.mcpServers.s.args[1]',
        message: expect.stringContaining('"${HOME" is not closed') as string,
      },
      {
        file,
        server: 's',
        path: '$.mcpServers.s.env.A',
        message: expect.stringContaining('"${}" is not a valid reference') as string,
      },
      {
        file,
        server: 'r',
        path: '$.mcpServers.r.url',
        message: expect.stringContaining('"${NOPE:-${HOST}" is not closed') as string,
      },
    ]);
  });

  it('reports ${input:...} as unsupported VS Code inputs', () => {
    const config = inline({ servers: { s: { command: 'x', env: { T: '${input:token}' } } } });
    const [issue, ...rest] = issuesOf(config, 's');
    expect(rest).toEqual([]);
    expect(issue?.path).toBe('$.servers.s.env.T');
    expect(issue?.message).toBe(
      '${input:token}: VS Code inputs are not supported; put the value in an environment variable and use ${env:NAME}',
    );
  });

  it('uses the config file directory as ${workspaceFolder} and for a relative cwd', async () => {
    const file = await writeConfig('proj/mcp.json', {
      mcpServers: { s: { command: 'x', args: ['${workspaceFolder}'], cwd: 'sub' } },
    });
    await mkdir(join(dir, 'proj', 'sub'), { recursive: true });
    const spec = only<StdioServerSpec>(await loadConfig(file, { env: {}, cwd: '/elsewhere' }));
    expect(spec.args).toEqual([join(dir, 'proj')]);
    expect(spec.cwd).toBe(join(dir, 'proj', 'sub'));
  });

  it('resolves an inline relative cwd against options.cwd', async () => {
    await mkdir(join(dir, 'inline-sub'), { recursive: true });
    const config = resolveConfig({ mcpServers: { s: { command: 'x', cwd: 'inline-sub' } } }, '<inline>', {
      env: {},
      cwd: dir,
    });
    expect(only<StdioServerSpec>(config).cwd).toBe(join(dir, 'inline-sub'));
    expect(only<StdioServerSpec>(inline({ mcpServers: { s: { command: 'x' } } }))).not.toHaveProperty('cwd');
  });

  it('reports a cwd that is missing or not a directory, at the cwd, when the config is read', async () => {
    const file = await writeConfig('cwd/mcp.json', {
      mcpServers: {
        missing: { command: 'x', cwd: 'no-such-dir' },
        file: { command: 'x', cwd: 'mcp.json' },
        unset: { command: 'x', cwd: '${NOPE}' },
        fine: { command: 'x', cwd: '.' },
      },
    });
    const config = await loadConfig(file, { env: {} });
    expect(config.servers.map((s) => s.name)).toEqual(['fine']);
    expect(issuesOf(config, 'missing')).toEqual([
      {
        path: '$.mcpServers.missing.cwd',
        message: `directory does not exist: ${join(dir, 'cwd', 'no-such-dir')}`,
      },
    ]);
    expect(issuesOf(config, 'file')).toEqual([
      { path: '$.mcpServers.file.cwd', message: `expected a directory, got a file: ${file}` },
    ]);
    // An unexpanded cwd is reported once, for the variable.
    expect(issuesOf(config, 'unset')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('variable NOPE is not set') as string }),
    ]);
  });

  it('reports what spawn or fetch would refuse or mangle, at its path', () => {
    const config = inline(
      {
        mcpServers: {
          nul: { command: 'x', args: ['ok', 'a\u0000b'], env: { A: '${WITH_NUL}' } },
          names: { command: 'x', env: { 'A=B': '1', '': '2', GOOD: '3' } },
          remote: { url: 'http://h/mcp', headers: { 'X A': 'v', 'X-Ok': 'a\r\nInjected: yes' } },
        },
      },
      { WITH_NUL: 'x\u0000y' },
    );
    expect(config.servers).toEqual([]);
    expect(issuesOf(config, 'nul')).toEqual([
      { path: '$.mcpServers.nul.args[1]', message: 'must not contain a NUL character' },
      { path: '$.mcpServers.nul.env.A', message: 'must not contain a NUL character' },
    ]);
    expect(issuesOf(config, 'names')).toEqual([
      { path: '$.mcpServers.names.env["A=B"]', message: 'expected a variable name without "=", got "A=B"' },
      { path: '$.mcpServers.names.env[""]', message: 'expected a variable name without "=", got ""' },
    ]);
    expect(issuesOf(config, 'remote')).toEqual([
      {
        path: '$.mcpServers.remote.headers["X A"]',
        message: 'expected an HTTP header name (letters, digits, "-"), got "X A"',
      },
      {
        path: '$.mcpServers.remote.headers["X-Ok"]',
        message: 'expected a header value on one line (no line breaks or NUL characters)',
      },
    ]);
  });

  it('uses process.env by default', () => {
    process.env.BERTH_TEST_VAR = 'from-process';
    try {
      const config = resolveConfig({ mcpServers: { s: { command: '${BERTH_TEST_VAR}' } } }, '<inline>');
      expect((config.servers[0] as StdioServerSpec).command).toBe('from-process');
    } finally {
      delete process.env.BERTH_TEST_VAR;
    }
  });
});

describe('defaults', () => {
  it('layers DEFAULTS, then the file defaults, then the entry', () => {
    const config = inline({
      defaults: { callTimeoutMs: 5000, restart: { maxRestarts: 1, maxDelayMs: 2000 }, inheritEnv: true },
      mcpServers: {
        a: { command: 'a' },
        b: {
          command: 'b',
          callTimeoutMs: 10,
          startupTimeoutMs: 20,
          stdinGraceMs: 30,
          termGraceMs: 40,
          restart: { maxRestarts: 0 },
          inheritEnv: false,
          stderrBufferBytes: 100,
          disabled: true,
          tools: { allow: ['read_*'], deny: ['*_delete'] },
        },
      },
    });
    const [a, b] = config.servers as [StdioServerSpec, StdioServerSpec];
    expect(a.timeouts).toEqual({ ...DEFAULTS.timeouts, callMs: 5000 });
    expect(a.restart).toEqual({ ...DEFAULTS.restart, maxRestarts: 1, maxDelayMs: 2000 });
    expect(a.inheritEnv).toBe(true);
    expect(a.disabled).toBe(false);
    expect(b.timeouts).toEqual({ startupMs: 20, callMs: 10, stdinGraceMs: 30, termGraceMs: 40 });
    expect(b.restart).toEqual({ ...DEFAULTS.restart, maxRestarts: 0, maxDelayMs: 2000 });
    expect(b).toMatchObject({ inheritEnv: false, stderrBufferBytes: 100, disabled: true });
    expect(b.tools).toEqual({ allow: ['read_*'], deny: ['*_delete'] });
  });

  it('does not change DEFAULTS', () => {
    const before = structuredClone(DEFAULTS);
    inline({
      defaults: { callTimeoutMs: 1, restart: { maxRestarts: 0 } },
      mcpServers: { a: { command: 'a' } },
    });
    expect(DEFAULTS).toEqual(before);
  });

  it('rejects invalid defaults for the whole file', () => {
    const error = throwsConfigError(() =>
      resolveConfig(
        { defaults: { restart: { maxRestarts: -1 }, callTimeoutMs: 0 }, mcpServers: {} },
        '/x/c.json',
      ),
    );
    expect(error.issues).toEqual([
      {
        file: '/x/c.json',
        path: '$.defaults.callTimeoutMs',
        message: 'expected a whole number of milliseconds from 1 to 2147483647 (24.8 days), got 0',
      },
      {
        file: '/x/c.json',
        path: '$.defaults.restart.maxRestarts',
        message: 'expected a non-negative integer, got -1',
      },
    ]);
  });
});

describe('invalid entries', () => {
  it('keeps the good entries and reports each bad one with file, path and expectation', async () => {
    const file = await writeConfig('mixed.json', {
      mcpServers: {
        good: { command: 'ok' },
        github: { command: 'gh', args: ['a', 5], env: { PORT: 3000 } },
        timing: { command: 'x', callTimeoutMs: 1.5, restart: { initialDelayMs: 'soon' }, disabled: 'yes' },
        tools: { command: 'x', tools: { allow: 'read' } },
        '': { command: 'x' },
        alsoGood: { url: 'https://h/mcp' },
      },
    });
    const config = await loadConfig(file, { env: {} });
    expect(config.servers.map((s) => s.name)).toEqual(['good', 'alsoGood']);
    expect(config.invalid.map((s) => s.name)).toEqual(['github', 'timing', 'tools', '']);
    expect(config.invalid[0]?.issues).toEqual([
      {
        file,
        server: 'github',
        path: '$.mcpServers.github.args[1]',
        message: 'expected a string, got number',
      },
      {
        file,
        server: 'github',
        path: '$.mcpServers.github.env.PORT',
        message: 'expected a string, got number',
      },
    ]);
    expect(issuesOf(config, 'timing')).toEqual([
      { path: '$.mcpServers.timing.disabled', message: 'expected true or false, got string' },
      {
        path: '$.mcpServers.timing.callTimeoutMs',
        message: 'expected a whole number of milliseconds from 1 to 2147483647 (24.8 days), got 1.5',
      },
      {
        path: '$.mcpServers.timing.restart.initialDelayMs',
        message: 'expected a whole number of milliseconds from 0 to 2147483647 (24.8 days), got "soon"',
      },
    ]);
    expect(issuesOf(config, 'tools')).toEqual([
      { path: '$.mcpServers.tools.tools.allow', message: 'expected an array, got string' },
    ]);
    expect(issuesOf(config, '')).toEqual([
      { path: '$.mcpServers[""]', message: 'expected a non-empty server name' },
    ]);
  });
});

describe('whole-file errors', () => {
  it('reports a missing file', async () => {
    const file = join(dir, 'missing.json');
    const error = await configError(loadConfig(file));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toEqual([{ file, path: '$', message: 'cannot read config: file not found' }]);
    expect(error.message).toBe(`${file}: $: cannot read config: file not found`);
  });

  it('reports a directory', async () => {
    const error = await configError(loadConfig(dir));
    expect(error.issues[0]?.message).toContain('expected a file, got a directory');
  });

  it('reports a file over MAX_CONFIG_BYTES without reading it all (a device that never ends too)', async () => {
    const file = join(dir, 'huge.json');
    await writeFile(file, '');
    await truncate(file, MAX_CONFIG_BYTES + 1);
    const error = await configError(loadConfig(file));
    expect(error.issues).toEqual([
      {
        file,
        path: '$',
        message: expect.stringContaining('cannot read config: larger than 16 MiB') as string,
      },
    ]);
    const endless = await configError(loadConfig('/dev/zero'));
    expect(endless.issues[0]?.message).toContain('larger than 16 MiB');
  });

  it('reads a config from a pipe', async () => {
    const file = await writeConfig('piped.json', { mcpServers: { s: { command: 'x' } } });
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = execFile('sh', ['-c', `exec cat "${file}" > "${fifo}"`]);
    try {
      const config = await loadConfig(fifo, { env: {} });
      expect(config.servers.map((s) => s.name)).toEqual(['s']);
    } finally {
      writer.kill();
    }
  });

  it('reports invalid JSON with line and column', async () => {
    const file = await writeConfig(
      'broken.json',
      '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}',
    );
    const error = await configError(loadConfig(file));
    expect(error.issues).toEqual([
      {
        file,
        path: '$',
        message: "invalid JSON: expected ',' or '}' after a property value at line 4, column 5",
      },
    ]);
  });

  it.each([
    ['arrays', `{"mcpServers": {}, "x": ${'['.repeat(5_000)}${']'.repeat(5_000)}}`],
    ['objects', `{"mcpServers": {}, "x": ${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`],
  ])('reports 5,000 levels of nested %s as a ConfigError naming the file', async (_kind, text) => {
    const file = await writeConfig('deep.json', text);
    const error = await configError(loadConfig(file));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ file, path: '$' });
    expect(error.issues[0]?.message).toMatch(
      /^invalid JSON: arrays and objects nested deeper than \d+ levels at line 1, column \d+$/,
    );
  });

  it.each([
    [[], '$', 'expected a JSON object, got array'],
    [
      { other: {} },
      '$',
      'expected a "mcpServers" object (Claude Desktop, Cursor, Claude Code) or a "servers" object',
    ],
    [{ mcpServers: [] }, '$.mcpServers', 'expected an object mapping server names to entries, got array'],
    [{ servers: 'x' }, '$.servers', 'expected an object mapping server names to entries, got string'],
    [{ mcpServers: {}, servers: {} }, '$', 'has both "mcpServers" and "servers"'],
    [{ mcpServers: {}, defaults: [] }, '$.defaults', 'expected an object, got array'],
  ])('rejects %j', async (raw, path, message) => {
    const file = await writeConfig('whole.json', raw);
    const error = await configError(loadConfig(file));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ file, path });
    expect(error.issues[0]?.message).toContain(message);
    expect(error.message).toContain(`${file}: ${path}: `);
  });

  it('names <inline> for objects', () => {
    const error = throwsConfigError(() => resolveConfig({}, '<inline>'));
    expect(error.issues[0]?.file).toBe('<inline>');
  });
});

describe('only', () => {
  it('loads only the named entries; the others are not read at all', () => {
    const config = resolveConfig(
      {
        mcpServers: {
          wanted: { command: 'x' },
          broken: { command: 42 },
          unset: { command: '${NOT_SET_ANYWHERE}' },
          alsoWanted: { command: 42 },
        },
      },
      '/x/c.json',
      { env: {}, only: ['wanted', 'alsoWanted', 'absent'] },
    );
    expect(config.servers.map((s) => s.name)).toEqual(['wanted']);
    expect(config.invalid.map((s) => s.name)).toEqual(['alsoWanted']);
  });

  it('still checks the file as a whole', () => {
    expect(() => resolveConfig({ mcpServers: [] }, '/x/c.json', { only: ['a'] })).toThrow(ConfigError);
  });
});

describe('session settings', () => {
  it('default to a shared session and take per-entry and defaults overrides', () => {
    const config = resolveConfig(
      {
        defaults: { drainTimeoutMs: 1_000 },
        mcpServers: {
          plain: { command: 'x' },
          browser: { command: 'x', session: 'keyed', maxSessions: 4, idleTimeoutMs: 5_000 },
          sandbox: { command: 'x', session: 'per-call', prewarm: 2 },
          wrong: { command: 'x', session: 'per-user' },
        },
      },
      '<inline>',
    );
    const byName = Object.fromEntries(config.servers.map((s) => [s.name, s.session]));
    expect(byName.plain).toEqual({ ...DEFAULTS.session, drainTimeoutMs: 1_000 });
    expect(byName.browser).toMatchObject({ scope: 'keyed', maxSessions: 4, idleTimeoutMs: 5_000 });
    expect(byName.sandbox).toMatchObject({ scope: 'per-call', prewarm: 2 });
    expect(config.invalid[0]?.issues[0]).toMatchObject({ path: '$.mcpServers.wrong.session' });
    expect(config.invalid[0]?.issues[0]?.message).toMatch(/expected one of "shared", "keyed", "per-call"/);
  });
});
