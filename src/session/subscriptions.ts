/**
 * A session's resource subscriptions, in either era: `resources/subscribe` per URI on a 2025-era
 * connection; on a 2026-07-28 one (which has no such method), one `subscriptions/listen` stream whose
 * filter names every subscribed URI, opened again with the new set on each change (the SDK dispatches
 * its `notifications/resources/updated` to the same handler). One per client, kept beside it.
 */
import type { Client, RequestOptions } from '@modelcontextprotocol/client';

type Subscription = Awaited<ReturnType<Client['listen']>>;

/** The resource subscriptions of one client. */
export class ResourceSubscriptions {
  readonly #client: Client;
  readonly #uris = new Set<string>();
  #listening: Subscription | undefined;
  /** Changes run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(client: Client) {
    this.#client = client;
  }

  /** Subscribes to updates of `uri`. */
  subscribe(uri: string, options?: RequestOptions): Promise<void> {
    if (this.#client.getProtocolEra() !== 'modern') {
      return this.#client.subscribeResource({ uri }, options).then(() => undefined);
    }
    this.#uris.add(uri);
    return this.#relisten(options);
  }

  /** Ends the subscription to `uri`. */
  unsubscribe(uri: string, options?: RequestOptions): Promise<void> {
    if (this.#client.getProtocolEra() !== 'modern') {
      return this.#client.unsubscribeResource({ uri }, options).then(() => undefined);
    }
    if (!this.#uris.delete(uri)) return Promise.resolve();
    return this.#relisten(options);
  }

  /** Replaces the listen stream with one for the current set (none when it is empty). */
  #relisten(options: RequestOptions | undefined): Promise<void> {
    const next = this.#queue.then(async () => {
      const previous = this.#listening;
      this.#listening =
        this.#uris.size > 0
          ? await this.#client.listen({ resourceSubscriptions: [...this.#uris] }, options)
          : undefined;
      await previous?.close();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

const perClient = new WeakMap<Client, ResourceSubscriptions>();

/** The resource subscriptions of `client` (created on first use). */
export function resourceSubscriptions(client: Client): ResourceSubscriptions {
  let subscriptions = perClient.get(client);
  if (!subscriptions) perClient.set(client, (subscriptions = new ResourceSubscriptions(client)));
  return subscriptions;
}
