/**
 * One replica following the cluster's config and lists (see docs/scaling.md, "Config and catalog
 * changes"). A config this replica applied on its own (its file changed, or `host.reload()`) is
 * published, as written (`${VAR}` unexpanded, no `gateway` section); a config another replica
 * published is applied here through `host.reload()` (the diff path of a local reload) and never
 * published again. Configs are ordered by a version from Redis: each replica ends on the latest. A
 * change of this replica's served lists is announced, and another replica's clients are told
 * `list_changed` when their own replica, on the same config, serves lists that differ.
 *
 * It owns its listeners, its poll timer and the work it queues (one step at a time); `close()`
 * releases them all and waits for the step under way.
 */
import type { Host } from '../host/host.js';
import {
  ClusterEvents,
  ConfigTooLargeToShareError,
  configHash,
  digest,
  type ClusterMessage,
  type ConfigRecord,
  type ListsRecord,
  type Rejection,
} from '../cluster/events.js';
import { HostClosedError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Gateway, ListChange } from './gateway.js';

/** How often a rejected message of one kind is reported again, at most (ms). */
const REPORT_EVERY_MS = 60_000;

/** A running follower. */
export interface ClusterSync {
  /** Resolves once the replica has caught up with the cluster's config on joining (never rejects). */
  readonly joined: Promise<void>;
  /** Stops following; waits for the step under way (a reload ends within its own deadlines). */
  close(): Promise<void>;
}

/** What the cluster knows as its latest config. */
interface Known {
  version: number;
  hash: string;
}

/** The part of a config the replicas share: all but the `gateway` section (each replica's own). */
export function sharedPart(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { gateway: _gateway, ...rest } = raw;
  return rest;
}

/**
 * Follows the cluster: joins (catches up, or publishes a config the cluster has not seen), then
 * applies and publishes changes. `pollMs`: how often it checks the latest version in Redis, in
 * case a message was lost (a reconnect).
 */
export function followCluster(
  host: Host,
  gateway: Gateway,
  events: ClusterEvents,
  logger: Logger,
  pollMs: number,
): ClusterSync {
  return new Follower(host, gateway, events, logger, pollMs);
}

class Follower implements ClusterSync {
  readonly #host: Host;
  readonly #gateway: Gateway;
  readonly #events: ClusterEvents;
  readonly #log: Logger;
  readonly #stops: Array<() => void> = [];
  readonly #timer: NodeJS.Timeout;
  /** The steps, one at a time. */
  #queue: Promise<void> = Promise.resolve();
  #known: Known | undefined;
  /** A config this replica applied that Redis did not take yet: published again at the next poll. */
  #unpublished = false;
  /** List changes gathered for one announcement. */
  readonly #changes = new Set<ListChange>();
  #announcing: Promise<void> | undefined;
  /** Set while this replica's clients are told of another replica's change: not a change of its own. */
  #relaying = false;
  readonly #reported = new Map<Rejection, { at: number; dropped: number }>();
  #closed = false;
  readonly joined: Promise<void>;

  constructor(host: Host, gateway: Gateway, events: ClusterEvents, logger: Logger, pollMs: number) {
    this.#host = host;
    this.#gateway = gateway;
    this.#events = events;
    this.#log = logger;
    this.#stops.push(
      events.listen({
        onMessage: (message) => this.#receive(message),
        onReady: () => void this.#enqueue(() => this.#catchUp()),
        onRejected: (reason, detail) => this.#rejected(reason, detail),
      }),
      host.on((event) => {
        if (event.type !== 'config:reloaded') return;
        // Read now: the config this reload applied (the next one may follow before the step runs).
        const applied = this.#applied();
        if (applied) void this.#enqueue(() => this.#publish(applied.hash, applied.config));
      }),
      gateway.onListChanged((change) => this.#listChanged(change)),
    );
    this.joined = this.#enqueue(() => this.#join());
    this.#timer = setInterval(() => void this.#enqueue(() => this.#poll()), pollMs);
  }

