import { builder } from "./builder.js";
import { parseId } from "./fields.js";
import { PaymentStatus } from "../generated/sqlite/enums.js";
import { findPayment, findVisiblePayment, processPayment, type PaymentResult } from "../services/payments/index.js";
import { unwrapOutcome } from "./outcome.js";

builder.enumType(PaymentStatus, { name: "PaymentStatus" });

export const PaymentRef = builder.prismaObject("Payment", {
  fields: (t) => ({
    id: t.exposeID("id"),
    order: t.relation("order"),
    status: t.expose("status", { type: PaymentStatus }),
    amountCents: t.exposeInt("amountCents"),
    paymentMethod: t.exposeString("paymentMethod"),
    cardLast4: t.exposeString("cardLast4", { nullable: true }),
    fraudScore: t.exposeFloat("fraudScore", { nullable: true }),
    failureCode: t.exposeString("failureCode", { nullable: true }),
    failureMessage: t.exposeString("failureMessage", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  payment: t.prismaField({
    authScopes: { signedIn: true },
    type: "Payment",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => findVisiblePayment(ctx.principal, query, parseId(args.id)),
  }),
}));

const ProcessPaymentInput = builder.inputType("ProcessPaymentInput", {
  fields: (t) => ({
    orderId: t.id({ required: true }),
    amountCents: t.int({ description: "Optional check: must equal the order total" }),
    paymentMethod: t.string({ required: true }),
    cardLast4: t.string(),
    skipFraudCheck: t.boolean({ defaultValue: false, description: "Like REST /process-simple" }),
  }),
});

const ProcessPaymentPayload = builder.objectRef<PaymentResult & { replayed: boolean }>("ProcessPaymentPayload").implement({
  fields: (t) => ({
    payment: t.field({ type: PaymentRef, resolve: (p) => findPayment({}, p.paymentId).then((found) => found!) }),
    fraudScore: t.exposeFloat("fraudScore", { nullable: true }),
    replayed: t.exposeBoolean("replayed"),
    message: t.exposeString("message"),
  }),
});

builder.mutationFields((t) => ({
  processPayment: t.field({
    authScopes: { signedIn: true },
    type: ProcessPaymentPayload,
    args: {
      input: t.arg({ type: ProcessPaymentInput, required: true }),
      idempotencyKey: t.arg.string({ required: true }),
    },
    resolve: async (_root, { input: { skipFraudCheck, ...input }, idempotencyKey }, ctx) =>
      unwrapOutcome(await processPayment(ctx.principal, input, idempotencyKey, { fraudCheck: !skipFraudCheck })),
  }),
}));
