/**
 * What a stdio server's environment holds: by default only the SDK's safe variables plus the entry's
 * `env`; the host's other variables (secrets included) only with `inheritEnv: true`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../src/index.js';
import { fixture, text } from '../helpers.js';

describe('server environment', () => {
  let host: Host;
  const savedCa = process.env.NODE_EXTRA_CA_CERTS;
  beforeAll(async () => {
    process.env.BERTH_TEST_SECRET = 'do-not-leak';
    process.env.NODE_EXTRA_CA_CERTS = '/etc/berth-test/ca.pem';
    host = await createHost({
      mcpServers: {
        safe: fixture([], { env: { GIVEN: 'from-config' } }),
        full: fixture([], { inheritEnv: true }),
      },
    });
  });
  afterAll(async () => {
    delete process.env.BERTH_TEST_SECRET;
    if (savedCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = savedCa;
    await host.close();
  });

  it('passes safe variables and the configured env, not the rest of the host environment', async () => {
    expect(text(await host.callTool('safe__env', { name: 'GIVEN' }))).toBe('from-config');
    expect(text(await host.callTool('safe__env', { name: 'PATH' }))).toBe(process.env.PATH);
    expect(text(await host.callTool('safe__env', { name: 'BERTH_TEST_SECRET' }))).toBe('<unset>');
  });

  it('passes where the TLS trust store is, so npx/uvx servers work behind an intercepting proxy', async () => {
    expect(text(await host.callTool('safe__env', { name: 'NODE_EXTRA_CA_CERTS' }))).toBe(
      '/etc/berth-test/ca.pem',
    );
  });

  it('inherits everything with inheritEnv: true', async () => {
    expect(text(await host.callTool('full__env', { name: 'BERTH_TEST_SECRET' }))).toBe('do-not-leak');
  });
});
