import { builder } from "./builder.js";
import { PaymentStatus, RefundStatus } from "../generated/sqlite/enums.js";
import { findRefund, refundPayment, type RefundResult } from "../services/refunds/index.js";
import { findPayment, findVisiblePayment, processPayment, type PaymentResult } from "../services/payments/index.js";
import { unwrapOutcome } from "./outcome.js";
import { IDEMPOTENCY_KEY, parseId } from "./fields.js";

const REFUND_KEY =
  "Names this refund so a retry never refunds twice: 1-255 printable ASCII characters, scoped to the admin. The same key and input replays the first answer; other input is IDEMPOTENCY_KEY_REUSED.";

builder.enumType(PaymentStatus, {
  name: "PaymentStatus",
  description: "Where a payment attempt stands.",
  values: {
    PENDING: { description: "Opened: the card is being charged, or a crashed attempt awaits its retry or reconciliation. Initial. Leads to: COMPLETED, FAILED, REFUNDED." },
    COMPLETED: {
      description: "The order was paid: the card charged, or nothing to charge (a 0-cent order, amountCents 0); partly refunded while refundedCents > 0. Reached from: PENDING. Leads to: REFUNDED.",
    },
    FAILED: { description: "The attempt failed (failureCode says why) and the order stayed payable. Reached from: PENDING. Leads to: REFUNDED." },
    REFUNDED: {
      description:
        "Its charge is refunded in full: refunds (refundPayment, or an admin cancelling the paid order) gave all of it back (refundedCents equals amountCents); or reconciliation found a charge the gateway made that this attempt never recorded, on an order that could no longer take it (cancelled, paid by another payment, or its total changed), marked this payment REFUNDED (failureCode orphan_charge_refunded), then refunded the charge through the gateway (a pass cut short between the two finishes the refund on its next run). Reached from: PENDING, COMPLETED, FAILED. Final.",
    },
  },
});

export const PaymentRef = builder.prismaObject("Payment", {
  description: "One attempt to pay an order. Only the order's owner and admins may read it; to anyone else it does not exist (NOT_FOUND).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The payment's database id, the same as in REST." }),
    order: t.relation("order", { description: "The order this payment is for." }),
    status: t.expose("status", { type: PaymentStatus, description: "Where the attempt stands." }),
    amountCents: t.exposeInt("amountCents", { description: "The amount charged or attempted in integer cents: always the order's total when the attempt opened." }),
    paymentMethod: t.exposeString("paymentMethod", { description: "The payment method named by the caller, such as credit_card." }),
    cardLast4: t.exposeString("cardLast4", { nullable: true, description: "The card's last 4 digits; null when none was sent." }),
    fraudScore: t.exposeFloat("fraudScore", {
      nullable: true,
      description: "The fraud service's risk score from 0 to 1: one at or above the server's threshold fails the payment with fraud_rejected. Null when an admin skipped the check.",
    }),
    failureCode: t.exposeString("failureCode", {
      nullable: true,
      description:
        "Why the payment FAILED: card_declined, fraud_rejected, or abandoned (the attempt stopped before a charge was confirmed); on a REFUNDED payment, orphan_charge_refunded. Null otherwise.",
    }),
    failureMessage: t.exposeString("failureMessage", { nullable: true, description: "The failure or refund as text for people; null unless FAILED or REFUNDED." }),
    refundedCents: t.exposeInt("refundedCents", { description: "What succeeded refunds gave back, in integer cents; the payment is REFUNDED once it equals amountCents." }),
    refunds: t.relation("refunds", { query: { orderBy: { id: "asc" } }, description: "Its refunds, oldest first; admins and the order's owner see them." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the attempt opened." }),
  }),
});

builder.enumType(RefundStatus, {
  name: "RefundStatus",
  description: "Where a refund stands.",
  values: {
    PENDING: { description: "Opened and its amount held; the card gateway is being asked. A refund a crashed attempt left here is finished by its retry or the reconciliation pass." },
    SUCCEEDED: { description: "The gateway gave the amount back." },
    FAILED: { description: "The gateway refused it; nothing was refunded and the amount can be refunded again." },
  },
});

export const RefundRef = builder.prismaObject("Refund", {
  description: "A refund of part or all of a payment.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The refund's database id, the same as in REST." }),
    payment: t.relation("payment", { description: "The payment it refunds." }),
    amountCents: t.exposeInt("amountCents", { description: "The amount given back, in integer cents." }),
    status: t.expose("status", { type: RefundStatus, description: "Where the refund stands." }),
    reason: t.exposeString("reason", { nullable: true, description: "Why it was refunded, as the admin said." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the refund was asked for." }),
  }),
});

const RefundPaymentInput = builder.inputType("RefundPaymentInput", {
  description: "What to refund.",
  fields: (t) => ({
    paymentId: t.id({ required: true, description: "The COMPLETED payment to refund (else PAYMENT_NOT_REFUNDABLE)." }),
    amountCents: t.int({ description: "In integer cents; left out, what remains. Refunds add up to at most the charge (else REFUND_EXCEEDS_REMAINING; refunds in progress count)." }),
    reason: t.string({ description: "Why, for the audit trail and the customer's e-mail: at most 500 characters." }),
  }),
});

