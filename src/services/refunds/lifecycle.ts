import { randomUUID } from "node:crypto";
import type { Sql } from "../../db/sql.js";
import { DomainError, NotFoundError } from "../../errors.js";
import { businessMetrics } from "../../lib/metrics.js";
import { requestOrigin } from "../../lib/request-context.js";
import { insertOutboxEvent } from "../outbox/sql.js";
import { markPaymentFullyRefunded } from "../payments/lifecycle.js";
import { holdRefund, insertRefund, refundablePayment, settleHold, type Refund } from "./sql.js";
import { transitionRefund } from "./state.js";

/**
 * A refund's transitions with their side effects, in the caller's transaction.
 * The invariant they keep: a payment's SUCCEEDED refunds plus its PENDING
 * ones never exceed what was charged (a conditional update holds each
 * refund's amount before the gateway is called).
 */
export interface RefundRequest {
  paymentId: number;
  /** Null: what remains. */
  amountCents: number | null;
  reason: string | null;
  /** Who asked: an admin's sub. */
  actor: string;
}

/** Opens a PENDING refund of a COMPLETED charge and holds its amount. */
export async function openRefund(sql: Sql, request: RefundRequest, now = new Date()): Promise<Refund> {
  const payment = await refundablePayment(sql, request.paymentId);
  if (!payment) throw new NotFoundError("Payment", request.paymentId);
  if (payment.status !== "COMPLETED" || payment.gatewayChargeId === null) {
    const why = payment.status === "COMPLETED" ? "it charged nothing" : `it is ${payment.status}`;
    throw new DomainError("PAYMENT_NOT_REFUNDABLE", `Payment ${payment.id} cannot be refunded: ${why}`, { paymentId: payment.id, status: payment.status });
  }
  const remainingCents = payment.amountCents - payment.refundedCents - payment.refundPendingCents;
  const amountCents = request.amountCents ?? remainingCents;
  if (amountCents <= 0 || amountCents > remainingCents || !(await holdRefund(sql, payment.id, amountCents, now))) {
    throw new DomainError("REFUND_EXCEEDS_REMAINING", `Payment ${payment.id} has ${remainingCents} cents left to refund (refunds in progress count)`, {
      paymentId: payment.id,
      remainingCents,
      requestedCents: amountCents,
    });
  }
  const gatewayKey = `rf_${randomUUID()}`;
  return insertRefund(sql, { paymentId: payment.id, amountCents, reason: request.reason, actor: request.actor, gatewayKey }, now);
}

/**
 * PENDING -> SUCCEEDED: the amount moves from held to refunded; a payment
 * refunded in full becomes REFUNDED; the customer is told (outbox
 * `payment.refunded`). False when the refund was settled already.
 */
export async function settleRefund(sql: Sql, refund: Refund, gatewayRefundId: string, now = new Date()): Promise<boolean> {
  if (!(await transitionRefund(sql, refund.id, "PENDING", "SUCCEEDED", { gatewayRefundId }, now))) return false;
  await settleHold(sql, refund.paymentId, refund.amountCents, true, now);
  const payment = (await refundablePayment(sql, refund.paymentId))!;
  if (payment.refundedCents === payment.amountCents) await markPaymentFullyRefunded(sql, payment.id, now);
  const payload = { refundId: refund.id, paymentId: payment.id, orderId: payment.orderId, userId: payment.userId, amountCents: refund.amountCents };
  await insertOutboxEvent(sql, "payment.refunded", JSON.stringify(payload), requestOrigin(), now);
  sql.afterCommit(() => {
    businessMetrics.refunds.inc({ outcome: "succeeded" });
    businessMetrics.refundedCents.inc(refund.amountCents);
  });
  return true;
}

/** PENDING -> FAILED: the gateway refused it; the held amount is free to refund again. False when it was settled already. */
export async function failRefund(sql: Sql, refund: Refund, failureCode: string, now = new Date()): Promise<boolean> {
  if (!(await transitionRefund(sql, refund.id, "PENDING", "FAILED", { failureCode }, now))) return false;
  await settleHold(sql, refund.paymentId, refund.amountCents, false, now);
  sql.afterCommit(() => businessMetrics.refunds.inc({ outcome: "failed" }));
  return true;
}
