import type { Principal } from "../../auth/principal.js";
import type { Sql } from "../../db/sql.js";
import { auditAdminWrite } from "../audit/index.js";
import { DomainError, NotFoundError, TransientError } from "../../errors.js";
import type { Cents } from "../../lib/money.js";
import { businessMetrics } from "../../lib/metrics.js";
import { chargeCard, type Charge } from "../external/card-gateway.js";
import type { CallStep, TransactionStep } from "../idempotency/flow.js";
import { failure, type Outcome } from "../idempotency/keys.js";
import { commitReservedStock } from "../inventory/index.js";
import { findOrderTotals } from "../orders/sql.js";
import { orderNotPending, transitionOrder } from "../orders/state.js";
import { settings } from "../settings.js";
import { fraudDecision } from "./fraud.js";
import { endLease, insertPendingPayment, leaseOrder, paymentById } from "./sql.js";
import { transitionPayment } from "./state.js";

/**
 * The payment steps checkout and pay share (services/idempotency/flow.ts runs
 * them): lease the order, score it for fraud, open a PENDING payment (or
 * reject it), charge the card, record the charge. Each undo sits beside its step.
 */
export interface PaymentAttempt {
  orderId: number;
  amountCents: Cents;
  paymentMethod: string;
  cardLast4: string | null;
  /** Derived from the client's idempotency key: the gateway charges once per attempt, whatever happens here. */
  gatewayKey: string;
  fraudScore: number | null;
  paymentId?: number;
  charge?: Charge;
}

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
export async function abandonPayment(sql: Sql, attempt: PaymentAttempt, now = new Date()): Promise<void> {
  await transitionPayment(sql, attempt.paymentId!, "PENDING", "FAILED", {
    failureCode: "abandoned",
    failureMessage: "The attempt stopped before a charge was confirmed",
  }, now);
  await releasePaymentLease(sql, attempt.orderId, now);
}

/**
 * An open payment and its order, for a retry that resumes after the payment
 * was opened; the lease is taken again. Reconciliation may have settled it
 * meanwhile (payments/reconcile.ts): a recorded charge lets the retry finish
 * with the same success (record_charge finds it recorded); a refunded one ends it.
 */
export async function resumePayment(sql: Sql, paymentId: number, gatewayKey: string): Promise<PaymentAttempt> {
  const payment = await paymentById(sql, paymentId);
  if (payment?.status === "REFUNDED") {
    throw new DomainError("ORDER_NOT_PENDING", `Order ${payment.orderId} was not paid: this attempt's charge was refunded; pay again with a new key`, { orderId: payment.orderId });
  }
  if (!payment || (payment.status !== "PENDING" && payment.status !== "COMPLETED")) throw new Error(`payment ${paymentId} is not open`);
  if (payment.status === "PENDING") await takePaymentLease(sql, payment.orderId);
  // The key it was opened with: a retry charges with exactly that one (rows from before keys were stored have none).
  return { ...payment, amountCents: payment.amountCents as Cents, paymentId, gatewayKey: payment.gatewayKey ?? gatewayKey };
}

/**
 * A 0-cent order (brought to 0 by a 100%-off coupon after it was placed) has
 * nothing to charge: paying it records a COMPLETED 0-cent payment and marks the
 * order PAID, with no fraud check and no gateway call, as checkout does for one
 * that is free when placed (docs/auth.md). Returns the payment's id.
 */
