import type { Sql } from "../../db/sql.js";
import type { PaymentStatus } from "../../generated/sqlite/enums.js";
import { transitionPayment } from "./state.js";

/**
 * The payment's transitions (./state.ts's table), each one conditional status
 * change with what it records, in the caller's transaction. Each returns
 * false, and changes nothing, when the payment was not in the status it moves from.
 */

/** PENDING -> COMPLETED: the gateway's charge recorded (none for a 0-cent order). */
export function settlePayment(sql: Sql, paymentId: number, chargeId: string | null, now = new Date()): Promise<boolean> {
  return transitionPayment(sql, paymentId, "PENDING", "COMPLETED", { gatewayChargeId: chargeId }, now);
}

export interface PaymentFailure {
  code: string;
  message: string;
  chargeId?: string;
}

/** PENDING -> FAILED: declined, rejected for fraud, or abandoned before a charge was confirmed. */
export function failPayment(sql: Sql, paymentId: number, failure: PaymentFailure, now = new Date()): Promise<boolean> {
  const changes = { gatewayChargeId: failure.chargeId ?? null, failureCode: failure.code, failureMessage: failure.message };
  return transitionPayment(sql, paymentId, "PENDING", "FAILED", changes, now);
}

/**
 * PENDING or FAILED -> REFUNDED: a charge its attempt never recorded, on an
 * order that can no longer take it, is refunded (payments/reconcile.ts).
 */
export function markPaymentRefunded(sql: Sql, paymentId: number, from: PaymentStatus, failure: Required<PaymentFailure>, now = new Date()): Promise<boolean> {
  const changes = { gatewayChargeId: failure.chargeId, failureCode: failure.code, failureMessage: failure.message };
  return transitionPayment(sql, paymentId, from, "REFUNDED", changes, now);
}

/** COMPLETED -> REFUNDED: its refunds gave all of it back (services/refunds). */
export function markPaymentFullyRefunded(sql: Sql, paymentId: number, now = new Date()): Promise<boolean> {
  return transitionPayment(sql, paymentId, "COMPLETED", "REFUNDED", {}, now);
}
