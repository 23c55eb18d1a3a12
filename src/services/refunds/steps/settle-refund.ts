import { DomainError } from "../../../errors.js";
import { failure, finish, type Outcome, type TransactionStep } from "../../idempotency/index.js";
import { failRefund, settleRefund } from "../lifecycle.js";
import { refundablePayment, refundById } from "../sql.js";
import type { RefundFlowState } from "./state.js";

/**
 * settle_refund: records the gateway's answer (SUCCEEDED, or FAILED when it
 * refused) and finishes the flow. A refund reconciliation settled meanwhile
 * is answered as it stands. Nothing to undo: it is the last step.
 */
export function settleRefundStep<S extends RefundFlowState, T>(outcome: (state: S) => Outcome<T>): TransactionStep<S, T> {
  return {
    kind: "transaction",
    name: "settle_refund",
    resource: (state) => state.refund?.id ?? 0,
    run: async (sql, state) => {
      if (!state.refund) return finish(outcome(state));
      const refund = (await refundById(sql, state.refund.id))!;
      if (refund.status === "PENDING") {
        if (state.refusal) await failRefund(sql, refund, "gateway_refused");
        else await settleRefund(sql, refund, state.gatewayRefundId!);
      }
      const settled = (await refundById(sql, refund.id))!;
      if (settled.status === "FAILED") {
        return finish(failure(new DomainError("REFUND_FAILED", `The card gateway refused refund ${settled.id}; nothing was refunded`, { refundId: settled.id, reason: state.refusal ?? settled.failureCode })));
      }
      return finish(outcome({ ...state, refund: settled, settledPayment: await refundablePayment(sql, settled.paymentId) }));
    },
  };
}
