/**
 * A 2025-era client session's recent SSE events, so a client whose stream dropped can resume it with
 * `Last-Event-ID` (the SDK transport asks this store; it also sends each stream's priming event only
 * when there is one). Bounded: the most recent events up to a byte budget; an event older than that
 * (or one too large to keep) cannot be replayed, and the resume is refused rather than silently gappy.
 */
import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';

/** Bytes of events one session keeps for replay. */
const BUDGET_BYTES = 1024 * 1024;

interface StoredEvent {
  readonly id: string;
  readonly stream: string;
  readonly message: JSONRPCMessage;
  readonly bytes: number;
}

/** One session's replay buffer. */
export class SessionEventStore implements EventStore {
  readonly #events: StoredEvent[] = [];
  #bytes = 0;
  #next = 0;

  /** Keeps an event (dropping the oldest beyond the budget); returns its id. */
  storeEvent(stream: string, message: JSONRPCMessage): Promise<string> {
    const id = `${stream}.${this.#next++}`;
    const bytes = JSON.stringify(message).length + stream.length;
    if (bytes <= BUDGET_BYTES) {
      this.#events.push({ id, stream, message, bytes });
      this.#bytes += bytes;
      while (this.#bytes > BUDGET_BYTES) this.#bytes -= this.#events.shift()!.bytes;
    }
    return Promise.resolve(id);
  }

  /** The stream an event id belongs to (from the id itself, so even a dropped event names its stream). */
  getStreamIdForEventId(id: string): Promise<string | undefined> {
    const dot = id.lastIndexOf('.');
    return Promise.resolve(dot > 0 ? id.slice(0, dot) : undefined);
  }

  /** Sends the stream's events after `lastEventId`; refuses when some of them are no longer kept. */
  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (id: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const stream = await this.getStreamIdForEventId(lastEventId);
    const seq = Number(lastEventId.slice(lastEventId.lastIndexOf('.') + 1));
    if (stream === undefined || !Number.isSafeInteger(seq))
      throw new Error(`unknown event id ${lastEventId}`);
    const oldest = this.#events[0];
    if (
      seq + 1 < this.#next &&
      (!oldest || Number(oldest.id.slice(oldest.id.lastIndexOf('.') + 1)) > seq + 1)
    ) {
      throw new Error(`events after ${lastEventId} are no longer kept; start a new request`);
    }
    for (const event of this.#events) {
      if (event.stream !== stream) continue;
      if (Number(event.id.slice(event.id.lastIndexOf('.') + 1)) > seq) await send(event.id, event.message);
    }
    return stream;
  }
}
