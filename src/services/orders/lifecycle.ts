import type { Sql } from "../../db/sql.js";
import { DomainError, TransientError } from "../../errors.js";
import type { OrderStatus } from "../../generated/sqlite/enums.js";
import { requestOrigin } from "../../lib/request-context.js";
import { releaseRedemption } from "../coupons/redemption.js";
import { commitReservedStock, releaseStock } from "../inventory/index.js";
import { insertOutboxEvent } from "../outbox/sql.js";
import { businessMetrics } from "../../lib/metrics.js";
import { openRefund } from "../refunds/lifecycle.js";
import type { Refund } from "../refunds/sql.js";
import { completedPaymentOf, findOrderTotals } from "./sql.js";
import { transitionOrder } from "./state.js";

/**
 * The order's transitions with their side effects, each in the caller's
 * transaction: one conditional status change (./state.ts) plus what must
 * happen with it, so every path that takes it (checkout, payment,
 * reconciliation, fulfilment, expiry) does the same. Each returns false, and
 * changes nothing, when the order was not in the status it moves from.
 */

/** PENDING -> PAID: the reserved stock is the order's for good; the payment deadline and lease end. */
export async function markOrderPaid(sql: Sql, orderId: number, now = new Date()): Promise<boolean> {
  const changes = { paidAt: now, reservedUntil: null, paymentClaimedUntil: null };
  if (!(await transitionOrder(sql, orderId, "PENDING", "PAID", changes, { now }))) return false;
  await commitReservedStock(sql, orderId, now);
  return true;
}

export type CancellableStatus = "PENDING" | "PAID" | "PROCESSING";

export interface Cancellation {
  reason: string;
  /** Who cancelled: customer, admin, or expiry (the metric's label). */
  by: "customer" | "admin" | "expiry";
  /** The admin's or customer's sub, for the refund a paid order gets. */
  actor: string;
}

/**
 * -> CANCELLED from PENDING (unless a payment is in flight: its charge may
 * already have gone through, and the payment wins the race), PAID or
 * PROCESSING (no shipment yet: a shipment is written with FULFILLED). The
 * stock comes back (reserved or committed), so does the coupon redemption,
 * and the remaining amount of a paid order's charge is refunded: the refund is
 * opened here (PENDING, its amount held) and carried out by the caller's
 * refund steps, or else by reconciliation. The customer is told through the
 * outbox (`order.cancelled`). Returns false, changing nothing, when the order
 * was not in `from`; else the refund opened, if any.
 */
export async function cancelOrder(sql: Sql, orderId: number, from: CancellableStatus, cancellation: Cancellation, now = new Date()): Promise<false | { refund: Refund | undefined }> {
  const changes = { cancelledAt: now, failureReason: cancellation.reason, reservedUntil: null };
  if (!(await transitionOrder(sql, orderId, from, "CANCELLED", changes, { now, unlessPaymentInFlight: from === "PENDING" }))) return false;
  await releaseStock(sql, orderId, now);
  const order = (await findOrderTotals(sql, orderId))!;
  if (order.couponId != null) await releaseRedemption(sql, order.couponId, now);
  const refund = from === "PENDING" ? undefined : await refundRemaining(sql, orderId, cancellation, now);
  const payload = { orderId, userId: order.userId, reason: cancellation.reason, refundId: refund?.id ?? null };
  await insertOutboxEvent(sql, "order.cancelled", JSON.stringify(payload), requestOrigin(), now);
  sql.afterCommit(() => businessMetrics.cancellations.inc({ actor: cancellation.by }));
  return { refund };
}

/**
 * The refund of all that is left of a paid order's charge: none for a 0-cent
 * order or one refunded in full. A refund of it still in progress could fail
 * and leave money kept by a cancelled order, so the cancellation waits for it
 * (409, retry: nothing is written or stored); so does one that lost a race
 * with a refund taken meanwhile.
 */
export async function refundRemaining(sql: Sql, orderId: number, cancellation: Cancellation, now = new Date()): Promise<Refund | undefined> {
  const payment = await completedPaymentOf(sql, orderId);
  if (!payment || payment.amountCents === 0) return undefined;
  if (payment.refundPendingCents > 0) throw new TransientError("ORDER_NOT_CANCELLABLE", `A refund of order ${orderId}'s payment is in progress; retry shortly`, 2);
  if (payment.amountCents - payment.refundedCents === 0) return undefined;
  if (payment.gatewayChargeId === null) {
    throw new DomainError("PAYMENT_NOT_REFUNDABLE", `Order ${orderId}'s payment ${payment.id} has no charge at the card gateway to refund; nothing was cancelled`, { paymentId: payment.id });
  }
  try {
    return await openRefund(sql, { paymentId: payment.id, amountCents: null, reason: `order cancelled: ${cancellation.reason}`, actor: cancellation.actor }, now);
  } catch (error) {
    if (error instanceof DomainError && error.code === "REFUND_EXCEEDS_REMAINING") throw new TransientError("ORDER_NOT_CANCELLABLE", `A refund of order ${orderId}'s payment began meanwhile; retry shortly`, 2);
    throw error;
  }
}

/** PAID -> PROCESSING: fulfilment started. */
export function startFulfilment(sql: Sql, orderId: number, now = new Date()): Promise<boolean> {
  return transitionOrder(sql, orderId, "PAID", "PROCESSING", {}, { now });
}

export interface Fulfilled {
  userId: number;
  totalCents: number;
  trackingNumber: string;
}

/** PROCESSING -> FULFILLED: the customer is e-mailed and analytics told, through the outbox (delivered after commit). */
export async function markOrderFulfilled(sql: Sql, orderId: number, shipped: Fulfilled, now = new Date()): Promise<boolean> {
  if (!(await transitionOrder(sql, orderId, "PROCESSING", "FULFILLED", { fulfilledAt: now }, { now }))) return false;
  const origin = requestOrigin();
  const payload = JSON.stringify({ orderId, ...shipped });
  await insertOutboxEvent(sql, "email.order_fulfilled", payload, origin, now);
  await insertOutboxEvent(sql, "analytics.order_fulfilled", payload, origin, now);
  return true;
}

const FAILABLE: readonly OrderStatus[] = ["PAID", "PROCESSING"];

/** PAID or PROCESSING -> FAILED: a failure no retry can mend, its reason recorded. The stock stays committed for the people who sort it out. */
export async function failOrder(sql: Sql, orderId: number, reason: string, now = new Date()): Promise<boolean> {
  const status = (await findOrderTotals(sql, orderId))?.status;
  if (status === undefined || !FAILABLE.includes(status)) return false;
  return transitionOrder(sql, orderId, status, "FAILED", { failureReason: reason }, { now });
}
