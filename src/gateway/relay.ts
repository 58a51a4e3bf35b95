/**
 * Server-to-client requests through the gateway. An upstream server that asks for sampling,
 * elicitation or roots while it handles a call is asking the client that made the call: the relay
 * finds that call (for a keyed server, the call of the conversation whose session asked; otherwise the
 * only call running on that server) and hands the request to it. The call's handler turns it into an
 * input-required result (the 2026-07-28 multi-round-trip flow; the SDK's legacy shim sends it as a
 * request on a 2025-era client's session) and passes the client's answer back up. Each waiting
 * request has a deadline; a client that cannot answer gets a clear error upstream, never a hang.
 */
import { randomUUID } from 'node:crypto';
import type {
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
} from '@modelcontextprotocol/client';
import type { ClientRequestContext } from '../host/options.js';

/** A request an upstream server made of the client. */
export type ClientAsk =
  | { method: 'sampling/createMessage'; params: CreateMessageRequest['params'] }
  | { method: 'elicitation/create'; params: ElicitRequest['params'] };

/** A request waiting for the client's answer. */
export interface PendingAsk {
  /** Its id in the `inputRequests` sent to the client. */
  readonly id: string;
  readonly ask: ClientAsk;
  /** Hands the client's answer to the upstream server. */
  answer(result: unknown): void;
  /** Fails the upstream server's request with this reason. */
  fail(reason: string): void;
}

/** What a running call is waiting for next: its result, or a request for the client. */
export type CallStep<T> =
  { kind: 'done'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'ask'; ask: PendingAsk };

/** One upstream call a client is waiting on, with the requests it raised. */
export class RelayedCall<T> {
  /** Its id in `requestState`. */
  readonly id = randomUUID();
  readonly server: string;
  /** The host key of the conversation that made it, for keyed servers. */
  readonly key: string;
  readonly principal: string;
  /** Asks not yet handed to the client, oldest first. */
  readonly #queue: PendingAsk[] = [];
  /** Asks handed to the client and not yet answered, by id. */
  readonly #open = new Map<string, PendingAsk>();
  readonly #abort: AbortController;
  #wake: (() => void) | undefined;
  #outcome: CallStep<T> | undefined;
  /** Rounds waiting on `next()` now. */
  #waiting = 0;

  constructor(server: string, key: string, principal: string, work: Promise<T>, abort: AbortController) {
    this.server = server;
    this.key = key;
    this.principal = principal;
    this.#abort = abort;
    work.then(
      (value) => this.#settle({ kind: 'done', value }),
      (error: unknown) => this.#settle({ kind: 'failed', error }),
    );
  }

  /** Whether the call has finished (its result or error is waiting to be taken). */
  get finished(): boolean {
    return this.#outcome !== undefined;
  }

  /** Whether a client round is waiting for this call now. */
  get waited(): boolean {
    return this.#waiting > 0;
  }

