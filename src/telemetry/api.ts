/**
 * The OpenTelemetry API, loaded only if it is installed: `@opentelemetry/api` is an optional peer
 * dependency, and importing berth never loads it. `loadOtel()` tries once (a dynamic import, so an
 * absent package is an ordinary rejection) and every caller after it gets the same answer. Without
 * the package, or with it but no provider registered, berth records nothing and sends nothing.
 */
import type * as OtelApi from '@opentelemetry/api';

/** The OpenTelemetry API module. */
export type Otel = typeof OtelApi;

let loaded: Otel | undefined;
let loading: Promise<Otel | undefined> | undefined;

/** Loads `@opentelemetry/api` once; resolves to undefined when it is not installed. Never rejects. */
export function loadOtel(): Promise<Otel | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (module) => {
      // The package is CommonJS: its named exports may sit on `default` only.
      const api = module as Partial<Otel> & { default?: Otel };
      loaded = typeof api.trace === 'object' ? (api as Otel) : api.default;
      return loaded;
    },
    () => undefined,
  );
  return loading;
}

/** The API if `loadOtel()` has found it (synchronous; undefined before that or when absent). */
export function otel(): Otel | undefined {
  return loaded;
}

let noopTracerProvider: unknown;

/**
 * Whether tracing would record and send nothing now: no tracer provider registered globally (the
 * global proxy still delegates to the API's no-op), no propagator registered (it has no fields), and
 * no recording span active. Cheap enough to ask on every request, so a provider registered later is
 * used from the next one.
 */
export function tracingIdle(api: Otel): boolean {
  const { trace, propagation, context } = api;
  if (propagation.fields().length > 0) return false;
  const provider = trace.getTracerProvider();
  noopTracerProvider ??= new api.ProxyTracerProvider().getDelegate();
  if (!(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== noopTracerProvider)
    return false;
  return trace.getSpan(context.active())?.isRecording() !== true;
}
