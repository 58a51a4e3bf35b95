/**
 * The OpenTelemetry SDK as a test registers it: an in-memory span exporter, a metric reader the test
 * collects from, AsyncLocalStorage context, and the W3C propagators (trace context and baggage).
 * `uninstall()` puts the process back to "no provider registered".
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A reader the test collects from when it wants. */
class TestReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The SDK, registered globally. */
export interface InstalledOtel {
  spans(): ReadableSpan[];
  /** Every metric collected now, by name. */
  collect(): Promise<Map<string, MetricData>>;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  uninstall(): Promise<void>;
}

/** Registers tracing, metrics, context and propagation globally (only `what` when given). */
export function installOtel(
  what: { traces?: boolean; metrics?: boolean; propagation?: boolean; delta?: boolean } = {},
): InstalledOtel {
  const {
    traces: withTraces = true,
    metrics: withMetrics = true,
    propagation: withPropagation = true,
  } = what;
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // Delta: a series not observed since the last collection is not reported (cumulative keeps it).
  const reader = new TestReader(
    what.delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  );
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  if (withPropagation)
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
  if (withTraces) trace.setGlobalTracerProvider(tracerProvider);
  if (withMetrics) metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans: () => exporter.getFinishedSpans(),
    collect: async () => {
      const { resourceMetrics } = await reader.collect();
      const byName = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      return byName;
    },
    tracerProvider,
    meterProvider,
    uninstall: async () => {
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The histogram points of a metric whose attributes include `match`. */
export function histogramPoints(
  metric: MetricData | undefined,
  match: Record<string, unknown> = {},
): Array<DataPoint<Histogram>> {
  if (!metric) return [];
  return (metric.dataPoints as Array<DataPoint<Histogram>>).filter((point) =>
    Object.entries(match).every(([key, value]) => point.attributes[key] === value),
  );
}

/** The span named `name` (the only one), failing clearly when there is not exactly one. */
export function onlySpan(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one span "${name}", got ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  return found[0]!;
}
