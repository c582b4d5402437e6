// What Prometheus scrapes from GET /metrics (prom-client's text format):
// model operations by outcome with their latency, HTTP requests, firewall
// repairs, reconcile actions, and what exists now (networks, sandboxes,
// published ports, read from the state at scrape time).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReconcileReport } from '../model/index.js';

export interface StateCounts {
  networks: number;
  sandboxes: number;
  publishedPorts: number;
}

/** From 0.5 ms (a remove) to 10 s (a lock wait under load). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly operations: Counter<'operation' | 'outcome'>;
  readonly operationSeconds: Histogram<'operation'>;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestSeconds: Histogram<'route'>;
  readonly firewallRepairs: Counter;
  readonly reconcileActions: Counter<'action'>;

  constructor(counts: () => Promise<StateCounts>) {
    const registers = [this.registry];
    this.operations = new Counter({ name: 'netplumb_operations_total', help: 'Model operations carried out, by operation and outcome (ok or the error class)', labelNames: ['operation', 'outcome'], registers });
    this.operationSeconds = new Histogram({ name: 'netplumb_operation_duration_seconds', help: 'Time from the request to the end of a model operation, lock wait included', labelNames: ['operation'], buckets: LATENCY_BUCKETS, registers });
    this.requests = new Counter({ name: 'netplumb_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.requestSeconds = new Histogram({ name: 'netplumb_http_request_duration_seconds', help: 'Time to answer an HTTP request (streams: until they end)', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
    this.firewallRepairs = new Counter({ name: 'netplumb_firewall_repairs_total', help: 'Times the firewall was rebuilt after someone else removed part of it', registers });
    this.reconcileActions = new Counter({ name: 'netplumb_reconcile_actions_total', help: 'What reconcile repaired, by kind of action', labelNames: ['action'], registers });
    // One read of the state serves the three gauges of a scrape.
    let pending: Promise<StateCounts> | undefined;
    const read = (): Promise<StateCounts> => (pending ??= counts().finally(() => setImmediate(() => (pending = undefined))));
    const gauge = (name: string, help: string, pick: (c: StateCounts) => number): void => {
      new Gauge({ name, help, registers, async collect() { this.set(pick(await read())); } });
    };
    gauge('netplumb_networks', 'Networks that exist (the default one included)', (c) => c.networks);
    gauge('netplumb_sandboxes', 'Sandboxes that exist', (c) => c.sandboxes);
    gauge('netplumb_published_ports', 'Published ports of all sandboxes', (c) => c.publishedPorts);
    collectDefaultMetrics({ register: this.registry, prefix: 'netplumbd_' });
  }

  /** Counts what a reconcile did, one label value per field of its report. */
  countReconcile(r: ReconcileReport): void {
    for (const [action, items] of Object.entries(r)) if (items.length > 0) this.reconcileActions.inc({ action }, items.length);
  }
}
