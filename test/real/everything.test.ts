/**
 * The reference server `@modelcontextprotocol/server-everything`, run through `npx` as a user would:
 * every client-side feature berth offers, against the real thing — roots (and a change at runtime),
 * sampling, elicitation in form mode (with schema defaults applied) and URL mode, progress, logging,
 * resource subscriptions, completion, resource templates, structured content.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, type HostEvent } from '../../src/index.js';
import { text, waitFor, waitForAsync } from '../helpers.js';

describe('server-everything', () => {
  let host: Host;
  const events: HostEvent[] = [];
  const sampled: unknown[] = [];
  const elicited: Array<{ mode?: string; message: string }> = [];

  beforeAll(async () => {
    host = await createHost(
      {
        mcpServers: {
          everything: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
        },
      },
      {
        roots: ['/tmp'],
        sampling: async (params, { server }) => {
          sampled.push({ server, params });
          return {
            model: 'test-model',
            role: 'assistant',
            content: { type: 'text', text: 'sampled answer' },
          };
        },
        elicitation: async (params) => {
          elicited.push(params);
          return params.mode === 'url'
            ? { action: 'accept' }
            : { action: 'accept', content: { name: 'Ada' } };
        },
        onEvent: (event) => void events.push(event),
      },
    );
  });
  afterAll(() => host.close());

  it('starts, with its tools, prompts, resources and templates in the catalog', () => {
    expect(host.status()[0]?.state).toBe('ready');
    expect(host.tools().map((t) => t.name)).toContain('everything__trigger-sampling-request');
    expect(host.prompts().length).toBeGreaterThan(0);
    expect(host.resources().length).toBeGreaterThan(0);
    expect(host.resourceTemplates().map((t) => t.uriTemplate)).toContain(
      'demo://resource/dynamic/text/{resourceId}',
    );
  });

  it('roots: lists the host roots, and sees a change made at runtime', async () => {
    expect(text(await host.callTool('everything__get-roots-list'))).toContain('file:///tmp');
    host.setRoots(['/var', '/etc']); // sends roots/list_changed; the server asks for the roots again
    // The server asks for the roots again when notified: ask it until its answer has the new ones.
    let listed = '';
    const caughtUp = async () => {
      listed = text(await host.callTool('everything__get-roots-list'));
      return listed.includes('file:///etc');
    };
    expect(await waitForAsync(caughtUp, 10_000)).toBe(true);
    expect(listed).toContain('file:///var');
    expect(listed).toContain('file:///etc');
  });

  it('sampling: the server’s request reaches the host’s handler, with the server name', async () => {
    const result = await host.callTool('everything__trigger-sampling-request', { prompt: 'hello' });
    expect(text(result)).toContain('sampled answer');
    expect(sampled.at(-1)).toMatchObject({ server: 'everything' });
  });

  it('elicitation, form mode: accepted content gets the schema defaults filled in', async () => {
    const result = await host.callTool('everything__trigger-elicitation-request');
    const raw = (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
    expect(raw).toContain('Ada');
    // The handler returned only { name }; defaults of the requested schema were applied by the client.
    expect(raw).toMatch(/"firstLine": "/);
  });

  it('elicitation, URL mode', async () => {
    const result = await host.callTool('everything__trigger-url-elicitation', {
      url: 'https://example.com/authorize',
    });
    expect(text(result)).toContain('completed the URL elicitation');
    expect(elicited.at(-1)).toMatchObject({ mode: 'url' });
  });

  it('progress notifications reach onProgress', async () => {
    const progress: number[] = [];
    await host.callTool(
      'everything__trigger-long-running-operation',
      { duration: 1, steps: 3 },
      { onProgress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2, 3]);
  });

  it('completion, template resources, and structured content', async () => {
    const completion = await host.complete(
      { type: 'ref/prompt', name: 'everything__completable-prompt' },
      { name: 'department', value: 'Eng' },
    );
    expect(completion.completion.values).toContain('Engineering');
    const templateCompletion = await host.complete(
      { type: 'ref/resource', uri: 'demo://resource/dynamic/text/{resourceId}' },
      { name: 'resourceId', value: '1' },
    );
    expect(templateCompletion.completion.values).toContain('1');
    const read = await host.readResource('demo://resource/dynamic/text/3');
    expect(read.contents[0]).toMatchObject({ uri: 'demo://resource/dynamic/text/3' });
    const structured = await host.callTool('everything__get-structured-content', { location: 'Chicago' });
    expect(structured.structuredContent).toHaveProperty('temperature');
  });

  it('logging and resource subscriptions arrive as events', async () => {
    await host.callTool('everything__toggle-simulated-logging');
    await host.callTool('everything__toggle-subscriber-updates');
    await host.subscribeResource('demo://resource/static/document/features.md');
    expect(await waitFor(() => events.some((e) => e.type === 'server:log'), 12_000)).toBe(true);
    expect(
      await waitFor(
        () =>
          events.some(
            (e) => e.type === 'resource:updated' && e.uri === 'demo://resource/static/document/features.md',
          ),
        12_000,
      ),
    ).toBe(true);
  }, 30_000);
});
