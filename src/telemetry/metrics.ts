/**
 * berth's metric instruments, bound to whichever meter provider is current: the one given in the
 * options, or the global one. The OpenTelemetry API has no proxy for meters (unlike tracers), so the
 * provider is looked up again on each use and the instruments are made afresh when it changed; a
 * provider registered after the host was created is picked up at the next request or event. With
 * no provider registered, every instrument is the API's no-op.
 */
import type { Histogram, Meter, MeterProvider } from '@opentelemetry/api';
import { VERSION } from '../util/version.js';
import type { Otel } from './api.js';
import { DURATION_BUCKETS } from './conventions.js';

/** The name berth's tracer and meter carry (the instrumentation scope). */
export const SCOPE_NAME = 'berth';

/** berth's instruments on one meter. */
export interface Instruments {
  readonly meter: Meter;
  readonly clientOperation: Histogram;
  readonly clientSession: Histogram;
  readonly serverOperation: Histogram;
  readonly serverSession: Histogram;
}

function duration(meter: Meter, name: string, description: string): Histogram {
  return meter.createHistogram(name, {
    description,
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
}

function instrumentsOn(meter: Meter): Instruments {
  return {
    meter,
    clientOperation: duration(
      meter,
      'mcp.client.operation.duration',
      'The duration of the MCP request or notification as observed on the sender from the time it was sent until the response or ack is received.',
    ),
    clientSession: duration(
      meter,
      'mcp.client.session.duration',
      'The duration of the MCP session as observed on the MCP client.',
    ),
    serverOperation: duration(
      meter,
      'mcp.server.operation.duration',
      'MCP request or notification duration as observed on the receiver from the time it was received until the result or ack is sent.',
    ),
    serverSession: duration(
      meter,
      'mcp.server.session.duration',
      'The duration of the MCP session as observed on the MCP server.',
    ),
  };
}

/** Every `Meters` in use, so a provider registered later reaches them all at once (`refreshMeters`). */
const live = new Set<Meters>();

/** Makes every live `Meters` look for a newly registered provider now (its gauges register on it). */
export function refreshMeters(): void {
  for (const meters of live) meters.current();
}

/** The instruments of the current meter provider, remade when the provider changes. */
export class Meters {
  readonly #api: Otel;
  readonly #explicit: MeterProvider | undefined;
  #provider: MeterProvider | undefined;
  #instruments: Instruments | undefined;
  readonly #onMeter: Set<(meter: Meter) => void> = new Set();
  /** The class of the API's no-op meter, what a provider-less API hands out. */
  readonly #noopMeter: abstract new (...args: never[]) => Meter;

  constructor(api: Otel, provider?: MeterProvider) {
    this.#api = api;
    this.#noopMeter = api.createNoopMeter().constructor as abstract new (...args: never[]) => Meter;
    this.#explicit = provider;
    live.add(this);
  }

  /** Stops being refreshed (its owner has closed). */
  dispose(): void {
    live.delete(this);
    this.#onMeter.clear();
  }

  /** The instruments on the current provider (no-ops when none is registered). */
  current(): Instruments {
    const provider = this.#explicit ?? this.#api.metrics.getMeterProvider();
    if (provider !== this.#provider || !this.#instruments) {
      this.#provider = provider;
      this.#instruments = instrumentsOn(provider.getMeter(SCOPE_NAME, VERSION));
      for (const hook of this.#onMeter) hook(this.#instruments.meter);
    }
    return this.#instruments;
  }

  /** Whether the instruments record nothing: no provider given or registered (the API's no-op meter). */
  idle(): boolean {
    return this.#explicit === undefined && this.current().meter instanceof this.#noopMeter;
  }

  /** Calls `hook` with every meter the instruments are made on, the current one first. */
  onMeter(hook: (meter: Meter) => void): () => void {
    const { meter } = this.current();
    this.#onMeter.add(hook);
    hook(meter);
    return () => void this.#onMeter.delete(hook);
  }
}
