import { db } from "../../db/index.js";
import { isUniqueViolation } from "../../db/errors.js";
import { sqlTransaction, type Sql } from "../../db/sql.js";
import { auditAdminWrite } from "../audit/index.js";
import { DomainError, NotFoundError, TransientError } from "../../errors.js";
import type { Principal } from "../../auth/principal.js";
import type { Logger } from "../../lib/logger.js";
import { requireAdmin, settings } from "../common/index.js";
import { fulfillmentMetrics, observeTraced } from "../../lib/metrics.js";
import { spanIds, withSpan } from "../../lib/tracing.js";
import { createShippingLabel } from "../external/index.js";
import { failOrder, findOrderTotals, markOrderFulfilled, startFulfilment } from "../orders/index.js";
import { countFailedAttempt, insertShipment, shipmentOf } from "./sql.js";

export interface FulfillmentResult {
  orderId: number;
  status: "FULFILLED";
  carrier: string;
  trackingNumber: string;
  alreadyFulfilled: boolean;
}

type Stage = "validate" | "confirm_stock" | "verify_payment" | "mark_processing" | "create_shipment" | "complete";

/**
 * Fulfils a PAID order in stages (docs/runbooks/ explains each for on-call):
 * validate -> confirm the stock reserved at checkout (no second decrement) ->
 * verify the completed payment equals the total -> PROCESSING -> shipment from
 * the provider (outside any transaction, idempotent per order) -> FULFILLED
 * with the shipment and the outbox events in one transaction.
 * Idempotent: a fulfilled order returns its shipment; concurrent calls share
 * one shipment (unique per order). A retryable failure leaves the order
 * PROCESSING for the next call to continue; a terminal one marks it FAILED.
 */
export async function fulfillOrder(principal: Principal, orderId: number, logger: Logger): Promise<FulfillmentResult> {
  requireAdmin(principal, "fulfil orders");
  fulfillmentMetrics.inProgress.inc();
  const log = logger.child({ orderId });
  try {
    const result = await runStages(principal, orderId, log);
    fulfillmentMetrics.total.inc({ outcome: "success", reason: result.alreadyFulfilled ? "already_fulfilled" : "fulfilled" });
    log.info({ outcome: "success", trackingNumber: result.trackingNumber }, "fulfilment done");
    return result;
  } catch (error) {
    const code = error instanceof DomainError ? error.code : "INTERNAL";
    const outcome = error instanceof TransientError ? "retryable" : "failed";
    fulfillmentMetrics.total.inc({ outcome, reason: code.toLowerCase() });
    log.warn({ outcome, code }, "fulfilment did not complete");
    throw error;
  } finally {
    fulfillmentMetrics.inProgress.dec();
  }
}

