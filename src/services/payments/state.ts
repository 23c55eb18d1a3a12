import type { Sql } from "../../db/sql.js";
import { PaymentStatus } from "../../generated/sqlite/enums.js";
import { assertTransition, type TransitionTable } from "../common/index.js";
import { updatePaymentStatus, type PaymentChanges } from "./sql.js";

/**
 * The payment lifecycle. A payment is opened PENDING before the card is
 * charged and settles once: COMPLETED with the gateway's charge, or FAILED
 * (declined, fraud-rejected, or the attempt gave up before charging). Every
 * status change goes through `transitionPayment`. REFUNDED: a COMPLETED
 * payment whose refunds (services/refunds) gave all of it back; or, by
 * reconciliation (payments/reconcile.ts), a charge the gateway made for an
 * attempt that never recorded it, on an order that can no longer take it, is
 * refunded, and that attempt's payment (PENDING, or FAILED after it gave up)
 * records the refund.
 */
export const paymentTransitions: TransitionTable<PaymentStatus> = {
  PENDING: [PaymentStatus.COMPLETED, PaymentStatus.FAILED, PaymentStatus.REFUNDED],
  COMPLETED: [PaymentStatus.REFUNDED],
  FAILED: [PaymentStatus.REFUNDED],
  REFUNDED: [],
};

/** Moves a payment from `from` to `to` by a conditional update: true when this call changed it. */
export async function transitionPayment(
  sql: Sql,
  paymentId: number,
  from: PaymentStatus,
  to: PaymentStatus,
  changes: PaymentChanges = {},
  now = new Date(),
): Promise<boolean> {
  assertTransition("payment", paymentTransitions, from, to);
  return updatePaymentStatus(sql, paymentId, from, to, changes, now);
}
