/**
 * The gateway's client conversations: the one owner of each. A conversation is what a client's keyed
 * upstream sessions belong to (a 2025-era client session, or a 2026-era principal + `berth/key`); it
 * alone ends them, with `host.closeKey`, when the client ends it (DELETE), when it has been idle past
 * `sessionIdleMs`, or when the gateway closes. Their number is capped; beyond the cap new
 * conversations are refused (the HTTP layer answers 503 with Retry-After).
 */
import type { Host } from '../host/host.js';
import { SILENT_LOGGER, type Logger } from '../log/logger.js';
import { keyLogId } from '../log/secrets.js';

/** One client conversation. */
export interface Conversation {
  /** The host key its keyed sessions use: unique per principal and conversation. */
  readonly key: string;
  /** Who it belongs to. */
  readonly principal: string;
  /** Calls running now. */
  inFlight: number;
  /** When it last started or finished a call (ms since epoch). */
  lastUsed: number;
  /** Set once it is ending: no new call may start on it. */
  ended: boolean;
}

/** The host key of a conversation: the principal and the conversation's own id, unambiguous. */
export function conversationKey(principal: string, id: string | undefined): string {
  return JSON.stringify(id === undefined ? [principal] : [principal, id]);
}

/** Why a conversation ended, as its log line says. */
export type EndReason = 'client' | 'idle' | 'shutdown';

/** Why a conversation could not be opened. */
export type OpenRefusal = 'full' | 'closed';

/** The conversations of one gateway. */
export class Conversations {
  readonly #host: Host;
  readonly #max: number;
  readonly #idleMs: number;
  readonly #live = new Map<string, Conversation>();
  /** Conversations being ended: their key is not reused until the end is done. */
  readonly #ending = new Map<string, Promise<void>>();
  /** What else must happen when a conversation ends (close a 2025 client session's transport). */
  readonly #onEnd = new Map<string, (reason: EndReason) => Promise<void>>();
  /** When each live conversation opened (ms since epoch), for its closing log line. */
  readonly #openedAt = new Map<string, number>();
  readonly #log: Logger;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    host: Host,
    limits: { maxClientSessions: number; sessionIdleMs: number },
    log: Logger = SILENT_LOGGER,
  ) {
    this.#host = host;
    this.#log = log;
    this.#max = limits.maxClientSessions;
    this.#idleMs = limits.sessionIdleMs;
  }

  /** Conversations alive now. */
  get size(): number {
    return this.#live.size;
  }

  /** Whether a new conversation would be refused for lack of room. */
  get full(): boolean {
    return this.#live.size >= this.#max;
  }

  /** The live conversation with this key, if any. */
  get(key: string): Conversation | undefined {
    return this.#live.get(key);
  }

  /**
   * The conversation with this key, opened if there is none (after an earlier one of the same key has
   * finished ending). `onEnd` runs when it ends.
   */
  async open(
    key: string,
    principal: string,
    onEnd?: (reason: EndReason) => Promise<void>,
  ): Promise<Conversation | OpenRefusal> {
    for (;;) {
      if (this.#closed) return 'closed';
      const live = this.#live.get(key);
      if (live) return live;
      const ending = this.#ending.get(key);
      if (!ending) break;
      await ending;
    }
    if (this.full) return 'full';
    const conversation: Conversation = { key, principal, inFlight: 0, lastUsed: Date.now(), ended: false };
    this.#live.set(key, conversation);
    this.#openedAt.set(key, conversation.lastUsed);
    this.#log.info({ principal, session: keyLogId(key), sessions: this.#live.size }, 'client session opened');
    if (onEnd) this.#onEnd.set(key, onEnd);
    this.#startSweeper();
    return conversation;
  }

  /** Runs `work` as a call of `conversation`: it counts as in flight, and keeps it from idling out. */
  async track<T>(conversation: Conversation, work: () => Promise<T>): Promise<T> {
    conversation.inFlight += 1;
    conversation.lastUsed = Date.now();
    try {
      return await work();
    } finally {
      conversation.inFlight -= 1;
      conversation.lastUsed = Date.now();
    }
  }

  /**
   * Ends a conversation: no new call starts on it; its keyed upstream sessions close after their
   * in-flight calls (within each server's drain deadline); then its `onEnd` runs. Idempotent.
   * `reason` is what its log line says.
   */
  end(key: string, reason: EndReason = 'client'): Promise<void> {
    const ending = this.#ending.get(key);
    if (ending) return ending;
    const conversation = this.#live.get(key);
    if (!conversation) return Promise.resolve();
    conversation.ended = true;
    this.#live.delete(key);
    const openedAt = this.#openedAt.get(key) ?? Date.now();
    this.#openedAt.delete(key);
    this.#log.info(
      {
        principal: conversation.principal,
        session: keyLogId(key),
        reason,
        durationMs: Date.now() - openedAt,
        sessions: this.#live.size,
      },
      'client session closed',
    );
    const onEnd = this.#onEnd.get(key);
    this.#onEnd.delete(key);
    const done = (async () => {
      try {
        await this.#host.closeKey(key);
      } catch {
        // The host is closing: its close ends every session anyway.
      }
      await onEnd?.(reason).catch(() => undefined);
    })().finally(() => {
      this.#ending.delete(key);
      if (this.#live.size === 0) this.#stopSweeper();
    });
    this.#ending.set(key, done);
    return done;
  }

  /** Ends every conversation (they drain as `end` does) and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopSweeper();
    await Promise.all([...this.#live.keys()].map((key) => this.end(key, 'shutdown')));
    await Promise.all(this.#ending.values());
  }

  /** Ends the conversations idle past the limit: no call in flight and none started for `sessionIdleMs`. */
  sweep(now = Date.now()): void {
    for (const conversation of this.#live.values()) {
      if (conversation.inFlight === 0 && now - conversation.lastUsed >= this.#idleMs) {
        void this.end(conversation.key, 'idle');
      }
    }
  }

  #startSweeper(): void {
    if (this.#sweeper || this.#closed) return;
    const every = Math.max(10, Math.min(Math.floor(this.#idleMs / 4), 30_000));
    this.#sweeper = setInterval(() => this.sweep(), every);
  }

  #stopSweeper(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}
