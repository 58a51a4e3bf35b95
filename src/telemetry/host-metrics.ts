/**
 * berth's own metrics of one host, under `berth.*`: observable gauges read from `status()` when a
 * reader collects, one table of them (live processes and sessions per server and scope, calls in flight and calls
 * waiting for a session, open circuits) and counters fed by the host's events (restarts,
 * evictions). The callbacks are registered on every meter the host's instruments are made on, and
 * removed when the host closes; nothing is computed unless a reader collects.
 */
import type { BatchObservableResult, Counter, Meter, Observable } from '@opentelemetry/api';
import { SERVER_NAME_ATTR } from './conventions.js';
import type { Meters } from './metrics.js';
import type { HostMetrics, StatusRowLike } from './types.js';

/** The attribute naming a server's session scope (`shared`, `keyed`, `per-call`). */
export const SCOPE_ATTR = 'berth.session.scope';

/** One gauge: its name, description and unit, and what it reads of a status row. */
interface GaugeSpec {
  name: string;
  description: string;
  unit: string;
  value(row: StatusRowLike): number;
}

const live = (row: StatusRowLike) => row.sessions ?? [];

/** berth's gauges, each read from one `status()` row per server. */
const GAUGES: readonly GaugeSpec[] = [
  {
    name: 'berth.server.processes',
    description: 'Server processes alive, per server and session scope (stdio servers).',
    unit: '{process}',
    value: (row) => live(row).filter((s) => s.pid !== undefined).length,
  },
  {
    name: 'berth.server.sessions',
    description: 'Live sessions, per server and session scope.',
    unit: '{session}',
    value: (row) => live(row).filter((s) => s.state === 'ready').length,
  },
  {
    name: 'berth.calls.in_flight',
    description: 'Requests a session holds, started and not yet answered, per server.',
    unit: '{call}',
    value: (row) => live(row).reduce((sum, s) => sum + s.inFlight, 0),
  },
  {
    name: 'berth.calls.waiting',
    description:
      'Requests waiting for a session, per server: on one still starting or restarting, or for one to ' +
      'exist (a keyed slot, a restart backoff).',
    unit: '{call}',
    value: (row) => row.waiting,
  },
  {
    name: 'berth.server.circuit.open',
    description: 'Servers whose circuit is open: failed past their restarts, refusing calls until restarted.',
    unit: '{server}',
    value: (row) => (row.state === 'failed' ? 1 : 0),
  },
];

interface OnMeter {
  meter: Meter;
  observables: Observable[];
  callback: (result: BatchObservableResult) => void;
  restarts: Counter;
  evictions: Counter;
}

/** Observes a host through `status` on the meters' current provider (and any later one). */
export function observeHost(meters: Meters, status: () => readonly StatusRowLike[]): HostMetrics {
  const registered: OnMeter[] = [];
  let current: OnMeter | undefined;
  const stopHook = meters.onMeter((meter) => {
    const gauges = GAUGES.map((spec) => ({
      spec,
      gauge: meter.createObservableGauge(spec.name, { description: spec.description, unit: spec.unit }),
    }));
    const callback = (result: BatchObservableResult) => {
      for (const row of status()) {
        const attributes = { [SERVER_NAME_ATTR]: row.name, ...(row.scope && { [SCOPE_ATTR]: row.scope }) };
        for (const { spec, gauge } of gauges) result.observe(gauge, spec.value(row), attributes);
      }
    };
    const observables = gauges.map(({ gauge }) => gauge);
    meter.addBatchObservableCallback(callback, observables);
    current = {
      meter,
      observables,
      callback,
      restarts: meter.createCounter('berth.server.restarts', {
        description: 'Restarts scheduled after a server failed (a crash, a failed start), per server.',
        unit: '{restart}',
      }),
      evictions: meter.createCounter('berth.session.evictions', {
        description: 'Keyed sessions closed to make room for another key (least recently used), per server.',
        unit: '{session}',
      }),
    };
    registered.push(current);
  });
  return {
    event(event) {
      meters.current(); // picks up a provider registered since
      if (!current || !event.server) return;
      const attributes = { [SERVER_NAME_ATTR]: event.server };
      if (event.type === 'server:restart-scheduled') current.restarts.add(1, attributes);
      else if (event.type === 'session:closed' && event.reason?.startsWith('evicted'))
        current.evictions.add(1, attributes);
    },
    stop() {
      stopHook();
      meters.dispose();
      for (const { meter, callback, observables } of registered)
        meter.removeBatchObservableCallback(callback, observables);
      registered.length = 0;
    },
  };
}
