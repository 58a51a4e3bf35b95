/**
 * Framing of newline-delimited JSON-RPC from a server's stdout: bytes in, parsed messages out.
 *
 * It does what the SDK's `ReadBuffer` does (a size limit, lines that are not JSON skipped) except the
 * SDK's per-message zod parse: the SDK's `Protocol` checks every message it receives against the
 * JSON-RPC schemas again, so here a message is only required to be a JSON object of JSON-RPC 2.0.
 * That second parse was ~10% of the client's CPU per call (see docs/benchmarks.md).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/** The SDK's default limit for one message, when no `maxMessageBytes` is set. */
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Buffers stdout chunks and hands out complete JSON-RPC messages, in order. */
export class JsonLineBuffer {
  readonly #maxBytes: number;
  #pending: Buffer | undefined;

  constructor(maxBytes: number = DEFAULT_MAX_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Adds a chunk; throws (and drops what was buffered) past the size limit. */
  append(chunk: Buffer): void {
    const pending = this.#pending;
    if ((pending?.length ?? 0) + chunk.length > this.#maxBytes) {
      this.#pending = undefined;
      throw new Error(`a message exceeded the maximum size of ${this.#maxBytes} bytes`);
    }
    this.#pending = pending ? Buffer.concat([pending, chunk]) : chunk;
  }

  /**
   * The next complete message, or `null` until more bytes arrive. A line that is not JSON is skipped
   * (servers print banners); JSON that is not a JSON-RPC 2.0 object throws, and the line is consumed.
   */
  readMessage(): JSONRPCMessage | null {
    for (;;) {
      const pending = this.#pending;
      if (pending === undefined) return null;
      const end = pending.indexOf(NEWLINE);
      if (end === -1) return null;
      const line = pending.toString('utf8', 0, end > 0 && pending[end - 1] === 0x0d ? end - 1 : end);
      this.#pending = end + 1 < pending.length ? pending.subarray(end + 1) : undefined;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (isJsonRpc(value)) return value;
      throw new Error(`not a JSON-RPC 2.0 message: ${line.slice(0, 200)}`);
    }
  }

  /** Drops whatever is buffered. */
  clear(): void {
    this.#pending = undefined;
  }
}

function isJsonRpc(value: unknown): value is JSONRPCMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as { jsonrpc?: unknown }).jsonrpc === '2.0'
  );
}
