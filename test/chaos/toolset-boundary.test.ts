/**
 * A toolset's `callTool` returns a promise in every case: a call it cannot make (invalid options, a
 * closed host) is a rejection, never a synchronous throw, so `toolset.callTool(…).catch(…)` holds.
 */
import { describe, expect, it } from 'vitest';
import { createHost, HostClosedError, InvalidOptionError } from '../../src/index.js';
import { fixture } from '../helpers.js';

describe('toolset.callTool never throws synchronously', () => {
  it('an invalid timeoutMs, and a call after the host closed, are rejections', async () => {
    const host = await createHost({ mcpServers: { k: fixture([], { session: 'keyed' }) } });
    const toolset = host.toolset({ key: 'a' });
    let invalid: Promise<unknown> | undefined;
    expect(() => (invalid = toolset.callTool('k__get', {}, { timeoutMs: Number.NaN }))).not.toThrow();
    await expect(invalid).rejects.toBeInstanceOf(InvalidOptionError);
    await host.close();
    let closed: Promise<unknown> | undefined;
    expect(() => (closed = toolset.callTool('k__get'))).not.toThrow();
    await expect(closed).rejects.toBeInstanceOf(HostClosedError);
    await toolset.close();
  });
});
