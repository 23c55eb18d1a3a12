/**
 * The refund steps the refund and cancellation flows compose, one per file:
 * the refund is opened by the flow's first transaction (`openRefund`, or the
 * cancellation that opens it), then gateway_refund, then settle_refund.
 */
export { gatewayRefundStep } from "./gateway-refund.js";
export { settleRefundStep } from "./settle-refund.js";
export type { RefundFlowState } from "./state.js";
