import type { Sql } from "../../../db/sql.js";
import { NotFoundError, TransientError } from "../../../errors.js";
import { findOrderTotals, orderNotPending } from "../../orders/index.js";
import { settings } from "../../common/index.js";
import { endLease, leaseOrder } from "../sql.js";

/**
 * The order's payment lease: a conditional update that succeeds for one
 * caller while the order is PENDING and no other attempt holds a live lease.
 * Of two concurrent attempts on one order, only one ever reaches the gateway.
 */
export async function takePaymentLease(sql: Sql, orderId: number, now = new Date()): Promise<void> {
  if (await leaseOrder(sql, orderId, new Date(now.getTime() + settings().idempotencyLockTimeoutMs), now)) return;
  const order = await findOrderTotals(sql, orderId);
  if (!order) throw new NotFoundError("Order", orderId);
  if (order.status !== "PENDING") throw orderNotPending(orderId, order.status);
  throw new TransientError("ORDER_NOT_PENDING", `A payment for order ${orderId} is already in progress; retry shortly`, 1);
}

/** Undo of the lease: the attempt stopped before charging, another may pay now. */
export async function releasePaymentLease(sql: Sql, orderId: number, now = new Date()): Promise<void> {
  await endLease(sql, orderId, now);
}
