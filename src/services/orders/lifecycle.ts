import type { Sql } from "../../db/sql.js";
import type { OrderStatus } from "../../generated/sqlite/enums.js";
import { requestContext } from "../../lib/request-context.js";
import { releaseRedemption } from "../coupons/redemption.js";
import { commitReservedStock, releaseReservedStock } from "../inventory/index.js";
import { insertOutboxEvent } from "../outbox/sql.js";
import { findOrderTotals } from "./sql.js";
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

/**
 * PENDING -> CANCELLED, unless a payment is in flight (its charge may already
 * have gone through: the payment wins the race and keeps the stock). The
 * reserved stock and the coupon redemption go back.
 */
export async function cancelOrder(sql: Sql, orderId: number, reason: string, now = new Date()): Promise<boolean> {
  const changes = { cancelledAt: now, failureReason: reason, reservedUntil: null };
  if (!(await transitionOrder(sql, orderId, "PENDING", "CANCELLED", changes, { now, unlessPaymentInFlight: true }))) return false;
  await releaseReservedStock(sql, orderId, now);
  const order = await findOrderTotals(sql, orderId);
  if (order?.couponId != null) await releaseRedemption(sql, order.couponId, now);
  return true;
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
  const requestId = requestContext()?.requestId ?? null;
  const payload = JSON.stringify({ orderId, ...shipped });
  await insertOutboxEvent(sql, "email.order_fulfilled", payload, requestId, now);
  await insertOutboxEvent(sql, "analytics.order_fulfilled", payload, requestId, now);
  return true;
}

const FAILABLE: readonly OrderStatus[] = ["PAID", "PROCESSING"];

/** PAID or PROCESSING -> FAILED: a failure no retry can mend, its reason recorded. The stock stays committed for the people who sort it out. */
export async function failOrder(sql: Sql, orderId: number, reason: string, now = new Date()): Promise<boolean> {
  const status = (await findOrderTotals(sql, orderId))?.status;
  if (status === undefined || !FAILABLE.includes(status)) return false;
  return transitionOrder(sql, orderId, status, "FAILED", { failureReason: reason }, { now });
}
