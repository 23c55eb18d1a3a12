import { Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Metrics recorded by modules that exist once per process (the database layer)
 * are created here without a registry and registered into each app's registry.
 */
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
};

/** One registry per app instance, so tests that build several apps do not collide. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of Object.values(dbMetrics)) registry.registerMetric(metric);
  return registry;
}