  /** The shared part of the config the host runs now, and its hash. */
  #applied(): { config: Record<string, unknown>; hash: string; source: string } | undefined {
    const applied = this.#host.appliedConfig();
    if (!applied) return undefined;
    const config = sharedPart(applied.raw);
    return { config, hash: configHash(config), source: applied.source };
  }

  /** Runs `step` after the ones before it; the promise never rejects (a failed step is logged). */
  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(async () => {
      if (this.#closed) return;
      try {
        await step();
      } catch (error) {
        this.#log.warn({ err: messageOf(error) }, 'cluster: could not sync the config with Redis');
      }
    });
    this.#queue = next;
    return next;
  }

  /**
   * On joining: the cluster's latest config wins over this replica's file when the cluster has
   * published this file's config before (it is an older one); a config the cluster has never seen
   * is a change made here while this replica was away, and is published (it wins).
   */
  async #join(): Promise<void> {
    const applied = this.#applied();
    if (!applied) return;
    const latest = await this.#events.latestConfig();
    if (!latest) return this.#publish(applied.hash, applied.config);
    if (latest.hash === applied.hash) {
      this.#known = { version: latest.version, hash: latest.hash };
      return;
    }
    if (await this.#events.published(applied.hash)) return this.#apply(latest);
    this.#log.info({}, "cluster: this replica's config is new to the cluster; publishing it");
    return this.#publish(applied.hash, applied.config);
  }

  /** Publishes a config this replica applied on its own, unless the cluster has it already. */
  async #publish(hash: string, config: Record<string, unknown>): Promise<void> {
    // The host moved on since (a later reload: its own event follows).
    if (this.#applied()?.hash !== hash) return;
    // The cluster's config already: applied from a message (no echo), or a reload that changed nothing.
    if (this.#known?.hash === hash) {
      this.#unpublished = false;
      return;
    }
    this.#unpublished = true;
    let record: ConfigRecord | undefined;
    try {
      record = await this.#events.publishConfig(hash, config);
    } catch (error) {
      if (!(error instanceof ConfigTooLargeToShareError)) throw error; // Redis trouble: the next poll retries
      this.#unpublished = false;
      this.#log.error({ hash: short(hash) }, `cluster: ${error.message}`);
      return;
    }
    this.#unpublished = false;
    if (!record) {
      // Another replica published a later config meanwhile: it wins here too.
      await this.#catchUp();
      return;
    }
    this.#known = { version: record.version, hash };
    this.#log.info(
      { version: record.version, hash: short(hash) },
      "cluster: published this replica's config",
    );
  }

  /** The cluster's latest config, when it is later than the one this replica knows. */
  async #catchUp(): Promise<void> {
    const latest = await this.#events.latestConfig();
    if (latest && latest.version > (this.#known?.version ?? 0)) await this.#apply(latest);
  }

  async #poll(): Promise<void> {
    const applied = this.#applied();
    if (this.#unpublished && applied) return this.#publish(applied.hash, applied.config);
    if ((await this.#events.latestVersion()) > (this.#known?.version ?? 0)) await this.#catchUp();
  }

  /** Applies a config another replica published, when it is later than the one known here. */
  async #apply(record: ConfigRecord): Promise<void> {
    if (this.#known && record.version <= this.#known.version) return; // older, or this one
    this.#known = { version: record.version, hash: record.hash };
    const applied = this.#applied();
    if (!applied || applied.hash === record.hash) return;
    const from = { replica: record.replica, version: record.version, hash: short(record.hash) };
    try {
      const summary = await this.#host.reload(record.config, { source: applied.source });
      if (summary.invalid.length === 0)
        this.#log.info({ ...from, ...summary }, 'cluster: applied the config another replica published');
      else
        this.#log.warn(
          { ...from, ...summary },
          `cluster: applied the config replica ${record.replica} published; entries invalid here (this replica's environment or files lack what they need) keep their running server, if any`,
        );
    } catch (error) {
      if (error instanceof HostClosedError) return; // stopping
      this.#log.error(
        { ...from, err: messageOf(error) },
        `cluster: the config published by replica ${record.replica} cannot be used here; this replica keeps its current config (fix the config and change it again)`,
      );
    }
  }

  #receive(message: ClusterMessage): void {
    if (this.#closed) return;
    if (message.type === 'config') void this.#enqueue(() => this.#apply(message));
    else this.#listsChanged(message);
  }

  /** Another replica's lists changed: this replica's clients hear it when their lists differ here. */
  #listsChanged(message: ListsRecord): void {
    // Another config: this replica follows it (or leads it) with its own reload, which tells its clients.
    if (message.configHash !== this.#applied()?.hash) return;
    const mine = this.#gateway.listFingerprints();
    this.#relaying = true;
    try {
      for (const change of message.changed) {
        if (message.digests[change] !== digest(mine[change])) this.#gateway.announceListChanged(change);
      }
    } finally {
      this.#relaying = false;
    }
  }

  /** This replica's lists changed: announced once per burst (all changes of one turn of the loop). */
  #listChanged(change: ListChange): void {
    // Relayed from another replica: announcing it back would echo between replicas whose lists differ.
    if (this.#closed || this.#relaying) return;
    this.#changes.add(change);
    this.#announcing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const changed = [...this.#changes];
      this.#changes.clear();
      this.#announcing = undefined;
      const applied = this.#applied();
      if (this.#closed || !applied) return;
      const prints = this.#gateway.listFingerprints();
      try {
        await this.#events.publishLists({
          configHash: applied.hash,
          changed,
          digests: {
            tools: digest(prints.tools),
            prompts: digest(prints.prompts),
            resources: digest(prints.resources),
          },
        });
      } catch (error) {
        this.#log.warn({ err: messageOf(error) }, 'cluster: could not announce a change of the served lists');
      }
    });
  }

  /** A dropped message: reported the first time, then at most once a minute with how many were dropped. */
  #rejected(reason: Rejection, detail: string): void {
    const now = performance.now();
    const seen = this.#reported.get(reason);
    if (seen && now - seen.at < REPORT_EVERY_MS) {
      seen.dropped += 1;
      return;
    }
    this.#reported.set(reason, { at: now, dropped: 0 });
    this.#log.warn(
      { reason, detail, ...(seen && { droppedSinceLastReport: seen.dropped }) },
      `cluster: ignored a ${reason} message on the cluster's channel (check that every replica has the same cluster secret, and who else writes to this Redis)`,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const stop of this.#stops.splice(0)) stop();
    await this.#announcing;
    await this.#queue;
  }
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