export async function payFreeOrder(sql: Sql, principal: Principal, attempt: PaymentAttempt, now = new Date()): Promise<number> {
  const { paymentId } = await openPayment(sql, principal, { ...attempt, amountCents: 0 as Cents, fraudScore: null }, now);
  await transitionPayment(sql, paymentId!, "PENDING", "COMPLETED", {}, now);
  if (!(await transitionOrder(sql, attempt.orderId, "PENDING", "PAID", { paidAt: now, reservedUntil: null, paymentClaimedUntil: null }, { now }))) {
    throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} is no longer payable`);
  }
  await commitReservedStock(sql, attempt.orderId, now);
  businessMetrics.payments.inc({ outcome: "completed" });
  return paymentId!;
}

/** Charges the card: a network call, outside any transaction; the gateway key makes a retry get the same charge. */
export function chargeStep<S extends { payment?: PaymentAttempt }>(): CallStep<S> {
  return {
    kind: "call",
    name: "charge",
    irreversible: true,
    run: async (state) => {
      const attempt = state.payment!;
      const charge = await chargeCard({ idempotencyKey: attempt.gatewayKey, amountCents: attempt.amountCents, cardLast4: attempt.cardLast4 });
      return { ...state, payment: { ...attempt, charge } };
    },
  };
}

/**
 * Records the gateway's answer: a success completes the payment, marks the
 * order PAID and commits its stock; a decline fails the payment and leaves the
 * order PENDING (payable again). Either way the lease ends.
 */
export function recordChargeStep<S extends { payment?: PaymentAttempt }, T>(
  outcome: (state: S) => Outcome<T>,
): TransactionStep<S, T> {
  return {
    kind: "transaction",
    name: "record_charge",
    resource: (state) => state.payment!.paymentId!,
    run: async (sql, state) => {
      const attempt = state.payment!;
      await recordCharge(sql, attempt, attempt.charge!);
      return { finish: outcome(state) };
    },
  };
}

export async function recordCharge(sql: Sql, attempt: PaymentAttempt, charge: Charge, now = new Date()): Promise<void> {
  const succeeded = charge.status === "succeeded";
  businessMetrics.payments.inc({ outcome: succeeded ? "completed" : "declined" });
  const settled = succeeded
    ? await transitionPayment(sql, attempt.paymentId!, "PENDING", "COMPLETED", { gatewayChargeId: charge.chargeId }, now)
    : await transitionPayment(sql, attempt.paymentId!, "PENDING", "FAILED", {
        gatewayChargeId: charge.chargeId,
        failureCode: charge.declineCode ?? "card_declined",
        failureMessage: "The card was declined",
      }, now);
  if (!settled) {
    const payment = await paymentById(sql, attempt.paymentId!);
    if (succeeded && payment?.status === "COMPLETED" && payment.gatewayChargeId === charge.chargeId) return; // reconciliation recorded it meanwhile: the same success
    if (payment?.status === "REFUNDED") {
      throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} was not paid: this attempt took too long and its charge is being refunded; pay again with a new key`, { orderId: attempt.orderId });
    }
    throw new Error(`payment ${attempt.paymentId} was settled by another attempt`);
  }
  if (!succeeded) {
    await releasePaymentLease(sql, attempt.orderId, now);
    return;
  }
  const paid = await transitionOrder(sql, attempt.orderId, "PENDING", "PAID", { paidAt: now, reservedUntil: null, paymentClaimedUntil: null }, { now });
  if (!paid) throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} is no longer payable`);
  await commitReservedStock(sql, attempt.orderId, now);
}

/** Asks the fraud service to score the attempt's amount: a network call, outside any transaction (503 when it cannot answer). */
export async function scoreFraud(attempt: PaymentAttempt): Promise<PaymentAttempt> {
  return { ...attempt, fraudScore: await fraudDecision.score(attempt.amountCents) };
}

export function fraudRejects(attempt: PaymentAttempt): boolean {
  return attempt.fraudScore !== null && fraudDecision.rejects(attempt.fraudScore);
}

/** A rejected attempt: its payment settles FAILED, the lease ends, the order stays payable; nothing was charged. */
export async function rejectForFraud<T>(sql: Sql, attempt: PaymentAttempt): Promise<Outcome<T>> {
  businessMetrics.payments.inc({ outcome: "fraud_rejected" });
  await transitionPayment(sql, attempt.paymentId!, "PENDING", "FAILED", { failureCode: "fraud_rejected", failureMessage: "Rejected by the fraud check" });
  await releasePaymentLease(sql, attempt.orderId);
  return failure(
    new DomainError("FRAUD_REJECTED", "The payment was rejected by the fraud check; nothing was charged", {
      orderId: attempt.orderId,
      paymentId: attempt.paymentId,
      fraudScore: attempt.fraudScore,
    }),
  );
}

export function declined(orderId: number, paymentId: number): DomainError {
  return new DomainError("PAYMENT_DECLINED", "The card was declined; the order is still open for another payment", { orderId, paymentId });
}
