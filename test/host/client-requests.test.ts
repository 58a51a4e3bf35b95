/**
 * Server-to-client requests (sampling, elicitation) reach the host's handlers with the server that
 * sent them and, for a keyed server, the key whose session asked: what a gateway needs to relay
 * them to the right client.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRequestContext } from '../../src/index.js';
import { fixture, hostFixture, text } from '../helpers.js';

describe('server-to-client requests', () => {
  it('carry the server and the key of the session that asked', async () => {
    const sampled: ClientRequestContext[] = [];
    const elicited: ClientRequestContext[] = [];
    await using fx = await hostFixture(
      {
        k: fixture(['--client-requests'], { session: 'keyed', prewarm: 1 }),
        s: fixture(['--client-requests']),
      },
      {
        sampling: async (_params, context) => {
          sampled.push(context);
          return { model: 'm', role: 'assistant', content: { type: 'text', text: `for ${context.key}` } };
        },
        elicitation: async (_params, context) => {
          elicited.push(context);
          return { action: 'accept', content: { ok: true } };
        },
      },
    );
    const { host } = fx;
    expect(text(await host.callTool('k__ask', { prompt: 'hi' }, { key: 'alpha' }))).toBe('for alpha');
    expect(text(await host.callTool('k__ask', { prompt: 'hi' }, { key: 'beta' }))).toBe('for beta');
    expect(text(await host.callTool('s__ask', { prompt: 'hi' }))).toBe('for undefined');
    await host.callTool('k__confirm', { message: 'ok?' }, { key: 'gamma' });
    expect(sampled).toEqual([
      { server: 'k', key: 'alpha' },
      { server: 'k', key: 'beta' },
      { server: 's', key: undefined },
    ]);
    expect(elicited).toEqual([{ server: 'k', key: 'gamma' }]);
  });
});
