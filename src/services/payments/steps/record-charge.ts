import type { Sql } from "../../../db/sql.js";
import { DomainError } from "../../../errors.js";
import { businessMetrics } from "../../../lib/metrics.js";
import type { Charge } from "../../external/index.js";
import type { Outcome, TransactionStep } from "../../idempotency/index.js";
import { markOrderPaid } from "../../orders/index.js";
import { failPayment, settlePayment } from "../lifecycle.js";
import { paymentById } from "../sql.js";
import type { PaymentAttempt, PaymentFlowState } from "./attempt.js";
import { releasePaymentLease } from "./lease-order.js";

/**
 * record_charge: records the gateway's answer and finishes with the flow's
 * outcome. Nothing to undo: it is the last step.
 */
export function recordChargeStep<S extends PaymentFlowState, T>(outcome: (state: S) => Outcome<T>): TransactionStep<S, T> {
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

/**
 * A success completes the payment and marks the order PAID (its stock
 * committed); a decline fails the payment and leaves the order PENDING
 * (payable again). Either way the lease ends. Reconciliation records an
 * orphan charge through here too.
 */
export async function recordCharge(sql: Sql, attempt: PaymentAttempt, charge: Charge, now = new Date()): Promise<void> {
  const succeeded = charge.status === "succeeded";
  businessMetrics.payments.inc({ outcome: succeeded ? "completed" : "declined" });
  const settled = succeeded
    ? await settlePayment(sql, attempt.paymentId!, charge.chargeId, now)
    : await failPayment(sql, attempt.paymentId!, { code: charge.declineCode ?? "card_declined", message: "The card was declined", chargeId: charge.chargeId }, now);
  if (!settled) {
    const payment = await paymentById(sql, attempt.paymentId!);
    if (succeeded && payment?.status === "COMPLETED" && payment.gatewayChargeId === charge.chargeId) return; // reconciliation recorded it meanwhile: the same success
    if (payment?.status === "REFUNDED") {
      throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} was not paid: this attempt took too long and its charge is being refunded; pay again with a new key`, { orderId: attempt.orderId });
    }
    throw new Error(`payment ${attempt.paymentId} was settled by another attempt`);
  }
  if (!succeeded) return releasePaymentLease(sql, attempt.orderId, now);
  if (!(await markOrderPaid(sql, attempt.orderId, now))) throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} is no longer payable`);
}

export function declined(orderId: number, paymentId: number): DomainError {
  return new DomainError("PAYMENT_DECLINED", "The card was declined; the order is still open for another payment", { orderId, paymentId });
}
