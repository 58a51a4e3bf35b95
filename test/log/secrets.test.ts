/**
 * The rules that keep secrets out of berth's output, on their own: which values are hidden, in which
 * forms, what a cut leaves of one, and what is too short to hide by value.
 */
import { describe, expect, it } from 'vitest';
import { configSecrets, MIN_SECRET_LENGTH, redact, SecretValues } from '../../src/log/secrets.js';
import { redact as middlewareRedact } from '../../src/middleware/log.js';
import { loadConfig } from '../../src/config/load.js';

const SECRET = 'sk-live-4f9a8b7c6d5e';

describe('SecretValues.scrub', () => {
  const secrets = new SecretValues().add([SECRET]);

  it('hides a value wherever it appears, inside other words too', () => {
    expect(secrets.scrub(`token=${SECRET}`)).toBe('token=[redacted]');
    expect(secrets.scrub(`xx${SECRET}yy and ${SECRET}`)).toBe('xx[redacted]yy and [redacted]');
  });

  it('hides it as it reads inside a JSON string, once and twice escaped, and URL-encoded', () => {
    const odd = 'pa"ss\\word/with&=chars';
    const values = new SecretValues().add([odd]);
    for (const text of [
      JSON.stringify({ v: odd }),
      JSON.stringify(JSON.stringify({ v: odd })),
      `https://x.example/?k=${encodeURIComponent(odd)}`,
    ]) {
      expect(values.scrub(text)).not.toContain(odd);
      expect(values.scrub(text)).toContain('[redacted]');
    }
    expect(values.scrub(JSON.stringify({ v: odd }))).not.toContain(JSON.stringify(odd).slice(1, -1));
  });

  it('hides each line of a multi-line value and each word of a header value', () => {
    const pem = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0\n-----END KEY-----';
    const values = new SecretValues().add([pem, 'Bearer abcdefgh12345678']);
    expect(values.scrub('tail: MIIEvQIBADANBgkqhkiG9w0 only')).toBe('tail: [redacted] only');
    expect(values.scrub('got token abcdefgh12345678')).toBe('got token [redacted]');
    // "Bearer" itself is a word under the minimum length: left alone.
    expect(values.scrub('Bearer')).toBe('Bearer');
  });

  it('hides the end of a secret a cut left at a line start, and its start at a line end', () => {
    const cutHead = SECRET.slice(6); // 14 characters of its end
    expect(secrets.scrub(`${cutHead} more`)).toBe('[redacted] more');
    expect(secrets.scrub(`  | ${cutHead} more`)).toBe('  | [redacted] more');
    expect(secrets.scrub(`first\nsaid ${SECRET.slice(0, 12)}`)).toBe('first\nsaid [redacted]');
    // Fewer than the minimum left: shown (documented).
    const tiny = SECRET.slice(-(MIN_SECRET_LENGTH - 1));
    expect(secrets.scrub(`${tiny} more`)).toBe(`${tiny} more`);
  });

  it('ignores values shorter than the minimum, so short values do not hide ordinary words', () => {
    const values = new SecretValues().add(['on', '1', 'prod', '1234567']);
    expect(values.size).toBe(0);
    expect(values.scrub('one line 1234567 prod on')).toBe('one line 1234567 prod on');
  });

  it('prefers the longest secret when one contains another', () => {
    const values = new SecretValues().add(['abcdefgh', 'abcdefgh-ijklmnop']);
    expect(values.scrub('x abcdefgh-ijklmnop y')).toBe('x [redacted] y');
  });

  it('leaves text alone when nothing is known, and is idempotent', () => {
    expect(new SecretValues().scrub(`a ${SECRET}`)).toBe(`a ${SECRET}`);
    const once = secrets.scrub(`a ${SECRET} b`);
    expect(secrets.scrub(once)).toBe(once);
  });
});

describe('configSecrets', () => {
  it('collects env and header values, bearer tokens, client secrets and the gateway tokens', async () => {
    const loaded = await loadConfig(
      {
        mcpServers: {
          local: { command: 'node', args: ['x.js'], env: { API_KEY: 'env-secret-123456', SHORT: 'on' } },
          remote: {
            url: 'https://example.com/mcp',
            headers: { 'X-Api-Key': 'header-secret-123456' },
            auth: { type: 'bearer', token: 'bearer-secret-123456' },
          },
          oauth: {
            url: 'https://example.com/mcp2',
            auth: { type: 'client_credentials', clientId: 'id', clientSecret: 'client-secret-123456' },
          },
        },
        gateway: { auth: { tokens: { alice: 'gateway-token-0123456789' } } },
      },
      { env: {} },
    );
    expect(configSecrets(loaded)).toEqual(
      expect.arrayContaining([
        'env-secret-123456',
        'header-secret-123456',
        'bearer-secret-123456',
        'client-secret-123456',
        'gateway-token-0123456789',
      ]),
    );
  });
});

describe('redact (by key)', () => {
  it('is one function, where it always was and in the log module', () => {
    expect(middlewareRedact).toBe(redact);
    expect(redact({ headers: { Authorization: 'x', accept: 'y' }, apiKey: 'k' })).toEqual({
      headers: { Authorization: '[redacted]', accept: 'y' },
      apiKey: '[redacted]',
    });
  });
});
