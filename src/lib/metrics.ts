import { Registry, collectDefaultMetrics } from "prom-client";

/** One registry per app instance, so tests that build several apps do not collide. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
