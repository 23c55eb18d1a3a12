import type { Principal } from "../../../auth/principal.js";
import type { Sql } from "../../../db/sql.js";
import { DomainError } from "../../../errors.js";
import type { Cents } from "../../../lib/money.js";
import { businessMetrics } from "../../../lib/metrics.js";
import { auditAdminWrite } from "../../audit/index.js";
import { failure, finish, type Outcome, type TransactionStep } from "../../idempotency/index.js";
import { failPayment } from "../lifecycle.js";
import { insertPendingPayment, paymentById } from "../sql.js";
import type { PaymentAttempt, PaymentFlowState } from "./attempt.js";
import { fraudRejects } from "./fraud-check.js";
import { releasePaymentLease, takePaymentLease } from "./lease-order.js";

/**
 * open_payment: opens the attempt's PENDING payment (taking the order's lease
 * first unless an earlier step holds it), or, when the fraud score rejects
 * it, settles it FAILED and finishes: nothing was charged, the order stays
 * payable. Undo: the payment is abandoned (FAILED) and the lease ends.
 */
export function openPaymentStep<S extends PaymentFlowState, T>(options: { takeLease: boolean }): TransactionStep<S, T> {
  return {
    kind: "transaction",
    name: "open_payment",
    resource: (state) => state.payment!.paymentId!,
    run: async (sql, state) => {
      if (options.takeLease) await takePaymentLease(sql, state.payment!.orderId);
      const payment = await openPayment(sql, state.principal, state.payment!);
      return fraudRejects(payment) ? finish(await rejectForFraud<T>(sql, payment)) : { ...state, payment };
    },
    undo: (sql, state) => abandonPayment(sql, state.payment!),
  };
}

/** Opens the attempt's PENDING payment; an admin's (for a customer, or without the fraud check) is audited with it. */
export async function openPayment(sql: Sql, principal: Principal, attempt: PaymentAttempt, now = new Date()): Promise<PaymentAttempt> {
  const paymentId = await insertPendingPayment(sql, attempt, now);
  const action = attempt.fraudScore === null ? "payment.create_without_fraud_check" : "payment.create";
  await auditAdminWrite(sql, principal, { action, subjectType: "Payment", subjectId: paymentId, details: { orderId: attempt.orderId, amountCents: attempt.amountCents } }, now);
  return { ...attempt, paymentId };
}

/**
 * Undo of opening a payment when the attempt stops before a charge was
 * confirmed: it settles FAILED and the order's lease ends. A retry with the
 * same key opens a new payment; the gateway key returns any charge it made.
 */
async function abandonPayment(sql: Sql, attempt: PaymentAttempt, now = new Date()): Promise<void> {
  await failPayment(sql, attempt.paymentId!, { code: "abandoned", message: "The attempt stopped before a charge was confirmed" }, now);
  await releasePaymentLease(sql, attempt.orderId, now);
}

/** A rejected attempt: its payment settles FAILED, the lease ends, the order stays payable; nothing was charged. */
async function rejectForFraud<T>(sql: Sql, attempt: PaymentAttempt): Promise<Outcome<T>> {
  businessMetrics.payments.inc({ outcome: "fraud_rejected" });
  await failPayment(sql, attempt.paymentId!, { code: "fraud_rejected", message: "Rejected by the fraud check" });
  await releasePaymentLease(sql, attempt.orderId);
  return failure(
    new DomainError("FRAUD_REJECTED", "The payment was rejected by the fraud check; nothing was charged", {
      orderId: attempt.orderId,
      paymentId: attempt.paymentId,
      fraudScore: attempt.fraudScore,
    }),
  );
}

/**
 * The state after open_payment, for a retry that resumes there: the open
 * payment, its lease taken again. Reconciliation may have settled it
 * meanwhile (payments/reconcile.ts): a recorded charge lets the retry finish
 * with the same success (record_charge finds it recorded); a refunded one ends it.
 */
export async function resumeOpenPayment(sql: Sql, paymentId: number, gatewayKey: string): Promise<PaymentAttempt> {
  const payment = await paymentById(sql, paymentId);
  if (payment?.status === "REFUNDED") {
    throw new DomainError("ORDER_NOT_PENDING", `Order ${payment.orderId} was not paid: this attempt's charge was refunded; pay again with a new key`, { orderId: payment.orderId });
  }
  if (!payment || (payment.status !== "PENDING" && payment.status !== "COMPLETED")) throw new Error(`payment ${paymentId} is not open`);
  if (payment.status === "PENDING") await takePaymentLease(sql, payment.orderId);
  // The key it was opened with: a retry charges with exactly that one (rows from before keys were stored have none).
  return { ...payment, amountCents: payment.amountCents as Cents, paymentId, gatewayKey: payment.gatewayKey ?? gatewayKey };
}
