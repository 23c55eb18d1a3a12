import { randomBytes } from "node:crypto";
import { sqlTransaction } from "../../db/sql.js";
import { TransientError } from "../../errors.js";
import { fulfillmentMetrics } from "../../lib/metrics.js";
import { settings } from "../common/index.js";
import { callProvider, simulatedLatency } from "./guard.js";
import { labelForKey } from "./shipping-sql.js";

export interface ShippingLabel {
  carrier: string;
  trackingNumber: string;
}

/**
 * The simulated shipping provider: SHIPPING_LATENCY_MS per call, a share
 * SHIPPING_FAILURE_RATE of errors, the client's SHIPPING_TIMEOUT_MS. Like a real
 * provider it is idempotent per key: a repeated request returns the same label.
 */
export function createShippingLabel(idempotencyKey: string): Promise<ShippingLabel> {
  return callProvider("shipping-provider", "create_label", () => labelOnce(idempotencyKey));
}

async function labelOnce(idempotencyKey: string): Promise<ShippingLabel> {
  const { latencyMs, failureRate, timeoutMs } = settings().shipping;
  try {
    await simulatedLatency(latencyMs, timeoutMs);
  } catch {
    fulfillmentMetrics.shippingRequests.inc({ outcome: "timeout" });
    throw new TransientError("SHIPPING_UNAVAILABLE", "The shipping provider did not answer in time; retry the fulfilment", 5);
  }
  if (Math.random() < failureRate) {
    fulfillmentMetrics.shippingRequests.inc({ outcome: "error" });
    throw new TransientError("SHIPPING_UNAVAILABLE", "The shipping provider answered with an error; retry the fulfilment", 5);
  }
  fulfillmentMetrics.shippingRequests.inc({ outcome: "ok" });
  // The ledger keeps one label per key: the first writer's row wins, every repeat reads it back.
  const fresh = { carrier: "SIMULATED", trackingNumber: `TRK-${randomBytes(6).toString("hex").toUpperCase()}` };
  return sqlTransaction((sql) => labelForKey(sql, idempotencyKey, fresh, new Date()));
}
