import { builder } from "./builder.js";
import { parseId } from "./scalars.js";
import { PaymentStatus } from "../generated/sqlite/enums.js";
import { findPayment } from "../services/payments.js";

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
    type: "Payment",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args) => findPayment(query, parseId(args.id)),
  }),
}));
