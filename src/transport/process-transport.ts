/**
 * The MCP stdio transport over a `ServerProcess` that berth spawned and owns. It only moves
 * newline-delimited JSON-RPC (`JsonLineBuffer` in, the SDK's `serializeMessage` out); it never spawns
 * or kills anything. Closing it detaches it from the pipes; ending the process is its owner's job.
 *
 * Either pipe breaking ends the session: stdout ending (or the process exiting), and a write to stdin
 * failing (EPIPE: the server closed its stdin but kept running). The latter closes the transport with
 * a `failure` saying so, so pending requests fail at once instead of waiting out their deadlines.
 * A response that breaks JSON-RPC 2.0 (both `result` and `error`, neither, another `jsonrpc`…), which
 * the SDK would drop, reaches it as an error response for the same id (`responses.ts`), so the request
 * it answers fails at once too. A server that stops reading its stdin cannot make requests pile up in
 * memory: past `MAX_UNWRITTEN_BYTES` waiting to be written, further messages are refused, unsent.
 */
import {
  SdkError,
  SdkErrorCode,
  serializeMessage,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { ServerError } from '../errors.js';
import type { ServerProcess } from '../process/server-process.js';
import { JsonLineBuffer, NotJsonRpcError } from './json-lines.js';
import { invalidRequestError, invalidResponseError, requestProblem, responseProblem } from './responses.js';

/** Most lines (messages, or lines skipped as not JSON) handled in one event-loop turn. */
const SLICE_MESSAGES = 256;
/** Longest time spent delivering in one event-loop turn, in ms (checked after each message). */
const SLICE_MS = 4;
/** Backlog (complete lines not yet delivered) past which stdout is paused, and below which it resumes. */
const BACKLOG_HIGH_BYTES = 256 * 1024;
const BACKLOG_LOW_BYTES = 64 * 1024;

/**
 * Most bytes waiting to be written to a server's stdin before further messages are refused: a server
 * that stops reading would otherwise make every request pile up in memory, unsent.
 */
const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024;

/**
 * The transport's failure when the server closed one of its pipes: it stopped reading its stdin (a
 * write failed), or its stdout ended. If the process turns out to have exited, that exit (not the
 * pipe it took with it) is the better explanation.
 */
export class PipeClosedError extends Error {
  override name = 'PipeClosedError';
}

/** A `Transport` bound to an already running server process. */
export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #process: ServerProcess;
  readonly #server: string;
  readonly #buffer: JsonLineBuffer;
  #failure: Error | undefined;
  #closed = false;
  #started = false;
  #delivering = false;
  /** stdout ended or the process exited; the transport closes once the backlog is delivered. */
  #ending = false;
  /** stdout is paused because the backlog is large. */
  #paused = false;
  #drained: Promise<void> | undefined;

  /** `server` names the server in the errors this transport makes up. */
  constructor(process: ServerProcess, options: { server?: string; maxMessageBytes?: number } = {}) {
    this.#process = process;
    this.#server = options.server ?? `pid ${process.pid}`;
    this.#buffer = new JsonLineBuffer(options.maxMessageBytes);
  }

  /** True once the transport has closed, by itself (the stream ended, the process exited) or on request. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Why the transport closed itself (a protocol violation it cannot recover from), if it did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error('ProcessTransport already started');
    this.#started = true;
    const { stdout, stdin } = this.#process;
    stdin.on('error', this.#onStdinError);
    stdout.on('data', this.#onData);
    stdout.once('end', this.#onStdoutEnd);
    stdout.once('close', this.#onStdoutEnd);
    // The process can die with stdout held open by a grandchild: its exit closes the session too.
    void this.#process.exited.then(this.#onEnd);
  }

  readonly #onData = (chunk: Buffer): void => {
    try {
      this.#buffer.append(chunk);
    } catch (error) {
      // A single message over the size limit: the stream can no longer be framed.
      this.#failure = new Error(
        `sent a message larger than maxMessageBytes (${this.#buffer.maxBytes} bytes)`,
        { cause: error },
      );
      this.onerror?.(this.#failure);
      void this.close();
      return;
    }
    if (!this.#delivering) void this.#deliver();
    else if (this.#buffer.backlogBytes > BACKLOG_HIGH_BYTES) this.#pause();
  };

  /**
   * Hands every complete message to `onmessage`, in wire order. The SDK handles a response at once
   * but a notification one microtask later, so after each notification this yields a microtask:
   * otherwise a response in the same chunk would overtake it (and a call's last progress would be lost).
   *
   * The work per event-loop turn is bounded: after `SLICE_MESSAGES` lines or `SLICE_MS` ms it
   * yields a whole turn (`setImmediate`), so a server flooding notifications cannot starve timers, I/O
   * and other servers. Order is kept: what arrives meanwhile is appended behind. While the backlog is
   * large, stdout is paused, so the flood waits in the pipe (and the server) instead of in memory.
   */
  async #deliver(): Promise<void> {
    this.#delivering = true;
    try {
      let sliceStart = performance.now();
      let sliceLines = 0;
      while (!this.#closed) {
        if (sliceLines >= SLICE_MESSAGES || performance.now() - sliceStart >= SLICE_MS) {
          if (!this.#buffer.hasLines) break;
          if (this.#buffer.backlogBytes > BACKLOG_HIGH_BYTES) this.#pause();
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.#closed) break;
          if (this.#buffer.backlogBytes < BACKLOG_LOW_BYTES) this.#resume();
          sliceStart = performance.now();
          sliceLines = 0;
        }
        // Every line read counts toward the slice: messages, and lines skipped as not JSON.
        const readBefore = this.#buffer.linesRead;
        let message: JSONRPCMessage | null;
        try {
          message = this.#buffer.readMessage(SLICE_MESSAGES - sliceLines);
        } catch (error) {
          // Not JSON-RPC 2.0. If it answers a request (another `jsonrpc`, none), fail that request;
          // otherwise report it and keep reading.
          const value = error instanceof NotJsonRpcError ? error.value : undefined;
          const problem = responseProblem(value);
          if (problem === undefined) {
            sliceLines += this.#buffer.linesRead - readBefore;
            this.onerror?.(error as Error);
            this.#refuseRequest(value);
            continue;
          }
          message = invalidResponseError(this.#server, value, problem);
        }
        sliceLines += this.#buffer.linesRead - readBefore;
        if (message === null) {
          if (this.#buffer.hasLines) continue; // the skip budget ran out: yield, then go on
          break;
        }
        if (!('method' in message)) {
          const problem = responseProblem(message);
          if (problem !== undefined) message = invalidResponseError(this.#server, message, problem);
        } else if (this.#refuseRequest(message)) {
          continue;
        }
        try {
          this.onmessage?.(message);
        } catch (error) {
          this.onerror?.(error as Error);
        }
        if (!('id' in message)) await Promise.resolve();
      }
    } finally {
      this.#delivering = false;
      this.#resume();
      // The stream ended (or the process exited) while messages were still being handed over.
      if (this.#ending) void this.close();
    }
  }

  /**
   * Answers a malformed request from the server with an Invalid Request error (the SDK would drop it,
   * and the server would wait for an answer forever). True if `message` was one.
   */
  #refuseRequest(message: unknown): boolean {
    const problem = requestProblem(message);
    if (problem === undefined) return false;
    this.onerror?.(new Error(`server "${this.#server}" sent an invalid request: ${problem}`));
    this.send(invalidRequestError(message, problem)).catch(() => {}); // a closed session needs no answer
    return true;
  }

  /** Stops reading stdout while the backlog drains (the pipe, then the server, holds the rest). */
  #pause(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    this.#process.stdout.pause();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#process.stdout.resume();
  }

  /** stdout ended, or the process exited: close once what was already read has been handed over. */
  readonly #onEnd = (): void => {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.#resume(); // whatever is still in the pipe comes in while the backlog is delivered
    if (!this.#delivering) void this.close();
  };

  /**
   * stdout ended: nothing more can arrive. Usually the process is exiting (the owner then reports the
   * exit); if it is not, this failure says what happened.
   */
  readonly #onStdoutEnd = (): void => {
    if (this.#closed || this.#ending) return;
    this.#failure ??= new PipeClosedError('closed its stdout');
    this.#onEnd();
  };

  /**
   * A write to stdin failed (EPIPE: nobody reads the other end any more). Nothing sent from now on can
   * arrive, so the session is over: it ends with a failure that says why, like an oversized message
   * does (after handing over what was already read, as when stdout ends).
   */
  readonly #onStdinError = (error: NodeJS.ErrnoException): void => {
    if (this.#closed || this.#ending) return;
    const how = error.code ? `a write failed with ${error.code}` : `a write failed: ${error.message}`;
    this.#failure ??= new PipeClosedError(`closed its stdin (${how})`, { cause: error });
    this.onerror?.(this.#failure);
    this.#onEnd();
  };

  /**
   * Whether stdin is corked until the end of this turn. Requests sent in one turn (many calls in
   * flight at once) reach the pipe in one write instead of a write each; a lone request waits for
   * nothing but the end of the current microtask queue.
   */
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#process.stdin.uncork();
  };

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new SdkError(SdkErrorCode.NotConnected, 'Not connected'));
    const { stdin } = this.#process;
    if (stdin.writableLength > MAX_UNWRITTEN_BYTES) {
      // The server is not reading its stdin: refuse rather than pile up requests it may never read.
      const mib = Math.floor(stdin.writableLength / (1024 * 1024));
      const reason = `is not reading its stdin: ${mib} MiB of earlier messages are still waiting; the request was not sent`;
      return Promise.reject(new ServerError({ server: this.#server, phase: 'call', reason }));
    }
    if (!this.#corked) {
      this.#corked = true;
      stdin.cork();
      process.nextTick(this.#uncork);
    }
    if (stdin.write(serializeMessage(message))) return Promise.resolve();
    // Every write that finds the pipe full waits for the same drain: one pair of listeners, however
    // many requests are in flight. It also ends when the pipe goes away (the close rejects what is pending).
    this.#drained ??= new Promise((resolve) => {
      const done = () => {
        stdin.off('drain', done);
        stdin.off('close', done);
        this.#drained = undefined;
        resolve();
      };
      stdin.once('drain', done);
      stdin.once('close', done);
    });
    return this.#drained;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { stdout, stdin } = this.#process;
    stdin.off('error', this.#onStdinError);
    stdout.off('data', this.#onData);
    stdout.off('end', this.#onStdoutEnd);
    stdout.off('close', this.#onStdoutEnd);
    this.#buffer.clear();
    this.onclose?.();
  }
}
