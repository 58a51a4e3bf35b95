/**
 * Framing of a server's stdout (`JsonLineBuffer`): messages split across chunks and several in one
 * chunk, CRLF, lines that are not JSON (skipped), JSON that is not JSON-RPC (reported), the size limit.
 * The transport around it is tested against real server processes (test/chaos/faults.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { JsonLineBuffer } from '../../src/transport/json-lines.js';

const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
const reply = { jsonrpc: '2.0', id: 1, result: {} };

function drain(buffer: JsonLineBuffer): unknown[] {
  const out: unknown[] = [];
  for (let m = buffer.readMessage(); m !== null; m = buffer.readMessage()) out.push(m);
  return out;
}

describe('JsonLineBuffer', () => {
  it('reassembles a message split across chunks and splits several in one chunk', () => {
    const buffer = new JsonLineBuffer();
    const bytes = Buffer.from(line(ping) + line(reply) + line(ping));
    buffer.append(bytes.subarray(0, 10));
    expect(buffer.readMessage()).toBeNull();
    buffer.append(bytes.subarray(10, 50));
    buffer.append(bytes.subarray(50));
    expect(drain(buffer)).toEqual([ping, reply, ping]);
  });

  it('accepts CRLF and skips lines that are not JSON (banners)', () => {
    const buffer = new JsonLineBuffer();
    buffer.append(Buffer.from(`server v1 ready\n${JSON.stringify(ping)}\r\n\n`));
    expect(drain(buffer)).toEqual([ping]);
  });

  it('throws for JSON that is not a JSON-RPC 2.0 object, then goes on with the next line', () => {
    const buffer = new JsonLineBuffer();
    buffer.append(Buffer.from(line([1, 2]) + line({ id: 1, result: {} }) + line(reply)));
    expect(() => buffer.readMessage()).toThrow(/not a JSON-RPC 2.0 message: \[1,2\]/);
    expect(() => buffer.readMessage()).toThrow(/not a JSON-RPC 2.0 message/);
    expect(drain(buffer)).toEqual([reply]);
  });

  it('throws past the size limit and drops what it held', () => {
    const buffer = new JsonLineBuffer(64);
    buffer.append(Buffer.from('x'.repeat(40)));
    expect(() => buffer.append(Buffer.from('y'.repeat(40)))).toThrow(/maximum size of 64 bytes/);
    buffer.append(Buffer.from(line(reply)));
    expect(drain(buffer)).toEqual([reply]);
  });

  it('skips at most maxSkipped lines per call, and says when lines still wait', () => {
    const buffer = new JsonLineBuffer();
    buffer.append(Buffer.from('a\nb\nc\n' + line(ping)));
    expect(buffer.readMessage(2)).toBeNull();
    expect(buffer.hasLines).toBe(true);
    expect(buffer.linesRead).toBe(2);
    expect(buffer.readMessage(2)).toEqual(ping);
    expect(buffer.hasLines).toBe(false);
    expect(buffer.linesRead).toBe(4);
    expect(buffer.backlogBytes).toBe(0);
  });
});
