/**
 * Framing of newline-delimited JSON-RPC from a server's stdout: bytes in, parsed messages out.
 *
 * It does what the SDK's `ReadBuffer` does (a size limit, lines that are not JSON skipped) except the
 * SDK's per-message zod parse: the SDK's `Protocol` checks every message it receives against the
 * JSON-RPC schemas again, so here a message is only required to be a JSON object of JSON-RPC 2.0.
 * That second parse was ~10% of the client's CPU per call (see docs/benchmarks.md). Each chunk is
 * scanned once and a line split across chunks is joined once, so a large message costs linear time
 * however it arrives; the size limit applies to each line.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/** JSON that is not a JSON-RPC 2.0 object; `value` is what the line parsed to, for a closer look. */
export class NotJsonRpcError extends Error {
  override name = 'NotJsonRpcError';
  /** The parsed line. */
  readonly value: unknown;

  constructor(value: unknown, line: string) {
    super(`not a JSON-RPC 2.0 message: ${line.slice(0, 200)}`);
    this.value = value;
  }
}

/** The SDK's default limit for one message, when no `maxMessageBytes` is set. */
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Buffers stdout chunks and hands out complete JSON-RPC messages, in order. */
export class JsonLineBuffer {
  /** The most bytes one message (one line) may have. */
  readonly maxBytes: number;
  /** Complete lines, without their newline; those before `#next` are read (and released). */
  readonly #lines: Array<Buffer | undefined> = [];
  /** Index of the next line to read: a queue with O(1) reads, compacted as it drains. */
  #next = 0;
  /** Bytes of the complete lines not read yet. */
  #backlogBytes = 0;
  #linesRead = 0;
  /** The start of the line still open, in pieces as they came. */
  #open: Buffer[] = [];
  #openBytes = 0;

  constructor(maxBytes: number = DEFAULT_MAX_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Bytes of complete messages waiting to be read (not counting a line still incomplete). */
  get backlogBytes(): number {
    return this.#backlogBytes;
  }

  /** Adds a chunk; throws (and drops what was buffered) when a line grows past the size limit. */
  append(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.#grow(end - start);
      const piece = chunk.subarray(start, end);
      const line = this.#open.length === 0 ? piece : Buffer.concat([...this.#open, piece]);
      this.#lines.push(line);
      this.#backlogBytes += line.length;
      this.#open = [];
      this.#openBytes = 0;
      start = end + 1;
    }
    if (start < chunk.length) {
      this.#grow(chunk.length - start);
      this.#open.push(chunk.subarray(start));
      this.#openBytes += chunk.length - start;
    }
  }

  /**
   * The next complete message, or `null` until more bytes arrive. A line that is not JSON is skipped
   * (servers print banners); JSON that is not a JSON-RPC 2.0 object throws a `NotJsonRpcError`, and
   * the line is consumed. At most `maxSkipped` lines are skipped in one call: then it returns `null`
   * with lines still waiting (`hasLines`), so a caller can bound its work per call.
   */
  readMessage(maxSkipped = Infinity): JSONRPCMessage | null {
    let skipped = 0;
    for (let bytes = this.#shift(); bytes !== undefined; bytes = this.#shift()) {
      this.#linesRead += 1;
      const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
      const line = bytes.toString('utf8', 0, end);
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        if (++skipped >= maxSkipped) return null;
        continue;
      }
      if (isJsonRpc(value)) return value;
      throw new NotJsonRpcError(value, line);
    }
    return null;
  }

  /** True while complete lines wait to be read. */
  get hasLines(): boolean {
    return this.#next < this.#lines.length;
  }

  /** How many lines have been read so far (messages, skipped lines and rejected ones alike). */
  get linesRead(): number {
    return this.#linesRead;
  }

  /** The next complete line, or undefined. */
  #shift(): Buffer | undefined {
    if (this.#next >= this.#lines.length) return undefined;
    const line = this.#lines[this.#next]!;
    this.#lines[this.#next++] = undefined;
    this.#backlogBytes -= line.length;
    if (this.#next === this.#lines.length) {
      this.#lines.length = 0;
      this.#next = 0;
    } else if (this.#next >= 1024 && this.#next * 2 >= this.#lines.length) {
      this.#lines.splice(0, this.#next); // amortised O(1): at most once per half of the queue read
      this.#next = 0;
    }
    return line;
  }

  /** Drops whatever is buffered. */
  clear(): void {
    this.#lines.length = 0;
    this.#next = 0;
    this.#backlogBytes = 0;
    this.#open = [];
    this.#openBytes = 0;
  }

  /** Checks that the open line can take `bytes` more; past the limit, drops everything and throws. */
  #grow(bytes: number): void {
    if (this.#openBytes + bytes <= this.maxBytes) return;
    this.clear();
    throw new Error(`a message exceeded the maximum size of ${this.maxBytes} bytes`);
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
