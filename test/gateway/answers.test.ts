/**
 * How the gateway answers a 2025-era POST: as plain JSON when nothing comes before the answer, as an
 * event stream when something does (progress, a request to the client), on berth's own listener and
 * through the fetch handler alike; and `answerIn`, which tells an answer from anything else.
 */
import { describe, expect, it } from 'vitest';
import { createGatewayHandler } from '../../src/gateway/index.js';
import { answerIn } from '../../src/gateway/http.js';
import { fixture, hostFixture } from '../helpers.js';
import { gatewayFixture } from './helpers.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Posts JSON-RPC messages the way a 2025-era client does, through `send`. */
function legacyClient(send: (headers: Record<string, string>, body: string) => Promise<Response>) {
  let session: Record<string, string> = {};
  return {
    async initialize(): Promise<void> {
      const init = await send(
        JSON_HEADERS,
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 't', version: '1' },
          },
        }),
      );
      expect(init.status).toBe(200);
      await init.text();
      session = {
        'mcp-session-id': init.headers.get('mcp-session-id') ?? '',
        'mcp-protocol-version': '2025-11-25',
      };
      const done = await send(
        { ...JSON_HEADERS, ...session },
        JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      );
      expect(done.status).toBe(202);
    },
    post: (message: object) => send({ ...JSON_HEADERS, ...session }, JSON.stringify(message)),
  };
}

/** Reads an event stream's `data:` lines as JSON messages. */
function events(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as unknown);
}

/** The checks, for either way of reaching the gateway. */
async function answersPlainlyWhenItCan(client: ReturnType<typeof legacyClient>): Promise<void> {
  await client.initialize();
  const call = { jsonrpc: '2.0', method: 'tools/call' };
  const plain = await client.post({
    ...call,
    id: 'a',
    params: { name: 's__echo', arguments: { value: 'hi' } },
  });
  expect(plain.headers.get('content-type')).toBe('application/json');
  expect(plain.headers.get('mcp-session-id')).toBeTruthy();
  expect(await plain.json()).toEqual({
    jsonrpc: '2.0',
    id: 'a',
    result: { content: [{ type: 'text', text: 'hi' }] },
  });

  const failed = await client.post({ ...call, id: 7, params: { name: 'nope', arguments: {} } });
  expect(failed.headers.get('content-type')).toBe('application/json');
  expect(await failed.json()).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32602 } });

  // Progress comes before the answer: the answer is a stream, and nothing of it is lost.
  const progress = await client.post({
    ...call,
    id: 3,
    params: { name: 's__sleep', arguments: { ms: 40 }, _meta: { progressToken: 'p' } },
  });
  expect(progress.headers.get('content-type')).toBe('text/event-stream');
  const sent = events(await progress.text());
  expect(sent.slice(0, -1)).toEqual(
    [1, 2, 3, 4].map((progress) => ({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 'p', progress, total: 4 },
    })),
  );
  expect(sent.at(-1)).toMatchObject({ jsonrpc: '2.0', id: 3, result: { content: [{ text: 'slept 40' }] } });
}

describe('gateway answers', () => {
  it('are plain JSON unless something comes first (berth serve)', async () => {
    await using gw = await gatewayFixture({ s: fixture() });
    await answersPlainlyWhenItCan(
      legacyClient((headers, body) => fetch(gw.url, { method: 'POST', headers, body })),
    );
  });

  it('are plain JSON unless something comes first (the fetch handler)', async () => {
    await using fx = await hostFixture({ s: fixture() });
    const handler = createGatewayHandler(fx.host);
    try {
      await answersPlainlyWhenItCan(
        legacyClient((headers, body) =>
          handler.fetch(
            new Request('http://127.0.0.1:7077/mcp', {
              method: 'POST',
              headers: { ...headers, host: '127.0.0.1:7077' },
              body,
            }),
          ),
        ),
      );
    } finally {
      await handler.close();
    }
  });
});

describe('answerIn', () => {
  const frame = (message: string) => `event: message\ndata: ${message}\n\n`;

  it('finds the answer to its request, a result or an error', () => {
    const result = '{"result":{"content":[]},"jsonrpc":"2.0","id":"a"}';
    expect(answerIn(frame(result), 'a')).toBe(result);
    const error = '{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"no"}}';
    expect(answerIn(frame(error), 7)).toBe(error);
  });

  it('finds nothing in anything else', () => {
    const other = [
      // another request's answer, by string and by number
      frame('{"result":{},"jsonrpc":"2.0","id":"b"}'),
      frame('{"jsonrpc":"2.0","id":"7","error":{"code":1,"message":"x"}}'),
      // a notification, and a request to the client whose params end like an answer
      frame('{"method":"notifications/progress","params":{"progress":1},"jsonrpc":"2.0"}'),
      frame('{"method":"sampling/createMessage","params":{"x":{"result":1,"jsonrpc":"2.0","id":7}}}'),
      // an event with an id (resumable streams), a comment, two events in one chunk, a cut-off event
      'event: message\nid: 1\ndata: {"result":{},"jsonrpc":"2.0","id":7}\n\n',
      ': keepalive\n\n',
      frame('{"result":{},"jsonrpc":"2.0","id":7}') + frame('{"result":{},"jsonrpc":"2.0","id":7}'),
      'event: message\ndata: {"result":{},"jsonrpc":"2.0","id":7}',
      '',
    ];
    for (const event of other) expect(answerIn(event, 7), event).toBeUndefined();
    expect(answerIn(frame('{"result":{},"jsonrpc":"2.0","id":"b"}'), 'a')).toBeUndefined();
  });
});
