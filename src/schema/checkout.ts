import { builder } from "./builder.js";
import { OrderRef } from "./order.js";
import { PaymentRef } from "./payment.js";
import { unwrapOutcome } from "./outcome.js";
import { IDEMPOTENCY_KEY } from "./fields.js";
import { checkout, type CheckoutResult } from "../services/checkout/index.js";
import { findOrder } from "../services/orders/index.js";
import { findPayment } from "../services/payments/index.js";

const CheckoutItemInput = builder.inputType("CheckoutItemInput", {
  description: "One line of a checkout; lines for the same product are added together.",
  fields: (t) => ({
    productId: t.id({ required: true, description: "The product's id; one that does not exist is NOT_FOUND." }),
    quantity: t.int({ required: true, description: "Units, 1 to 1,000 per product; more than the stock left is INSUFFICIENT_STOCK." }),
  }),
});

const CheckoutInput = builder.inputType("CheckoutInput", {
  description: "What to order, for whom, and how to pay; prices always come from the catalogue, never from the client.",
  fields: (t) => ({
    userId: t.id({
      description: "A customer may leave it out (the token says who) or send their own id; another's is FORBIDDEN. An admin must name the user (else VALIDATION_FAILED).",
    }),
    items: t.field({ type: [CheckoutItemInput], required: true, description: "The lines to order: at least one, at most 100 (the server's default limit)." }),
    paymentMethod: t.string({
      description: "A lower-case method name such as credit_card, to pay at once. Omit to place an unpaid PENDING order with its stock reserved until reservedUntil.",
    }),
    cardLast4: t.string({ description: "The card's last 4 digits. The simulated card gateway declines 0002 and approves any other card." }),
    couponCode: t.string({
      description: "A coupon to apply, matched case-insensitively: COUPON_NOT_FOUND, COUPON_EXPIRED, COUPON_EXHAUSTED, or VALIDATION_FAILED under its minimum subtotal.",
    }),
  }),
});

const CheckoutPayload = builder.objectRef<CheckoutResult & { replayed: boolean }>("CheckoutPayload").implement({
  description: "A successful checkout: the order placed, and paid when a payment method was sent.",
  fields: (t) => ({
    order: t.field({ type: OrderRef, description: "The order placed, read as it is now (also on a replay).", resolve: (p) => findOrder({}, p.orderId).then((o) => o!) }),
    payment: t.field({
      type: PaymentRef,
      nullable: true,
      description: "The COMPLETED payment; null without a payment method or when the total was 0 (nothing to charge).",
      resolve: (p) => (p.paymentId === null ? null : findPayment({}, p.paymentId)),
    }),
    replayed: t.exposeBoolean("replayed", { description: "True when this answer was replayed for a repeated idempotency key: nothing ran again." }),
    message: t.exposeString("message", { description: "A summary for people; do not parse it." }),
  }),
});

builder.mutationFields((t) => ({
  checkout: t.field({
    authScopes: { signedIn: true },
    type: CheckoutPayload,
    description:
      "Signed in: places an order, reserves its stock and, with a payment method, fraud-checks and charges it (FRAUD_REJECTED or PAYMENT_DECLINED leave it PENDING and payable, details.orderId). Other errors: FORBIDDEN, NOT_FOUND, VALIDATION_FAILED, INSUFFICIENT_STOCK, the couponCode errors, IDEMPOTENCY_KEY_*, RATE_LIMITED, and FRAUD_CHECK_UNAVAILABLE or PAYMENT_GATEWAY_UNAVAILABLE (retry with the same key).",
    args: {
      input: t.arg({ type: CheckoutInput, required: true, description: "The order to place." }),
      idempotencyKey: t.arg.string({ required: true, description: IDEMPOTENCY_KEY }),
    },
    resolve: async (_root, { input, idempotencyKey }, ctx) => unwrapOutcome(await checkout(ctx.principal, input, idempotencyKey)),
  }),
}));
