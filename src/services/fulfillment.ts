import { db, transaction, withSavepoint } from "../db/index.js";
import { isUniqueViolation } from "../db/errors.js";
import { DomainError, NotFoundError, TransientError } from "../errors.js";
import type { Logger } from "../lib/logger.js";
import { fulfillmentMetrics } from "../lib/metrics.js";
import { requestContext } from "../lib/request-context.js";
import { createShippingLabel } from "./external/shipping.js";
import { transitionOrder } from "./order-state.js";
import { settings } from "./settings.js";

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
export async function fulfillOrder(orderId: number, logger: Logger): Promise<FulfillmentResult> {
  fulfillmentMetrics.inProgress.inc();
  const log = logger.child({ orderId });
  try {
    const result = await runStages(orderId, log);
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

async function runStages(orderId: number, log: Logger): Promise<FulfillmentResult> {
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
    if (missing) await failTerminally(orderId, "stock_not_reserved", `no committed reservation for product ${missing.productId}`);
  });

  await stage("verify_payment", async () => {
    const paid = order.payments.filter((p) => p.status === "COMPLETED").reduce((sum, p) => sum + p.amountCents, 0);
    if (paid !== order.totalCents) {
      await failTerminally(orderId, "payment_mismatch", `completed payments total ${paid} cents, the order ${order.totalCents}`);
    }
  });

  await stage("mark_processing", async () => {
    if (order.status === "PAID" && !(await transaction((tx) => transitionOrder(tx, orderId, "PAID", "PROCESSING")))) {
      const now = await db().order.findUniqueOrThrow({ where: { id: orderId }, select: { status: true } });
      // A concurrent call got there first: continue with it, the shipment is idempotent.
      if (now.status !== "PROCESSING" && now.status !== "FULFILLED") {
        throw new DomainError("ORDER_NOT_PAID", `Order ${orderId} is ${now.status}`, { status: now.status });
      }
    }
  });

  const label = await stage("create_shipment", async () => {
    try {
      return await createShippingLabel(`fulfil_order_${orderId}`);
    } catch (error) {
      if (error instanceof TransientError) await countFailedAttempt(orderId, error);
      throw error;
    }
  });

  return stage("complete", () =>
    transaction(async (tx) => {
      // In a savepoint: on PostgreSQL a failed statement would abort the whole transaction.
      const shipment = await withSavepoint(tx, "create_shipment", () =>
        tx.shipment.create({ data: { orderId, carrier: label.carrier, trackingNumber: label.trackingNumber } }),
      ).catch(async (error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
        return tx.shipment.findUniqueOrThrow({ where: { orderId } });
      });
      const won = await transitionOrder(tx, orderId, "PROCESSING", "FULFILLED", { fulfilledAt: new Date() });
      if (won) {
        const requestId = requestContext()?.requestId ?? null;
        const payload = JSON.stringify({ orderId, userId: order.userId, trackingNumber: shipment.trackingNumber, totalCents: order.totalCents });
        await tx.outboxEvent.createMany({
          data: [
            { type: "email.order_fulfilled", payload, requestId },
            { type: "analytics.order_fulfilled", payload, requestId },
          ],
        });
      }
      return result(orderId, shipment, !won);
    }),
  );
}

function result(orderId: number, shipment: { carrier: string; trackingNumber: string }, alreadyFulfilled: boolean): FulfillmentResult {
  return { orderId, status: "FULFILLED", carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, alreadyFulfilled };
}

async function timed<T>(stage: Stage, fn: () => Promise<T>, log: Logger): Promise<T> {
  const started = performance.now();
  let outcome = "ok";
  try {
    return await fn();
  } catch (error) {
    outcome = error instanceof TransientError ? "retryable" : "error";
    throw error;
  } finally {
    const durationMs = performance.now() - started;
    fulfillmentMetrics.stageDuration.observe({ stage, outcome }, durationMs / 1000);
    log.info({ stage, outcome, durationMs: Math.round(durationMs * 10) / 10 }, "fulfilment stage");
  }
}

/** A failure no retry can mend: the order goes FAILED with the reason recorded. */
async function failTerminally(orderId: number, reason: string, detail: string): Promise<never> {
  await db().order.updateMany({
    where: { id: orderId, status: { in: ["PAID", "PROCESSING"] } },
    data: { status: "FAILED", failureReason: `${reason}: ${detail}` },
  });
  throw new DomainError("FULFILLMENT_FAILED", `Order ${orderId} cannot be fulfilled: ${detail}`, { reason });
}

/** Retryable failures are counted; past FULFILLMENT_MAX_ATTEMPTS the order is FAILED instead of retried forever. */
async function countFailedAttempt(orderId: number, error: TransientError): Promise<void> {
  const order = await db().order.update({ where: { id: orderId }, data: { fulfillmentAttempts: { increment: 1 } } });
  if (order.fulfillmentAttempts >= settings().fulfillmentMaxAttempts) {
    await failTerminally(orderId, "shipping_failed", `${order.fulfillmentAttempts} attempts: ${error.message}`);
  }
}
