import { sqlTransaction, type Sql } from "../../db/sql.js";
import { releaseRedemption } from "../coupons/redemption.js";
import { releaseReservedStock } from "../inventory/index.js";
import { findOrderTotals, ordersDueForExpiry } from "./sql.js";
import { transitionOrder } from "./state.js";

const BATCH = 200;

/**
 * Cancels an unpaid order and gives its reserved stock (and coupon
 * redemption) back. Conditional on the order still being PENDING with no
 * payment in flight, so a payment that wins the race keeps its stock: its
 * charge may already have gone through. Returns whether this call cancelled it.
 */
export async function cancelUnpaidOrder(sql: Sql, orderId: number, reason: string, now = new Date()): Promise<boolean> {
  const changes = { cancelledAt: now, failureReason: reason, reservedUntil: null };
  if (!(await transitionOrder(sql, orderId, "PENDING", "CANCELLED", changes, { now, unlessPaymentInFlight: true }))) return false;
  await releaseReservedStock(sql, orderId, now);
  const order = await findOrderTotals(sql, orderId);
  if (order?.couponId != null) await releaseRedemption(sql, order.couponId, now);
  return true;
}

/** Cancels every PENDING order whose reservation has lapsed; returns how many it cancelled. */
export async function expireReservations(now = new Date()): Promise<number> {
  let cancelled = 0;
  let after = 0;
  for (;;) {
    const due = await ordersDueForExpiry(now, after, BATCH);
    for (const id of due) {
      if (await sqlTransaction((sql) => cancelUnpaidOrder(sql, id, "reservation expired", now))) cancelled++;
    }
    if (due.length < BATCH) return cancelled;
    after = due.at(-1)!;
  }
}
