import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from "prom-client";

/**
 * Every metric the gateway records lives here, created once per process
 * without a registry and registered into each app's registry. Names follow
 * Prometheus conventions: base units (seconds), `_total` for counters.
 */
const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const dbMetrics = {
  transactionDuration: new Histogram({
    name: "db_transaction_duration_seconds",
    help: "How long database transactions stay open",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [],
  }),
  connectionWait: new Histogram({
    name: "db_connection_wait_seconds",
    help: "Time spent waiting for a connection (SQLite: the single writer) before a transaction starts",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [],
  }),
  groupCommitSize: new Histogram({
    name: "db_group_commit_size",
    help: "SQLite: driver transactions committed together by one COMMIT (group commit)",
    buckets: [1, 2, 4, 8, 16, 32],
    registers: [],
  }),
  walCheckpoints: new Counter({
    name: "sqlite_wal_checkpoints_total",
    help: "SQLite write-ahead log checkpoints run by the background checkpointer",
    registers: [],
  }),
  walCheckpointDuration: new Histogram({
    name: "sqlite_wal_checkpoint_duration_seconds",
    help: "How long each background WAL checkpoint took (off the request thread)",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [],
  }),
};

export const httpMetrics = {
  requestDuration: new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: seconds,
    registers: [],
    // trace_id/span_id of the request, shown to scrapes that ask for OpenMetrics (metricsRoute, ops.ts).
    enableExemplars: true,
  }),
};

export const graphqlMetrics = {
  operationDuration: new Histogram({
    name: "graphql_operation_duration_seconds",
    help: "GraphQL execution by operation: names in GRAPHQL_METRIC_OPERATIONS, every other name as `other` (labels never take raw client strings)",
    labelNames: ["operation", "type"] as const,
    buckets: seconds,
    registers: [],
  }),
};

export const businessMetrics = {
  errors: new Counter({
    name: "business_errors_total",
    help: "Expected failures answered to clients, by code (GraphQL user errors included)",
    labelNames: ["code"] as const,
    registers: [],
  }),
  idempotency: new Counter({
    name: "idempotency_requests_total",
    help: "Requests carrying an idempotency key, by what the key did",
    labelNames: ["operation", "result"] as const,
    registers: [],
  }),
  payments: new Counter({
    name: "payments_total",
    help: "Payment attempts by outcome",
    labelNames: ["outcome"] as const,
    registers: [],
  }),
  fraudCheckDuration: new Histogram({
    name: "fraud_check_duration_seconds",
    help: "Fraud-check calls by outcome (ok, timeout, circuit_open)",
    labelNames: ["outcome"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers: [],
  }),
  refunds: new Counter({
    name: "refunds_total",
    help: "Refund attempts by outcome: succeeded, failed (the gateway refused), retry (the gateway was unavailable; the refund stays PENDING)",
    labelNames: ["outcome"] as const,
    registers: [],
  }),
  refundedCents: new Counter({
    name: "refunded_cents_total",
    help: "Cents given back by succeeded refunds",
    registers: [],
  }),
  cancellations: new Counter({
    name: "order_cancellations_total",
    help: "Orders cancelled, by who cancelled them: customer, admin, expiry",
    labelNames: ["actor"] as const,
    registers: [],
  }),
  bulkRows: new Counter({
    name: "bulk_upload_rows_total",
    help: "Bulk-import rows processed, by result",
    labelNames: ["result"] as const,
    registers: [],
  }),
};

export const fulfillmentMetrics = {
  stageDuration: new Histogram({
    name: "fulfillment_stage_duration_seconds",
    help: "Fulfilment stage duration by stage and outcome",
    labelNames: ["stage", "outcome"] as const,
    buckets: seconds,
    registers: [],
    enableExemplars: true,
  }),
  total: new Counter({
    name: "fulfillments_total",
    help: "Fulfilment attempts by outcome (success, retryable, failed) and reason",
    labelNames: ["outcome", "reason"] as const,
    registers: [],
  }),
  inProgress: new Gauge({
    name: "fulfillments_in_progress",
    help: "Fulfilments running in this process now",
    registers: [],
  }),
  shippingRequests: new Counter({
    name: "shipping_requests_total",
    help: "Calls to the shipping provider by outcome",
    labelNames: ["outcome"] as const,
    registers: [],
  }),
  outboxDeliveries: new Counter({
    name: "outbox_deliveries_total",
    help: "Outbox deliveries by event type and outcome",
    labelNames: ["type", "outcome"] as const,
    registers: [],
  }),
};

/** Gateway reconciliation (services/payments/reconcile.ts). */
export const reconciliationMetrics = {
  orphanCharges: new Counter({
    name: "gateway_orphan_charges_total",
    help: "Charges the card gateway made that no payment recorded: found, then recorded (order still payable) or refunded",
    labelNames: ["outcome"] as const,
    registers: [],
  }),
  unfixed: new Gauge({
    name: "gateway_orphan_charges_unfixed",
    help: "Orphan charges older than the idempotency lock timeout that the last reconciliation pass left unsettled",
    registers: [],
  }),
};

const processMetrics: Metric[] = [
  ...Object.values(dbMetrics),
  ...Object.values(httpMetrics),
  ...Object.values(graphqlMetrics),
  ...Object.values(businessMetrics),
  ...Object.values(fulfillmentMetrics),
  ...Object.values(reconciliationMetrics),
];

/**
 * One registry per app instance, so tests that build several apps do not
 * collide. `extra` are metrics computed at scrape time (database gauges).
 */
export function createMetricsRegistry(extra: Metric[] = []): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of [...processMetrics, ...extra]) registry.registerMetric(metric);
  return registry;
}

/** Zeroes every process-wide metric: for a test worker that runs several files' servers one after another. */
export function resetProcessMetrics(): void {
  for (const metric of processMetrics) metric.reset();
}

const openMetricsViews = new WeakMap<Registry, Registry>();

/**
 * The same metrics for a scrape that asks for OpenMetrics: the only format
 * that carries exemplars (a slow bucket's trace_id). In this format
 * prom-client renames every counter to its family name (without `_total`) by
 * assigning `metric.name`, which would rename the counters the Prometheus
 * format prints too: so each counter is registered here through a view with a
 * name of its own. Samples keep the names the alerts use (`_total` once).
 */
export function openMetricsRegistry(registry: Registry): Registry {
  let view = openMetricsViews.get(registry);
  // Made again when a metric was registered since (the views are a copy of the list).
  if (!view || view.getMetricsAsArray().length !== registry.getMetricsAsArray().length) {
    view = new Registry();
    view.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    for (const metric of registry.getMetricsAsArray() as unknown as Metric[]) view.registerMetric(asOpenMetricsFamily(metric));
    openMetricsViews.set(registry, view);
  }
  return view;
}

function asOpenMetricsFamily(metric: Metric): Metric {
  if (!(metric instanceof Counter)) return metric;
  // Reads go to the counter itself; only the name is the view's.
  const { name } = metric as unknown as { name: string };
  return Object.create(metric, { name: { value: name, writable: true } }) as Metric;
}

/** Observes a histogram built with enableExemplars; the trace's ids (when sampled) become the bucket's exemplar. */
export function observeTraced<T extends string>(
  histogram: Histogram<T>,
  labels: Partial<Record<T, string | number>>,
  seconds: number,
  trace: { trace_id: string; span_id: string } | undefined,
): void {
  // prom-client types exemplar labels as the metric's own label names; they are free-form.
  histogram.observe({ labels, value: seconds, exemplarLabels: trace as Partial<Record<T, string>> | undefined });
}
