import { builder } from "./builder.js";
import { OrderRef } from "./order.js";
import { PaymentRef } from "./payment.js";
import { unwrapOutcome } from "./outcome.js";
import { checkout, type CheckoutResult } from "../services/checkout/index.js";
import { findOrder } from "../services/orders/queries.js";
import { findPayment } from "../services/payments/index.js";

const CheckoutItemInput = builder.inputType("CheckoutItemInput", {
  fields: (t) => ({
    productId: t.id({ required: true }),
    quantity: t.int({ required: true }),
  }),
});

const CheckoutInput = builder.inputType("CheckoutInput", {
  fields: (t) => ({
    userId: t.id({ description: "A customer may leave it out (the token says who); an admin names the user" }),
    items: t.field({ type: [CheckoutItemInput], required: true }),
    paymentMethod: t.string({ description: "Omit to place an unpaid PENDING order" }),
    cardLast4: t.string(),
    couponCode: t.string(),
  }),
});

const CheckoutPayload = builder.objectRef<CheckoutResult & { replayed: boolean }>("CheckoutPayload").implement({
  fields: (t) => ({
    order: t.field({ type: OrderRef, resolve: (p) => findOrder({}, p.orderId).then((o) => o!) }),
    payment: t.field({
      type: PaymentRef,
      nullable: true,
      resolve: (p) => (p.paymentId === null ? null : findPayment({}, p.paymentId)),
    }),
    replayed: t.exposeBoolean("replayed", { description: "True when this answer was replayed for a repeated idempotency key" }),
    message: t.exposeString("message"),
  }),
});

builder.mutationFields((t) => ({
  checkout: t.field({
    authScopes: { signedIn: true },
    type: CheckoutPayload,
    args: {
      input: t.arg({ type: CheckoutInput, required: true }),
      idempotencyKey: t.arg.string({ required: true }),
    },
    resolve: async (_root, { input, idempotencyKey }, ctx) => unwrapOutcome(await checkout(ctx.principal, input, idempotencyKey)),
  }),
}));
