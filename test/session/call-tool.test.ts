/**
 * berth's tool-call path (`src/session/call-tool.ts`) against the SDK's own `Client.callTool`, on one
 * real server process: for a corpus of results, valid and not, both must accept or refuse alike and
 * return the same value; and the output-schema check must refuse what `callTool` refuses.
 */
import { Client, type Tool } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool } from '../../src/session/call-tool.js';
import { jsonSchemaValidator } from '../../src/util/json-schema.js';

const SERVER = fileURLToPath(new URL('../fixtures/raw-result-server.mjs', import.meta.url));

/** Results a server might send: the ordinary ones, the edge cases of the 2025 wire schema, and junk. */
const CORPUS: unknown[] = [
  { content: [{ type: 'text', text: 'x' }] },
  {},
  { content: [], isError: true },
  { content: [], extra: 1, _meta: { a: 1 } },
  { content: [{ type: 'text', text: 'x', extra: 2 }] },
  { content: [{ type: 'resource_link', uri: 'file:///x', name: 'n' }] },
  { content: [{ type: 'image', data: '', mimeType: 'image/png' }] },
  { content: [], structuredContent: { n: 1 } },
  { content: [], resultType: 'complete' },
  { toolResult: 3 },
  { task: { taskId: 'a' } },
  { inputRequests: {} },
  { requestState: 'x' },
  { content: [], task: { taskId: 'a' } },
  { content: 'bad' },
  { content: [{ type: 'unknown' }] },
  { content: [], structuredContent: 5 },
  { content: [], structuredContent: [1] },
  { content: [], structuredContent: null },
  { content: [], isError: 'yes' },
];
// Results that are not objects break JSON-RPC itself: the transport's concern (test/transport), not this.

let client: Client;
let tools: Map<string, Tool>;

beforeAll(async () => {
  client = new Client({ name: 'call-tool-test', version: '1.0.0' }, { jsonSchemaValidator });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [SERVER] }));
  tools = new Map((await client.listTools()).tools.map((tool) => [tool.name, tool]));
});

afterAll(async () => {
  await client?.close();
});

/** What a call came to: the value, or the error's class and code (messages are each path's own). */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await call() };
  } catch (error) {
    const { name, code } = error as { name: string; code?: unknown };
    return { error: name, code };
  }
}

describe('callTool without the per-call probe', () => {
  it('speaks the 2025 era here (the path under test)', () => {
    expect(client.getProtocolEra()).toBe('legacy');
  });

  it.each(CORPUS.map((result) => [JSON.stringify(result), result]))(
    'gives what Client.callTool gives for %s',
    async (_label, result) => {
      for (const name of ['answer', 'typed']) {
        const params = { name, arguments: { result } };
        const options = { toolDefinition: tools.get(name) };
        const sdk = await outcome(() => client.callTool(params, options));
        const berth = await outcome(() => callTool(client, params, options));
        expect(berth, name).toEqual(sdk);
      }
    },
  );

  it('refuses structured content that breaks the output schema, as callTool does', async () => {
    const params = { name: 'typed', arguments: { result: { content: [], structuredContent: { n: 'one' } } } };
    const options = { toolDefinition: tools.get('typed') };
    await expect(callTool(client, params, options)).rejects.toThrow(
      /does not match the tool's output schema/,
    );
    await expect(client.callTool(params, options)).rejects.toThrow(/does not match the tool's output schema/);
  });

  it('refuses a tool whose output schema does not compile before sending, as callTool does', async () => {
    const broken = {
      ...tools.get('answer')!,
      outputSchema: { type: 'object', properties: { n: { type: 12 } } },
    };
    const params = { name: 'answer', arguments: { result: { content: [] } } };
    const options = { toolDefinition: broken as Tool };
    const sdk = await outcome(() => client.callTool(params, options));
    const berth = await outcome(() => callTool(client, params, options));
    expect(berth).toEqual(sdk);
    expect(berth).toMatchObject({ error: 'ProtocolError' });
  });
});
