/**
 * The file-backed token store: records persist per key, the file is readable only by its owner,
 * concurrent saves never lose each other, and the OAuth provider keeps its state there.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultAuthFile,
  FileTokenStore,
  MemoryTokenStore,
  storedOAuthProvider,
} from '../../src/index.js';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'berth-auth-')), 'nested', 'auth.json');

describe('FileTokenStore', () => {
  it('persists records per key in a 0600 file, across store instances', async () => {
    const path = tempFile();
    const store = new FileTokenStore(path);
    expect(await store.load('https://a.example/mcp')).toBeUndefined();
    await store.save('https://a.example/mcp', { tokens: { access_token: 'a', token_type: 'Bearer' } });
    await store.save('https://b.example/mcp', { codeVerifier: 'v' });
    const again = new FileTokenStore(path);
    expect(await again.load('https://a.example/mcp')).toEqual({
      tokens: { access_token: 'a', token_type: 'Bearer' },
    });
    expect(await again.load('https://b.example/mcp')).toEqual({ codeVerifier: 'v' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('loses nothing to concurrent saves', async () => {
    const store = new FileTokenStore(tempFile());
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(`k${i}`, { codeVerifier: String(i) })));
    for (let i = 0; i < 20; i++) expect(await store.load(`k${i}`)).toEqual({ codeVerifier: String(i) });
  });

  it('two stores on one file in one process: concurrent saves neither fail nor lose each other', async () => {
    const path = tempFile();
    const a = new FileTokenStore(path);
    const b = new FileTokenStore(path);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).save(`k${i}`, { codeVerifier: String(i) })),
    );
    const fresh = new FileTokenStore(path);
    for (let i = 0; i < 20; i++) expect(await fresh.load(`k${i}`)).toEqual({ codeVerifier: String(i) });
    // No temp file is left beside it, and the file is still readable only by its owner.
    expect(readdirSync(dirname(path))).toEqual(['auth.json']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a leftover temp file of an earlier writer with this pid does not block saves', async () => {
    // A crashed writer whose pid is reused leaves `<file>.<pid>.tmp`; each write's own random temp
    // name (opened with `wx`) must not collide with it.
    const path = tempFile();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.${process.pid}.tmp`, 'partial');
    await new FileTokenStore(path).save('k', { codeVerifier: 'v' });
    expect(await new FileTokenStore(path).load('k')).toEqual({ codeVerifier: 'v' });
  });

  it('replaces a file of wider mode with a 0600 one', async () => {
    const path = tempFile();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{}', { mode: 0o644 });
    await new FileTokenStore(path).save('k', { codeVerifier: 'v' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['not JSON', '{ "k": '],
    ['an array', '[]'],
    ['null', 'null'],
  ])('reports a file that is %s as a ConfigError naming it, and leaves it alone', async (_label, text) => {
    const path = tempFile();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    const store = new FileTokenStore(path);
    const error: unknown = await store.load('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({ file: path, path: '$' });
    expect((error as ConfigError).message).toContain('token store');
    await expect(store.save('k', { codeVerifier: 'v' })).rejects.toBeInstanceOf(ConfigError);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('treats keys as data: "__proto__" and "constructor" are ordinary keys', async () => {
    const store = new FileTokenStore(tempFile());
    expect(await store.load('constructor')).toBeUndefined();
    expect(await store.load('__proto__')).toBeUndefined();
    await store.save('__proto__', { codeVerifier: 'p' });
    expect(await new FileTokenStore(store.path).load('__proto__')).toEqual({ codeVerifier: 'p' });
  });

  it('defaults to $BERTH_AUTH_FILE, else ~/.config/berth/auth.json', () => {
    expect(defaultAuthFile({ BERTH_AUTH_FILE: '/x/auth.json' })).toBe('/x/auth.json');
    expect(defaultAuthFile({ XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/berth/auth.json');
  });

  it('treats an empty variable as unset and ignores a relative XDG_CONFIG_HOME', () => {
    const home = join(homedir(), '.config', 'berth', 'auth.json');
    expect(defaultAuthFile({ BERTH_AUTH_FILE: '' })).toBe(home);
    expect(defaultAuthFile({ XDG_CONFIG_HOME: '' })).toBe(home);
    expect(defaultAuthFile({ XDG_CONFIG_HOME: 'relative/dir' })).toBe(home);
  });

  it('reports a path that is a directory as a ConfigError naming it', async () => {
    const path = mkdtempSync(join(tmpdir(), 'berth-auth-dir-'));
    const error: unknown = await new FileTokenStore(path).load('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({ file: path, path: '$' });
    expect((error as ConfigError).message).toContain('token store is not a regular file');
  });
});

describe('storedOAuthProvider', () => {
  it('keeps registration, tokens and the PKCE verifier in its store, and hands out the authorization URL', async () => {
    const store = new MemoryTokenStore();
    const opened: string[] = [];
    const provider = storedOAuthProvider({
      store,
      key: 'https://api.example/mcp',
      redirectUrl: 'http://127.0.0.1:8765/callback',
      scope: 'read',
      onAuthorizationUrl: (url) => void opened.push(url.href),
    });
    expect(provider.clientMetadata).toMatchObject({
      redirect_uris: ['http://127.0.0.1:8765/callback'],
      scope: 'read',
    });
    await provider.saveClientInformation!({ client_id: 'registered' });
    await provider.saveCodeVerifier('verifier-1');
    await provider.saveTokens({ access_token: 't', token_type: 'Bearer' });
    await provider.redirectToAuthorization(new URL('https://auth.example/authorize?x=1'));
    expect(await provider.clientInformation()).toEqual({ client_id: 'registered' });
    expect(await provider.codeVerifier()).toBe('verifier-1');
    expect(await provider.tokens()).toEqual({ access_token: 't', token_type: 'Bearer' });
    expect(opened).toEqual(['https://auth.example/authorize?x=1']);
    expect(await store.load('https://api.example/mcp')).toMatchObject({ codeVerifier: 'verifier-1' });
  });

  it('keeps the discovery state, and drops from its record what the SDK says is no longer valid', async () => {
    const store = new MemoryTokenStore();
    const key = 'https://api.example/mcp';
    const options = {
      store,
      key,
      redirectUrl: 'http://127.0.0.1:8765/callback',
      onAuthorizationUrl: () => {},
    };
    const provider = storedOAuthProvider(options);
    const discovery = { authorizationServerUrl: 'https://auth.example/' };
    await provider.invalidateCredentials!('all'); // nothing stored yet: nothing to do, nothing created
    expect(await store.load(key)).toBeUndefined();
    await provider.saveClientInformation!({ client_id: 'registered' });
    await provider.saveTokens({ access_token: 't', token_type: 'Bearer' });
    await provider.saveCodeVerifier('v');
    await provider.saveDiscoveryState!(discovery);
    expect(await provider.discoveryState!()).toEqual(discovery);
    await provider.invalidateCredentials!('discovery');
    expect(await store.load(key)).toEqual({
      clientInformation: { client_id: 'registered' },
      tokens: { access_token: 't', token_type: 'Bearer' },
      codeVerifier: 'v',
    });
    await provider.invalidateCredentials!('tokens');
    await provider.invalidateCredentials!('verifier');
    expect(await store.load(key)).toEqual({ clientInformation: { client_id: 'registered' } });
    await provider.invalidateCredentials!('client');
    expect(await store.load(key)).toEqual({});
    // A client from the entry is the options', not the record's: it stays.
    const configured = storedOAuthProvider({ ...options, client: { clientId: 'fixed' } });
    await configured.invalidateCredentials!('all');
    expect(await configured.clientInformation()).toEqual({ client_id: 'fixed', client_secret: undefined });
  });
});
