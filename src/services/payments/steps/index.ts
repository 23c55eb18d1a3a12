/**
 * The payment steps the checkout and payment flows compose (services/
 * idempotency/flow.ts runs them), one per file with its undo beside it:
 * lease the order, check fraud, open the payment (or reject it), charge the
 * card, record the charge.
 */
export type { PaymentAttempt, PaymentFlowState } from "./attempt.js";
export { chargeStep } from "./charge.js";
export { fraudCheckStep } from "./fraud-check.js";
export { payFreeOrder } from "./free-order.js";
export { releasePaymentLease, takePaymentLease } from "./lease-order.js";
export { openPaymentStep, resumeOpenPayment } from "./open-payment.js";
export { declined, recordCharge, recordChargeStep } from "./record-charge.js";