async function runStages(principal: Principal, orderId: number, log: Logger): Promise<FulfillmentResult> {
  const stage = <T>(name: Stage, fn: () => Promise<T>) => timed(name, fn, log);

  const order = await stage("validate", async () => {
    const found = await db().order.findUnique({
      where: { id: orderId },
      include: { items: true, reservations: true, payments: true, shipment: true },
    });
    if (!found) throw new NotFoundError("Order", orderId);
    if (found.status === "FULFILLED" && found.shipment) return found;
    if (found.status !== "PAID" && found.status !== "PROCESSING") {
      throw new DomainError("ORDER_NOT_PAID", `Order ${orderId} is ${found.status}; only PAID orders can be fulfilled`, {
        status: found.status,
        failureReason: found.failureReason,
      });
    }
    return found;
  });
  if (order.status === "FULFILLED" && order.shipment) return result(orderId, order.shipment, true);

  await stage("confirm_stock", async () => {
    const reserved = new Map(order.reservations.filter((r) => r.status === "COMMITTED").map((r) => [r.productId, r.quantity]));
    const missing = order.items.find((i) => reserved.get(i.productId) !== i.quantity);
    if (missing) await failTerminally(principal, orderId, "stock_not_reserved", `no committed reservation for product ${missing.productId}`);
  });

  await stage("verify_payment", async () => {
    const paid = order.payments.filter((p) => p.status === "COMPLETED").reduce((sum, p) => sum + p.amountCents, 0);
    if (paid !== order.totalCents) {
      await failTerminally(principal, orderId, "payment_mismatch", `completed payments total ${paid} cents, the order ${order.totalCents}`);
    }
  });

  await stage("mark_processing", async () => {
    if (order.status !== "PAID") return;
    const status = await sqlTransaction(async (sql) => {
      if (await startFulfilment(sql, orderId)) {
        await auditAdminWrite(sql, principal, { action: "order.fulfillment_start", subjectType: "Order", subjectId: orderId });
        return "PROCESSING";
      }
      return (await findOrderTotals(sql, orderId))!.status;
    });
    // A concurrent call got there first: continue with it, the shipment is idempotent.
    if (status !== "PROCESSING" && status !== "FULFILLED") {
      throw new DomainError("ORDER_NOT_PAID", `Order ${orderId} is ${status}`, { status });
    }
  });

  const label = await stage("create_shipment", async () => {
    try {
      return await createShippingLabel(`fulfil_order_${orderId}`);
    } catch (error) {
      if (error instanceof TransientError) await countAttempt(principal, orderId, error);
      throw error;
    }
  });

  return stage("complete", () =>
    sqlTransaction(async (sql) => {
      const now = new Date();
      // In a savepoint: on PostgreSQL a failed statement would abort the whole transaction.
      const shipment = await sql.savepoint(() => insertShipment(sql, orderId, label, now)).catch(async (error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
        return (await shipmentOf(sql, orderId))!;
      });
      const shipped = { userId: order.userId, trackingNumber: shipment.trackingNumber, totalCents: order.totalCents };
      const won = await markOrderFulfilled(sql, orderId, shipped, now);
      if (won) {
        await auditAdminWrite(sql, principal, { action: "order.fulfill", subjectType: "Order", subjectId: orderId, details: { trackingNumber: shipment.trackingNumber } }, now);
        return result(orderId, shipment, false);
      }
      const status = (await findOrderTotals(sql, orderId))!.status;
      // Cancelled while the label was being made: nothing is written (the shipment rolls back with this transaction).
      if (status !== "FULFILLED") throw new DomainError("ORDER_NOT_PAID", `Order ${orderId} is ${status}; it was not shipped`, { status });
      return result(orderId, shipment, true);
    }),
  );
}

function result(orderId: number, shipment: { carrier: string; trackingNumber: string }, alreadyFulfilled: boolean): FulfillmentResult {
  return { orderId, status: "FULFILLED", carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, alreadyFulfilled };
}

/** A stage is a span, a histogram observation (its exemplar: the span) and a log line. */
function timed<T>(stage: Stage, fn: () => Promise<T>, log: Logger): Promise<T> {
  return withSpan(`fulfillment ${stage}`, { attributes: { "fulfillment.stage": stage } }, async (span) => {
    const started = performance.now();
    let outcome = "ok";
    try {
      return await fn();
    } catch (error) {
      outcome = error instanceof TransientError ? "retryable" : "error";
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      observeTraced(fulfillmentMetrics.stageDuration, { stage, outcome }, durationMs / 1000, span && spanIds(span));
      log.info({ stage, outcome, durationMs: Math.round(durationMs * 10) / 10 }, "fulfilment stage");
    }
  });
}

/** A failure no retry can mend: the order goes FAILED (from PAID or PROCESSING) with the reason recorded. */
async function failTerminally(principal: Principal, orderId: number, reason: string, detail: string): Promise<never> {
  await sqlTransaction(async (sql) => {
    if (await failOrder(sql, orderId, `${reason}: ${detail}`)) {
      await auditAdminWrite(sql, principal, { action: "order.fulfillment_fail", subjectType: "Order", subjectId: orderId, details: { reason } });
    }
  });
  throw new DomainError("FULFILLMENT_FAILED", `Order ${orderId} cannot be fulfilled: ${detail}`, { reason });
}

/** Retryable failures are counted; past FULFILLMENT_MAX_ATTEMPTS the order is FAILED instead of retried forever. */
async function countAttempt(principal: Principal, orderId: number, error: TransientError): Promise<void> {
  const attempts = await sqlTransaction((sql) => countFailedAttempt(sql, orderId, new Date()));
  if (attempts >= settings().fulfillmentMaxAttempts) {
    await failTerminally(principal, orderId, "shipping_failed", `${attempts} attempts: ${error.message}`);
  }
}