  /** The next thing for the client: a request to answer, else (when the call ends) its outcome. */
  async next(): Promise<CallStep<T>> {
    this.#waiting += 1;
    try {
      for (;;) {
        const ask = this.#queue.shift();
        if (ask) {
          this.#open.set(ask.id, ask);
          return { kind: 'ask', ask };
        }
        if (this.#outcome) return this.#outcome;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      this.#waiting -= 1;
    }
  }

  /** Cancels the upstream call (the client cancelled, or left). */
  cancel(reason: unknown): void {
    this.#abort.abort(reason);
  }

  /** Takes the client's answers (by ask id); answers to asks this call never made are ignored. */
  answer(responses: Record<string, unknown>): void {
    for (const [id, response] of Object.entries(responses)) {
      const ask = this.#open.get(id);
      if (!ask) continue;
      this.#open.delete(id);
      ask.answer(response);
    }
  }

  /** Fails every request still waiting on the client (it left, or the gateway is closing). */
  abandon(reason: string): void {
    for (const ask of [...this.#queue, ...this.#open.values()]) ask.fail(reason);
    this.#queue.length = 0;
    this.#open.clear();
  }

  /** Queues an upstream request for the client; resolves with the client's answer. */
  ask<R>(ask: ClientAsk, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(
        () => pending.fail(`the client did not answer within ${timeoutMs} ms`),
        timeoutMs,
      );
      const pending: PendingAsk = {
        id: randomUUID(),
        ask,
        answer: (result) => {
          clearTimeout(timer);
          this.#open.delete(pending.id);
          resolve(result as R);
        },
        fail: (reason) => {
          clearTimeout(timer);
          this.#open.delete(pending.id);
          const i = this.#queue.indexOf(pending);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(new Error(`berth gateway: ${ask.method} for the client failed: ${reason}`));
        },
      };
      this.#queue.push(pending);
      this.#poke();
    });
  }

  #settle(outcome: CallStep<T>): void {
    this.#outcome = outcome;
    this.abandon('the call it was made for has ended');
    this.#poke();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Every relayed call of a gateway, and the routing of upstream requests to them. */
export class Relay {
  readonly #calls = new Map<string, RelayedCall<unknown>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #timeoutMs: number;

  /**
   * Says which conversations have requests in flight on a server (calls, prompts, reads): an
   * upstream request is relayed only when one conversation could have caused it.
   */
  #busy: (server: string) => ReadonlySet<string> = () => new Set();

  /** `timeoutMs`: how long an upstream request may wait for the client's answer. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Tells the relay which conversations are busy on a server (the gateway's own count). */
  watchBusy(busy: (server: string) => ReadonlySet<string>): void {
    this.#busy = busy;
  }

  /**
   * Registers a call while it runs. A call that ends while no client round waits for it (between
   * rounds) keeps its outcome for the client's retry, for as long as an upstream request may wait.
   */
  start<T>(
    server: string,
    key: string,
    principal: string,
    work: Promise<T>,
    abort: AbortController,
  ): RelayedCall<T> {
    const call = new RelayedCall(server, key, principal, work, abort);
    this.#calls.set(call.id, call);
    const settled = () => {
      if (call.waited || !this.#calls.has(call.id)) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.finish(call, 'its outcome was not collected');
      }, this.#timeoutMs);
      this.#timers.add(timer);
    };
    work.then(settled, settled);
    return call;
  }

  /** The call a retried request names, if it is still running and belongs to `principal`. */
  find(id: string, principal: string): RelayedCall<unknown> | undefined {
    const call = this.#calls.get(id);
    return call && call.principal === principal ? call : undefined;
  }

  /** Forgets a call whose outcome the client has taken, or cancels one the client left. */
  finish(call: RelayedCall<unknown>, reason = 'the client went away'): void {
    this.#calls.delete(call.id);
    call.abandon(reason);
    if (!call.finished) call.cancel(new Error(reason));
  }

  /** Hands an upstream server's request to the client whose call caused it. */
  ask<R>(ask: ClientAsk, context: ClientRequestContext): Promise<R> {
    const running = [...this.#calls.values()].filter(
      (call) =>
        call.server === context.server &&
        !call.finished &&
        (context.key === undefined || call.key === context.key),
    );
    // Any other conversation with a request in flight on this server (on its session, for a keyed
    // server) could have caused it: then berth cannot tell, and relays to no one.
    const busy = [...this.#busy(context.server)].filter(
      (key) => (context.key === undefined || key === context.key) && key !== running[0]?.key,
    );
    if (running.length !== 1 || busy.length > 0) {
      const why =
        running.length === 0
          ? 'no client call that could have caused it is running'
          : 'requests of several clients are running on it, so berth cannot tell which client asked (make the server keyed)';
      return Promise.reject(
        new Error(`berth gateway: cannot relay ${ask.method} from server "${context.server}": ${why}`),
      );
    }
    return running[0]!.ask<R>(ask, this.#timeoutMs);
  }

  /** Fails every waiting request and cancels every call between rounds (the gateway is closing). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const call of this.#calls.values()) {
      call.abandon('the gateway is closing');
      if (!call.waited) call.cancel(new Error('the gateway is closing'));
    }
    this.#calls.clear();
  }
}

/** The sampling and elicitation handlers a host gets to relay through `relay`. */
export function relayHandlers(relay: Relay): {
  sampling: (
    params: CreateMessageRequest['params'],
    context: ClientRequestContext,
  ) => Promise<CreateMessageResult>;
  elicitation: (params: ElicitRequest['params'], context: ClientRequestContext) => Promise<ElicitResult>;
} {
  return {
    sampling: (params, context) => relay.ask({ method: 'sampling/createMessage', params }, context),
    elicitation: (params, context) => relay.ask({ method: 'elicitation/create', params }, context),
  };
}
