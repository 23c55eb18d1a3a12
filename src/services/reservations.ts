import { db, transaction, type Tx } from "../db/index.js";
import { releaseCouponRedemption } from "./coupons.js";
import { transitionOrder } from "./order-state.js";

const BATCH = 200;

/**
 * Cancels an unpaid order and gives its reserved stock (and coupon redemption)
 * back. Conditional on the order still being PENDING with no payment in
 * flight, so a payment that wins the race keeps its stock. Returns whether
 * this call cancelled it.
 */
export async function cancelUnpaidOrder(tx: Tx, orderId: number, reason: string, now = new Date()): Promise<boolean> {
  // Never under a payment in flight: its charge may already have gone through.
  const cancelled = await transitionOrder(
    tx,
    orderId,
    "PENDING",
    "CANCELLED",
    { cancelledAt: now, failureReason: reason, reservedUntil: null },
    { OR: [{ paymentClaimedUntil: null }, { paymentClaimedUntil: { lte: now } }] },
  );
  if (!cancelled) return false;
  const reservations = await tx.inventoryReservation.findMany({ where: { orderId, status: "ACTIVE" } });
  for (const r of reservations) {
    await tx.product.update({ where: { id: r.productId }, data: { stockQuantity: { increment: r.quantity } } });
  }
  await tx.inventoryReservation.updateMany({ where: { orderId, status: "ACTIVE" }, data: { status: "RELEASED" } });
  const order = await tx.order.findUniqueOrThrow({ where: { id: orderId }, select: { couponId: true } });
  if (order.couponId !== null) await releaseCouponRedemption(tx, order.couponId);
  return true;
}

/** Cancels every PENDING order whose reservation has lapsed; returns how many it cancelled. */
export async function expireReservations(now = new Date()): Promise<number> {
  let cancelled = 0;
  for (;;) {
    const due = await db().order.findMany({
      where: { status: "PENDING", reservedUntil: { lt: now } },
      select: { id: true },
      orderBy: { id: "asc" },
      take: BATCH,
    });
    for (const { id } of due) {
      if (await transaction((tx) => cancelUnpaidOrder(tx, id, "reservation expired", now))) cancelled++;
    }
    if (due.length < BATCH) return cancelled;
  }
}
