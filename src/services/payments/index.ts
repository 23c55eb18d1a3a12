import type { Principal } from "../../auth/principal.js";
import { DomainError, NotFoundError } from "../../errors.js";
import { idempotencyScope, requireAdmin, requireOwnOrNotFound, requireSignedIn } from "../common/index.js";
import type { Cents } from "../../lib/money.js";
import { businessMetrics } from "../../lib/metrics.js";
import { annotateRequest } from "../../lib/request-context.js";
import { parseInput } from "../../lib/validation.js";
import { failure, fingerprint, finish, type Flow, type IdempotentResult, requireIdempotencyKey, runFlow, type TransactionStep } from "../idempotency/index.js";
import { findOrderTotals, orderNotPending, orderOwner } from "../orders/index.js";
import { consumeRateLimit } from "../rate-limits/index.js";
import { paymentInputSchema } from "./input.js";
import {
  chargeStep,
  declined,
  fraudCheckStep,
  openPaymentStep,
  payFreeOrder,
  recordChargeStep,
  releasePaymentLease,
  resumeOpenPayment,
  takePaymentLease,
  type PaymentAttempt,
} from "./steps/index.js";

export { findPayment, findVisiblePayment, getPayment, type PaymentDetails } from "./queries.js";
export { paymentInputSchema } from "./input.js";

export interface PaymentResult {
  paymentId: number;
  orderId: number;
  status: "COMPLETED";
  amountCents: number;
  fraudScore: number | null;
  message: string;
}

export interface PaymentOptions {
  fraudCheck: boolean;
}

interface PayState {
  principal: Principal;
  input: { orderId: number; amountCents: number | null };
  fraudCheck: boolean;
  payment: PaymentAttempt;
}

/** Checks the order can be paid this amount and takes its payment lease. */
const leaseOrderStep: TransactionStep<PayState, PaymentResult> = {
  kind: "transaction",
  name: "lease_order",
  resource: (s) => s.payment.orderId,
  run: async (sql, state) => {
    const { orderId, amountCents } = state.input;
    const order = await findOrderTotals(sql, orderId);
    if (!order) throw new NotFoundError("Order", orderId);
    if (order.status !== "PENDING") throw orderNotPending(order.id, order.status);
    if (amountCents !== null && amountCents !== order.totalCents) {
      throw new DomainError("AMOUNT_MISMATCH", `The amount does not match the order total of ${order.totalCents} cents`, {
        orderTotalCents: order.totalCents,
        requestedCents: amountCents,
      });
    }
    await takePaymentLease(sql, orderId);
    if (order.totalCents === 0) {
      const paymentId = await payFreeOrder(sql, state.principal, state.payment);
      return finish({ ok: true, status: 200, value: { paymentId, orderId, status: "COMPLETED", amountCents: 0, fraudScore: null, message: "Nothing to charge: order paid" } });
    }
    return { ...state, payment: { ...state.payment, amountCents: order.totalCents as Cents } };
  },
  undo: (sql, state) => releasePaymentLease(sql, state.payment.orderId),
};

/**
 * Pays a PENDING order in steps, no transaction or connection held across a
 * network call (docs/postmortems/2026-payments-pool-exhaustion.md): lease
 * the order, check fraud, open the payment (or reject it), charge, record.
 * The amount charged is always the order's total from the database.
 */
const payFlow: Flow<PayState, PaymentResult> = {
  steps: [
    leaseOrderStep,
    fraudCheckStep(),
    // The lease is lease_order's.
    openPaymentStep({ takeLease: false }),
    chargeStep(),
    recordChargeStep((state) => {
      const { paymentId, orderId, amountCents, fraudScore, charge } = state.payment;
      if (charge!.status !== "succeeded") return failure(declined(orderId, paymentId!));
      return { ok: true, status: 200, value: { paymentId: paymentId!, orderId, status: "COMPLETED", amountCents, fraudScore, message: "Payment completed" } };
    }),
  ],
  // Keys left in progress by the previous code named the point after the lease "order_claimed".
  renamedPoints: { order_claimed: "lease_order" },
  withGatewayKey: (state, gatewayKey) => ({ ...state, payment: { ...state.payment, gatewayKey } }),
  // After a crash: past lease_order the lease is taken again (its own run); past open_payment, with the open payment.
  resume: async (sql, point, resourceId, initial) => {
    if (point === "lease_order") {
      const leased = await leaseOrderStep.run(sql, initial);
      // Its total went to 0 after the crash (a 100%-off coupon): this key's attempt was for another amount.
      if ("finish" in leased) throw new DomainError("AMOUNT_MISMATCH", "The order's total changed to 0 since this payment began; pay it with a new key");
      return leased;
    }
    return { ...initial, payment: await resumeOpenPayment(sql, resourceId, initial.payment.gatewayKey) };
  },
};

/** The order's owner or an admin pays it; only an admin may skip the fraud check. */
export async function processPayment(
  principal: Principal,
  rawInput: unknown,
  idempotencyKey: string | null | undefined,
  options: PaymentOptions,
): Promise<IdempotentResult<PaymentResult>> {
  await consumeRateLimit(principal, "payment");
  requireSignedIn(principal);
  if (!options.fraudCheck) requireAdmin(principal, "pay without the fraud check");
  const key = requireIdempotencyKey(idempotencyKey);
  const parsed = parseInput(paymentInputSchema, rawInput);
  const input = { ...parsed, amountCents: parsed.amountCents ?? null, cardLast4: parsed.cardLast4 ?? null };
  const userId = await orderOwner(input.orderId);
  requireOwnOrNotFound(principal, userId, "Order", input.orderId);
  annotateRequest({ userId });
  const scope = idempotencyScope(principal, userId!);
  const request = { scope, operation: "payment", key, fingerprint: fingerprint({ ...input, fraudCheck: options.fraudCheck }) };
  const initial: PayState = {
    principal,
    input,
    fraudCheck: options.fraudCheck,
    // The gateway key is the claimed attempt's (payFlow.withGatewayKey).
    payment: { orderId: input.orderId, amountCents: 0 as Cents, paymentMethod: input.paymentMethod, cardLast4: input.cardLast4, gatewayKey: "", fraudScore: null },
  };
  try {
    return await runFlow(payFlow, request, initial);
  } catch (error) {
    businessMetrics.payments.inc({ outcome: error instanceof DomainError ? error.code.toLowerCase() : "error" });
    throw error;
  }
}
