/**
 * The simulated providers the gateway calls over the network: the card
 * gateway, the fraud service, the shipping provider, e-mail and analytics.
 * Each refuses to run inside a database transaction (./guard.ts).
 */
export {
  chargeCard,
  countGatewayCharges,
  DECLINED_CARD_LAST4,
  GatewayRefundError,
  refundCharge,
  refundChargePart,
  type Charge,
  type ChargeRequest,
  type GatewayRefund,
  type RefundRequest,
} from "./card-gateway.js";
export { EmailDeliveryError, sendEmail, trackEvent } from "./email.js";
export { FraudCheckClient, fraudScore, type FraudCheckResult, type FraudCheckSettings } from "./fraud-check.js";
export { NetworkCallInTransactionError } from "./guard.js";
export { createShippingLabel, type ShippingLabel } from "./shipping.js";
