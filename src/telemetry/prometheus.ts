/**
 * The gateway's Prometheus metrics: a meter provider with the OpenTelemetry Prometheus exporter as
 * its reader (its own HTTP server never started), registered as the global meter provider so the
 * host's and the gateway's instruments record into it, and the text format rendered by the
 * exporter's own serializer on each scrape. The exporter is an optional peer dependency; asking for
 * metrics without it (or without `@opentelemetry/api`) fails with the packages to install. Only the
 * gateway's `/metrics` asks for this: berth never sends metrics anywhere.
 */
import { createRequire } from 'node:module';
import type { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import type { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { loadOtel } from './api.js';
import { refreshMeters } from './metrics.js';

/** The packages `/metrics` needs, as the error names them. */
export const METRICS_PACKAGES = ['@opentelemetry/api', '@opentelemetry/exporter-prometheus'] as const;

/** The metrics a gateway serves in the Prometheus text format. */
export interface PrometheusMetrics {
  /** The current metrics, in the Prometheus text exposition format (0.0.4). */
  text(): Promise<string>;
  /** Unregisters the meter provider (if it is still the global one) and shuts it down. */
  close(): Promise<void>;
}

/** The content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

class MissingPackagesError extends Error {}

/**
 * Starts collecting metrics for a Prometheus scrape. Rejects when the optional packages are missing,
 * or when another meter provider is registered globally already (then add a Prometheus reader to it).
 */
export async function startPrometheus(who: string): Promise<PrometheusMetrics> {
  const api = await loadOtel();
  let exporterModule: typeof import('@opentelemetry/exporter-prometheus');
  let sdk: typeof import('@opentelemetry/sdk-metrics');
  try {
    if (!api) throw new MissingPackagesError();
    exporterModule = await import('@opentelemetry/exporter-prometheus');
    // The meter provider must come from the copy of the SDK the exporter itself uses.
    const fromExporter = createRequire(import.meta.resolve('@opentelemetry/exporter-prometheus'));
    sdk = fromExporter('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  } catch {
    throw new Error(
      `${who}: metrics need the optional packages ${METRICS_PACKAGES.join(' and ')}; install them next to berth (npm install ${METRICS_PACKAGES.join(' ')}), or turn metrics off`,
    );
  }
  const { PrometheusExporter: Exporter, PrometheusSerializer: Serializer } = cjs(exporterModule);
  const exporter: PrometheusExporter = new Exporter({ preventServerStart: true });
  const provider: SdkMeterProvider = new sdk.MeterProvider({ readers: [exporter] });
  if (!api.metrics.setGlobalMeterProvider(provider)) {
    await provider.shutdown();
    throw new Error(
      `${who}: a global OpenTelemetry meter provider is registered already; add a PrometheusExporter reader to it and scrape that, or leave gateway metrics off`,
    );
  }
  refreshMeters(); // the hosts' instruments and gauges move to the new provider now, not at their next call
  const serializer: PrometheusSerializer = new Serializer();
  let closed = false;
  return {
    text: async () => {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (api.metrics.getMeterProvider() === provider) api.metrics.disable();
      await provider.shutdown();
    },
  };
}

/** A CommonJS module's exports, whether Node put them on the namespace or only on `default`. */
function cjs<T extends object>(module: T): T {
  const fallback = (module as { default?: T }).default;
  return fallback && !('PrometheusExporter' in module) ? fallback : module;
}
