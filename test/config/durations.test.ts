/**
 * Durations at the boundary: every timer setting in a config, and the `checkDuration` validator for
 * call options, accept whole milliseconds up to 2^31−1 (what Node timers honour) and reject the rest
 * with the file, the JSON path and the allowed range, instead of letting a timer fire after ~1 ms.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from '../../src/config/load.js';
import { MAX_MESSAGE_BYTES, MAX_PREWARM, MAX_STDERR_BUFFER_BYTES } from '../../src/config/schema.js';
import { ConfigError, InvalidOptionError } from '../../src/errors.js';
import { createHost } from '../../src/index.js';
import { checkDuration, durationRange, MAX_TIMER_MS } from '../../src/util/duration.js';
import { fixture } from '../helpers.js';

const TOO_LONG = MAX_TIMER_MS + 1;

/** Every duration setting: its path in an entry, and its minimum (0 where 0 has a meaning). */
const DURATIONS: [path: string[], min: 0 | 1][] = [
  [['startupTimeoutMs'], 1],
  [['callTimeoutMs'], 1],
  [['stdinGraceMs'], 1],
  [['termGraceMs'], 1],
  [['idleTimeoutMs'], 1],
  [['pingTimeoutMs'], 1],
  [['pingIntervalMs'], 0],
  [['drainTimeoutMs'], 0],
  [['restart', 'initialDelayMs'], 0],
  [['restart', 'maxDelayMs'], 0],
  [['restart', 'stableAfterMs'], 0],
];

/** `{ a: { b: value } }` for the path `['a', 'b']`. */
function setting(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

const entryIssues = (path: string[], value: unknown) =>
  resolveConfig({ mcpServers: { s: { command: 'x', ...setting(path, value) } } }, '/cfg/mcp.json', {
    env: {},
  }).invalid.flatMap((entry) => entry.issues);

describe('durations in a config', () => {
  it.each(DURATIONS)('%j accepts up to 2^31-1 ms and rejects 2^31 with path and range', (path, min) => {
    expect(entryIssues(path, MAX_TIMER_MS)).toEqual([]);
    expect(entryIssues(path, min)).toEqual([]);
    const dotted = path.join('.');
    expect(entryIssues(path, TOO_LONG)).toEqual([
      {
        file: '/cfg/mcp.json',
        server: 's',
        path: `$.mcpServers.s.${dotted}`,
        message: expect.stringContaining(`expected a whole number of milliseconds from ${min}`) as string,
      },
    ]);
    expect(entryIssues(path, TOO_LONG)[0]?.message).toMatch(/to 2147483647 \(24\.8 days\), got 2147483648$/);
  });

  it.each(DURATIONS)('%j rejects NaN, Infinity, fractions, negatives and strings', (path, min) => {
    for (const bad of [NaN, Infinity, -Infinity, -1, 1.5, '100', null, true, min - 1]) {
      expect(entryIssues(path, bad), `${path.join('.')} = ${String(bad)}`).toHaveLength(1);
    }
  });

  it('says what 0 means where it is allowed', () => {
    expect(entryIssues(['pingIntervalMs'], -1)[0]?.message).toBe(
      `expected ${durationRange(0, 'off')}, got -1`,
    );
    expect(entryIssues(['pingIntervalMs'], -1)[0]?.message).toContain('from 0 (off) to');
    expect(entryIssues(['drainTimeoutMs'], -1)[0]?.message).toContain('from 0 (do not wait) to');
    expect(entryIssues(['callTimeoutMs'], 0)[0]?.message).toBe(
      'expected a whole number of milliseconds from 1 to 2147483647 (24.8 days), got 0',
    );
  });

  it('rejects an out-of-range duration in the file defaults as a ConfigError naming file and path', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'berth-durations-')), 'mcp.json');
    writeFileSync(file, JSON.stringify({ defaults: { pingIntervalMs: 1e12 }, mcpServers: {} }));
    const error: unknown = await loadConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        file,
        path: '$.defaults.pingIntervalMs',
        message: `expected ${durationRange(0, 'off')}, got 1000000000000`,
      },
    ]);
  });

  it('bounds the other numbers that cost resources: prewarm, stderrBufferBytes, maxMessageBytes', () => {
    expect(entryIssues(['prewarm'], MAX_PREWARM)).toEqual([]);
    expect(entryIssues(['prewarm'], MAX_PREWARM + 1)[0]?.message).toBe(
      `expected a whole number of sessions from 0 to ${MAX_PREWARM}, got ${MAX_PREWARM + 1}`,
    );
    expect(entryIssues(['stderrBufferBytes'], MAX_STDERR_BUFFER_BYTES)).toEqual([]);
    expect(entryIssues(['stderrBufferBytes'], MAX_STDERR_BUFFER_BYTES + 1)).toHaveLength(1);
    expect(entryIssues(['maxMessageBytes'], MAX_MESSAGE_BYTES)).toEqual([]);
    expect(entryIssues(['maxMessageBytes'], MAX_MESSAGE_BYTES + 1)[0]?.message).toMatch(
      /^expected a whole number of bytes from 1 to \d+, got \d+$/,
    );
  });

  it('a host does not start a server whose callTimeoutMs is out of range, and says why', async () => {
    const host = await createHost({ mcpServers: { fx: fixture([], { callTimeoutMs: TOO_LONG }) } });
    try {
      const [status] = host.status();
      expect(status).toMatchObject({ name: 'fx', state: 'failed' });
      expect(status?.configIssues).toEqual([
        expect.objectContaining({
          path: '$.mcpServers.fx.callTimeoutMs',
          message: expect.stringContaining('to 2147483647 (24.8 days), got 2147483648') as string,
        }),
      ]);
    } finally {
      await host.close();
    }
  });
});

