import type { Refund, RefundablePayment } from "../sql.js";

/** What a flow's state offers the refund steps: the opened refund, the charge it refunds, and the gateway's answer. */
export interface RefundFlowState {
  /** None: nothing to refund (an unpaid order cancelled), the steps pass. */
  refund?: Refund;
  chargeId?: string;
  gatewayRefundId?: string;
  /** The payment once the refund settled: what the answer shows. */
  settledPayment?: RefundablePayment;
  /** Why the gateway refused the refund for good (it will be FAILED). */
  refusal?: string;
}