const RefundPaymentPayload = builder.objectRef<RefundResult & { replayed: boolean }>("RefundPaymentPayload").implement({
  description: "A refund the gateway made: SUCCEEDED.",
  fields: (t) => ({
    refund: t.prismaField({ type: "Refund", description: "The refund, read as it is now.", resolve: (query, r) => findRefund(query, r.refund.id).then((found) => found!) }),
    payment: t.field({ type: PaymentRef, description: "The refunded payment, read as it is now.", resolve: (r) => findPayment({}, r.payment.id).then((found) => found!) }),
    replayed: t.exposeBoolean("replayed", { description: "True when this answer was replayed for a repeated idempotency key: nothing ran again." }),
  }),
});

builder.mutationFields((t) => ({
  refundPayment: t.field({
    authScopes: { admin: "refund payments" },
    type: RefundPaymentPayload,
    description:
      "Admins only: refunds a COMPLETED payment in part or in full, through the card gateway. Errors: NOT_FOUND, PAYMENT_NOT_REFUNDABLE, REFUND_EXCEEDS_REMAINING, REFUND_FAILED (the gateway did not refund: retry with the same key to continue), FORBIDDEN, VALIDATION_FAILED, IDEMPOTENCY_KEY_*.",
    args: {
      input: t.arg({ type: RefundPaymentInput, required: true, description: "The payment, the amount and why." }),
      idempotencyKey: t.arg.string({ required: true, description: REFUND_KEY }),
    },
    resolve: async (_root, { input, idempotencyKey }, ctx) => unwrapOutcome(await refundPayment(ctx.principal, input, idempotencyKey)),
  }),
}));

builder.queryFields((t) => ({
  payment: t.prismaField({
    authScopes: { signedIn: true },
    type: "Payment",
    nullable: true,
    description: "Signed in: a payment by id, for its order's owner or an admin. Null with NOT_FOUND when it does not exist or is another customer's.",
    args: { id: t.arg.id({ required: true, description: "The payment's id, a positive integer (else VALIDATION_FAILED)." }) },
    resolve: (query, _root, args, ctx) => findVisiblePayment(ctx.principal, query, parseId(args.id)),
  }),
}));

const ProcessPaymentInput = builder.inputType("ProcessPaymentInput", {
  description: "What to pay and how; the amount charged is always the order's total.",
  fields: (t) => ({
    orderId: t.id({ required: true, description: "The PENDING order to pay: unknown or another customer's is NOT_FOUND, one not PENDING is ORDER_NOT_PENDING." }),
    amountCents: t.int({ description: "Optional check in integer cents: when sent it must equal the order's totalCents, else AMOUNT_MISMATCH." }),
    paymentMethod: t.string({ required: true, description: "A lower-case method name such as credit_card: a letter, then up to 31 letters, digits or underscores." }),
    cardLast4: t.string({ description: "The card's last 4 digits. The simulated card gateway declines 0002 and approves any other card." }),
    skipFraudCheck: t.boolean({ defaultValue: false, description: "Admins only (a customer gets FORBIDDEN): pay without the fraud check, like REST /process-simple. Audited." }),
  }),
});

const ProcessPaymentPayload = builder.objectRef<PaymentResult & { replayed: boolean }>("ProcessPaymentPayload").implement({
  description: "A successful payment: the order is PAID. Declines and fraud rejections are errors, not payloads.",
  fields: (t) => ({
    payment: t.field({ type: PaymentRef, description: "The COMPLETED payment, read as it is now.", resolve: (p) => findPayment({}, p.paymentId).then((found) => found!) }),
    fraudScore: t.exposeFloat("fraudScore", { nullable: true, description: "The fraud service's score from 0 to 1; null when the check was skipped." }),
    replayed: t.exposeBoolean("replayed", { description: "True when this answer was replayed for a repeated idempotency key: nothing ran again." }),
    message: t.exposeString("message", { description: "A summary for people; do not parse it." }),
  }),
});

builder.mutationFields((t) => ({
  processPayment: t.field({
    authScopes: { signedIn: true },
    type: ProcessPaymentPayload,
    description:
      "Signed in: the order's owner or an admin pays a PENDING order its total, after the fraud check. Errors: NOT_FOUND, ORDER_NOT_PENDING, AMOUNT_MISMATCH, FRAUD_REJECTED or PAYMENT_DECLINED (nothing charged, the order stays payable), FORBIDDEN, VALIDATION_FAILED, IDEMPOTENCY_KEY_*, RATE_LIMITED, and FRAUD_CHECK_UNAVAILABLE or PAYMENT_GATEWAY_UNAVAILABLE (retry with the same key).",
    args: {
      input: t.arg({ type: ProcessPaymentInput, required: true, description: "The order to pay and the card." }),
      idempotencyKey: t.arg.string({ required: true, description: IDEMPOTENCY_KEY }),
    },
    resolve: async (_root, { input: { skipFraudCheck, ...input }, idempotencyKey }, ctx) =>
      unwrapOutcome(await processPayment(ctx.principal, input, idempotencyKey, { fraudCheck: !skipFraudCheck })),
  }),
}));