describe('checkDuration (for call options such as timeoutMs)', () => {
  it('returns a valid duration', () => {
    expect(checkDuration(1, 'timeoutMs')).toBe(1);
    expect(checkDuration(MAX_TIMER_MS, 'timeoutMs')).toBe(MAX_TIMER_MS);
    expect(checkDuration(0, 'drainMs', 0)).toBe(0);
  });

  it.each([[NaN], [Infinity], [0], [-5], [1.5], [TOO_LONG], ['100'], [null], [undefined], [{}]])(
    'rejects %j with an InvalidOptionError naming the option and the range',
    (value) => {
      let error: unknown;
      try {
        checkDuration(value, 'timeoutMs');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'timeoutMs' });
      expect((error as Error).message).toMatch(
        /^invalid timeoutMs: expected a whole number of milliseconds from 1 to 2147483647 \(24\.8 days\), got /,
      );
    },
  );

  it('names what was given', () => {
    expect(() => checkDuration('100', 'timeoutMs')).toThrow(/got "100"$/);
    expect(() => checkDuration(NaN, 'timeoutMs')).toThrow(/got NaN$/);
    expect(() => checkDuration(undefined, 'timeoutMs')).toThrow(/got undefined$/);
  });
});

describe('call options on the host', () => {
  // Without the check a timeoutMs of 2^31 (or NaN, 0, -1, '5') fires after ~1 ms, once the request
  // was sent: the tool runs and the caller gets a CALL_TIMEOUT.
  it.each([[TOO_LONG], [NaN], [0], [-1], ['5']])(
    'callTool with timeoutMs %j rejects with INVALID_OPTION before sending',
    async (timeoutMs) => {
      const host = await createHost({ mcpServers: { fx: fixture() } });
      try {
        const call = host.callTool('fx__increment', {}, { timeoutMs: timeoutMs as number });
        await expect(call).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'timeoutMs' });
        // Nothing was sent: the counter is still 0.
        expect(await host.callTool('fx__get')).toMatchObject({ content: [{ type: 'text', text: '0' }] });
      } finally {
        await host.close();
      }
    },
  );
});
