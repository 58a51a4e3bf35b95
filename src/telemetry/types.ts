/**
 * The telemetry shapes the rest of berth sees: options, what a traced transport knows, and the
 * host's telemetry as an interface. Nothing here refers to `@opentelemetry/api`, so berth's own
 * type declarations never need the optional package.
 */
import type { Transport } from '@modelcontextprotocol/client';

/** How a host records telemetry (`HostOptions.telemetry`). Nothing is recorded without a provider. */
export interface TelemetryOptions {
  /**
   * Record tool call arguments and results (`gen_ai.tool.call.arguments`/`.result`) on client spans.
   * Off by default: they may hold personal data or secrets.
   */
  captureContent?: boolean;
  /**
   * When the active span is an agent framework's `execute_tool` span, put the MCP attributes on it
   * instead of starting a CLIENT span under it (default true, as the conventions advise).
   */
  reuseToolSpan?: boolean;
  /** The tracer provider to use instead of the global one (an `@opentelemetry/api` `TracerProvider`). */
  tracerProvider?: object;
  /** The meter provider to use instead of the global one (an `@opentelemetry/api` `MeterProvider`). */
  meterProvider?: object;
}

/** What a traced transport knows of its server. */
export interface TransportInfo {
  /** The server's configured name. */
  server: string;
  /** `pipe` for stdio, `tcp` for HTTP. */
  network: 'pipe' | 'tcp';
  /** The remote server's URL (for `server.address`/`server.port`). */
  url?: URL;
  /** The negotiated protocol version, once known. */
  protocolVersion(): string | undefined;
}

/** What the host's gauges read of one `status()` row. */
export interface StatusRowLike {
  name: string;
  state: string;
  scope?: string;
  pid?: number;
  sessions?: ReadonlyArray<{ state: string; pid?: number; inFlight: number }>;
  /** Calls waiting for a session (see `ServerStatus.waiting`). */
  waiting: number;
}

/** What a host event says, as far as the counters read it. */
export interface EventLike {
  type: string;
  server?: string;
  reason?: string;
}

/** The host's metrics: `event` counts what events say; `stop` removes every callback. */
export interface HostMetrics {
  event(event: EventLike): void;
  stop(): void;
}

/** A host's telemetry (present only when `@opentelemetry/api` is installed). */
export interface ClientTelemetry {
  /** `transport`, with every request it carries traced, measured and given the trace context. */
  traceTransport(transport: Transport, info: TransportInfo): Transport;
  /** Starts measuring one session; the returned function ends it (failed: with `error.type`). */
  sessionStarted(info: TransportInfo): (errorType?: string) => void;
  /** berth's gauges and counters of the host whose `status()` this is. */
  observeHost(status: () => readonly StatusRowLike[]): HostMetrics;
}
