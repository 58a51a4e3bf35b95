// The `gateway` section: defaults, every setting, and a clear error at the right path for bad input.
import { describe, expect, it } from 'vitest';
import { GATEWAY_DEFAULTS, isLoopbackHost, parseListen, resolveGateway } from '../../src/config/gateway.js';
import { resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const source = { file: '/cfg.json', env: { ALICE: 'a'.repeat(32), BOB: 'b'.repeat(32) } };

function problems(value: unknown, env: Record<string, string | undefined> = source.env): string[] {
  try {
    resolveGateway(value, { ...source, env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('gateway config', () => {
  it('defaults to loopback, /mcp, prefixed names, no auth', () => {
    expect(resolveGateway(undefined, source)).toEqual(GATEWAY_DEFAULTS);
    expect(GATEWAY_DEFAULTS.listen.host).toBe('127.0.0.1');
    expect(resolveConfig({ mcpServers: {} }, '<inline>').gateway).toEqual(GATEWAY_DEFAULTS);
  });

  it('resolves every setting, expanding ${VAR} in tokens', () => {
    const spec = resolveGateway(
      {
        listen: '[::1]:0',
        path: '/gw/mcp',
        prefix: 'never',
        auth: { tokens: { alice: '${ALICE}', bob: '${BOB}' } },
        allowedHosts: ['gw.example'],
        principals: { bob: { tools: { deny: ['fs__write*'] } } },
        limits: { maxClientSessions: 5, sessionIdleMs: 1000 },
      },
      source,
    );
    expect(spec.listen).toEqual({ host: '::1', port: 0 });
    expect(spec.auth).toEqual({ type: 'tokens', tokens: { alice: 'a'.repeat(32), bob: 'b'.repeat(32) } });
    expect(spec.principals.bob!.tools).toEqual({ allow: [], deny: ['fs__write*'] });
    expect(spec.limits).toEqual({ ...GATEWAY_DEFAULTS.limits, maxClientSessions: 5, sessionIdleMs: 1000 });
  });

  it('resolves oauth with a default JWKS URL', () => {
    const spec = resolveGateway(
      {
        auth: { oauth: { issuer: 'https://as.example/', audience: 'https://gw.example/mcp' } },
      },
      source,
    );
    expect(spec.auth).toEqual({
      type: 'oauth',
      issuer: 'https://as.example/',
      audience: 'https://gw.example/mcp',
      jwksUrl: 'https://as.example/.well-known/jwks.json',
      requiredScopes: [],
    });
  });

  it('names each problem at its path', () => {
    expect(problems({ listen: 'nowhere' })).toEqual([
      expect.stringMatching(/^\$\.gateway\.listen: expected HOST:PORT/),
    ]);
    expect(problems({ listen: '127.0.0.1:70000' })[0]).toMatch(/HOST:PORT/);
    expect(problems({ prefix: 'sometimes' })[0]).toMatch(/^\$\.gateway\.prefix: /);
    expect(problems({ auth: { tokens: { alice: '${NOPE}' } } }, {})).toEqual([
      expect.stringMatching(/^\$\.gateway\.auth\.tokens\.alice: variable NOPE is not set/),
      expect.stringMatching(/at least 16 characters/),
    ]);
    expect(problems({ auth: { tokens: { alice: 'x'.repeat(20), bob: 'x'.repeat(20) } } })[0]).toMatch(
      /auth\.tokens\.bob: has the same token as "alice"/,
    );
    expect(problems({ limits: { sessionIdleMs: 0 } })[0]).toMatch(/limits\.sessionIdleMs: expected/);
    expect(problems({ limits: { maxBodyBytes: NaN } })[0]).toMatch(/limits\.maxBodyBytes: expected/);
    expect(problems({ limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } })[0]).toMatch(
      /limits\.requestTimeoutMs: expected at least limits\.headersTimeoutMs \(5000\), got 1000/,
    );
    expect(problems({ lisen: '1:2' })[0]).toMatch(/\$\.gateway\.lisen: unknown setting/);
    expect(problems('yes')[0]).toMatch(/\$\.gateway: expected an object, got string/);
    expect(problems({ auth: { oauth: { issuer: 'ftp://x', audience: 'a' } } })[0]).toMatch(
      /issuer: expected an http\(s\) URL/,
    );
  });

  it('parses listen addresses and knows loopback', () => {
    expect(parseListen(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListen('[fe80::1')).toEqual(expect.any(String));
    expect(isLoopbackHost('127.0.0.2')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('::')).toBe(false);
  });

  it('resolves a cluster, and names what is wrong with one', () => {
    const secret = 's'.repeat(40);
    const spec = resolveGateway(
      { cluster: { redis: 'redis://:${PW}@redis:6379', secret: '${SECRET}' } },
      { ...source, env: { PW: 'hunter2hunter2', SECRET: secret } },
    );
    expect(spec.cluster).toEqual({
      redis: 'redis://:hunter2hunter2@redis:6379',
      secret,
      prefix: 'berth',
      leaseMs: 10_000,
    });
    expect(
      problems({
        listen: '0.0.0.0:7077',
        cluster: { redis: 'http://redis', secret: 'short', leaseMs: 5, prefix: 'a b' },
      }),
    ).toEqual([
      '$.gateway.cluster.prefix: expected 1 to 64 letters, digits, ".", ":", "-" or "_"',
      '$.gateway.cluster.leaseMs: expected a whole number of ms from 300 to 600000, got 5',
    ]);
    expect(problems({ listen: '0.0.0.0:7077', cluster: { redis: 'http://redis', secret: 'short' } })).toEqual(
      [
        '$.gateway.cluster.redis: expected a redis:// or rediss:// URL, e.g. "redis://127.0.0.1:6379"',
        '$.gateway.cluster.secret: expected a secret of at least 32 characters, the same on every replica (generate one with `openssl rand -hex 32`)',
        '$.gateway.cluster.advertise: listening on 0.0.0.0, the other replicas cannot reach this one by that address: set advertise to its own URL, e.g. "http://${POD_IP}:7077/mcp"',
      ],
    );
    expect(
      resolveGateway(
        {
          listen: '0.0.0.0:7077',
          insecure: true,
          cluster: { redis: 'redis://r', secret, advertise: 'http://10.0.0.7:7077/mcp' },
        },
        source,
      ).cluster?.advertise,
    ).toBe('http://10.0.0.7:7077/mcp');
  });
});
