import { TransientError } from "../../../errors.js";
import type { Cents } from "../../../lib/money.js";
import { businessMetrics } from "../../../lib/metrics.js";
import { GatewayRefundError, refundChargePart } from "../../external/index.js";
import type { CallStep } from "../../idempotency/index.js";
import type { RefundFlowState } from "./state.js";

/**
 * gateway_refund: asks the card gateway for the refund, outside any
 * transaction, with the key made when the refund was opened, so a retry (or
 * reconciliation) never refunds twice. Irreversible: money may have moved, so
 * nothing before it is undone. The gateway unavailable is 502 REFUND_FAILED
 * with the refund still PENDING (nothing refunded yet; a retry with the same
 * key continues it, or else the maintenance pass); a refusal is recorded by
 * settle_refund.
 */
export function gatewayRefundStep<S extends RefundFlowState>(): CallStep<S> {
  return {
    kind: "call",
    name: "gateway_refund",
    irreversible: true,
    run: async (state) => {
      const { refund, chargeId } = state;
      if (!refund || refund.status !== "PENDING") return state;
      try {
        const made = await refundChargePart({ idempotencyKey: refund.gatewayKey, chargeId: chargeId!, amountCents: refund.amountCents as Cents });
        return { ...state, gatewayRefundId: made.refundId };
      } catch (error) {
        if (!(error instanceof GatewayRefundError)) throw error;
        if (!error.retryable) return { ...state, refusal: error.message };
        businessMetrics.refunds.inc({ outcome: "retry" });
        throw new TransientError(
          "REFUND_FAILED",
          `The card gateway could not refund now (${error.message}); nothing is refunded yet. The refund stays PENDING: a retry with the same Idempotency-Key continues it, or the maintenance pass completes it; do not refund it another way`,
          2,
        );
      }
    },
  };
}
