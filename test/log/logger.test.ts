/**
 * The logger on its own, writing into an array: the JSON and readable forms, levels, redaction by key
 * and by value, cutting of huge fields, and what a hostile field can (not) do to a readable line.
 */
/* eslint-disable no-control-regex -- the tests look for control characters */
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  logSettings,
  prettyLine,
  type LogFormat,
  type LogLevel,
} from '../../src/log/logger.js';
import { SecretValues } from '../../src/log/secrets.js';
import { MAX_FIELD_CHARS } from '../../src/log/text.js';

const SECRET = 'tok-9b8a7c6d5e4f3a2b';

function capture(format: LogFormat, level: LogLevel = 'debug') {
  const lines: string[] = [];
  const secrets = new SecretValues().add([SECRET]);
  const logger = createLogger({ level, format, secrets, write: (line) => lines.push(line) });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('JSON lines', () => {
  it('writes one JSON object per record, with a level label, time and message', () => {
    const { logger, records, lines } = capture('json');
    logger.info({ server: 'fx' }, 'server ready');
    expect(lines).toHaveLength(1);
    expect(records()[0]).toMatchObject({ level: 'info', server: 'fx', msg: 'server ready' });
    expect(typeof records()[0]!.time).toBe('string');
  });

  it('writes nothing below its level', () => {
    const { logger, lines } = capture('json', 'info');
    logger.debug({}, 'detail');
    logger.warn({}, 'shown');
    expect(lines).toHaveLength(1);
  });

  it('redacts secret-named keys at any depth, and the known paths', () => {
    const { logger, lines } = capture('json');
    logger.info(
      {
        headers: { authorization: 'Bearer zzz-not-known-zzz', cookie: 'c=1' },
        req: { headers: { Authorization: 'Basic yyy-not-known-yyy' } },
        token: 'xxx-not-known-xxx',
        auth: { tokens: { alice: 'www-not-known-www' } },
        nested: [{ apiKey: 'vvv-not-known-vvv' }],
      },
      'request',
    );
    for (const value of ['zzz-not', 'yyy-not', 'xxx-not', 'www-not', 'vvv-not', 'c=1'])
      expect(lines[0]).not.toContain(value);
    expect(lines[0]).toContain('[redacted]');
  });

  it('hides known secret values in the message, in fields and in errors', () => {
    const { logger, lines } = capture('json');
    logger.warn(
      { error: `failed with ${SECRET}`, err: new Error(`boom ${SECRET}`), data: { said: [SECRET] } },
      `the server said ${SECRET}`,
    );
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]!.match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(4);
  });

  it('cuts a huge field after hiding secrets, so the cut never leaves part of one', () => {
    const { logger, records } = capture('json');
    // The secret straddles the cut: without hiding first, its first half would stay.
    const huge = 'x'.repeat(MAX_FIELD_CHARS - 10) + SECRET + 'y'.repeat(100_000);
    logger.warn({ stderrTail: huge }, 'server failed');
    const tail = records()[0]!.stderrTail as string;
    expect(tail.length).toBeLessThan(MAX_FIELD_CHARS + 100);
    expect(tail).toMatch(/more characters\)$/);
    expect(tail).not.toContain(SECRET.slice(0, 8));
  });

  it('keeps a record on one line whatever its strings hold', () => {
    const { logger, lines } = capture('json');
    logger.info({ data: 'a\nb\r\u001b[2J\u2028c' }, 'x\ny');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\n\r\u001b]/);
  });
});

describe('readable lines', () => {
  it('shows time, level, message and fields on one line', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ server: 'fx', state: 'ready', note: 'two words' }, 'server ready');
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}server ready server=fx state=ready note="two words"$/,
    );
  });

  it('escapes control characters, so a field cannot repaint the terminal or start a line', () => {
    const { logger, lines } = capture('pretty');
    logger.warn(
      { server: 'evil', data: '\u001b[2J\rberth: serving http://evil/\u2028\u0085x', [`k\u001bey`]: 1 },
      'server log',
    );
    const out = lines.join('\n');
    expect(out).not.toMatch(/[\r\u001b\u2028\u0085]/);
    expect(out).toContain('\\u001b[2J\\rberth: serving');
    expect(out.split('\n')).toHaveLength(1);
  });

  it('shows a multi-line field as marked lines below, none of which can pass for a record', () => {
    const { logger, lines } = capture('pretty');
    const forged = '12:00:00.000 ERROR forged';
    logger.warn({ server: 'fx', stderrTail: `line one\n${forged}\n${SECRET}` }, 'server failed');
    const out = lines.join('\n').split('\n');
    expect(out[0]).toMatch(/WARN {2}server failed server=fx$/);
    expect(out.slice(1)).toEqual(['  stderrTail:', '  | line one', `  | ${forged}`, '  | [redacted]']);
    expect(out.filter((line) => /^\d\d:\d\d/.test(line))).toHaveLength(1);
  });

  it('passes a line that is not JSON through, on one line', () => {
    expect(prettyLine('not json\nat all\u001b')).toBe('not json\\nat all\\u001b');
  });
});

describe('logSettings', () => {
  const base = { env: {}, isTTY: false, defaultLevel: 'info' as const };

  it('takes the flag over the variable over the default; JSON unless on a terminal', () => {
    expect(logSettings(base)).toEqual({ level: 'info', format: 'json' });
    expect(logSettings({ ...base, isTTY: true })).toEqual({ level: 'info', format: 'pretty' });
    const env = { BERTH_LOG_LEVEL: 'debug', BERTH_LOG_FORMAT: 'pretty' };
    expect(logSettings({ ...base, env })).toEqual({ level: 'debug', format: 'pretty' });
    expect(logSettings({ ...base, env, level: 'warn', format: 'json' })).toEqual({
      level: 'warn',
      format: 'json',
    });
  });

  it('names the setting and the choices when a value is not one', () => {
    expect(() => logSettings({ ...base, env: { BERTH_LOG_LEVEL: 'loud' } })).toThrow(
      /BERTH_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
    );
    expect(() => logSettings({ ...base, format: 'xml' })).toThrow(
      /--log-format: expected one of json, pretty/,
    );
  });
});
