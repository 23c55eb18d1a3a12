import { z } from "zod";
import { db } from "../db/index.js";
import { DomainError, NotFoundError } from "../errors.js";
import { MAX_CENTS, type Cents } from "../lib/money.js";
import { id, parseInput } from "../lib/validation.js";
import {
  beginIdempotent,
  failure,
  finishIdempotent,
  fingerprint,
  gatewayKeyFor,
  requireIdempotencyKey,
  saveRecoveryPoint,
  unlockIdempotencyKey,
  type IdempotentRequest,
  type IdempotentResult,
  type Outcome,
} from "./idempotency.js";
import {
  chargeForAttempt,
  claimOrderForPayment,
  declined,
  endOrderClaim,
  insertPayment,
  recordCharge,
  releaseOrderClaim,
  type PaymentAttempt,
} from "./payment-flow.js";
import { orderNotPending } from "./order-state.js";
import { settings } from "./settings.js";
import { businessMetrics } from "../lib/metrics.js";
import { annotateRequest } from "../lib/request-context.js";

export const paymentInputSchema = z.strictObject({
  orderId: id,
  amountCents: z.number().int("must be a whole number of cents").min(0, "must not be negative").max(MAX_CENTS, "is too large").nullish(),
  paymentMethod: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "must be a payment method name such as credit_card"),
  cardLast4: z.string().regex(/^\d{4}$/, "must be the last 4 digits of the card").nullish(),
});

export type PaymentInput = z.input<typeof paymentInputSchema>;

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

const OPERATION = "payment";

/**
 * Pays a PENDING order in short steps, no transaction or connection held across
 * a network call (docs/postmortems/2026-payments-pool-exhaustion.md):
 *  1. one short transaction claims the idempotency key and the order's payment lease;
 *  2. fraud check and card charge, outside any transaction, each with a timeout;
 *  3. one short transaction records the result and completes the key.
 * The amount charged is always the order's total from the database.
 */
export async function processPayment(
  rawInput: unknown,
  idempotencyKey: string | null | undefined,
  options: PaymentOptions,
): Promise<IdempotentResult<PaymentResult>> {
  const key = requireIdempotencyKey(idempotencyKey);
  const parsed = parseInput(paymentInputSchema, rawInput);
  const input = { ...parsed, amountCents: parsed.amountCents ?? null, cardLast4: parsed.cardLast4 ?? null };
  const owner = await db().order.findUnique({ where: { id: input.orderId }, select: { userId: true } });
  if (!owner) throw new NotFoundError("Order", input.orderId);
  annotateRequest({ userId: owner.userId });
  const request: IdempotentRequest = {
    scope: `user:${owner.userId}`,
    operation: OPERATION,
    key,
    fingerprint: fingerprint({ ...input, fraudCheck: options.fraudCheck }),
  };

  const begun = await beginIdempotent<PaymentResult, { totalCents: Cents }>(request, async (sql, claim) => {
    const order = await sql.get<{ id: number; status: string; totalCents: number }>(
      `SELECT "id", "status", "totalCents" FROM "Order" WHERE "id" = ?`,
      [input.orderId],
    );
    if (!order) throw new NotFoundError("Order", input.orderId);
    if (order.status !== "PENDING") throw orderNotPending(order.id, order.status);
    if (input.amountCents !== null && input.amountCents !== order.totalCents) {
      throw new DomainError("AMOUNT_MISMATCH", `The amount does not match the order total of ${order.totalCents} cents`, {
        orderTotalCents: order.totalCents,
        requestedCents: input.amountCents,
      });
    }
    await claimOrderForPayment(sql, order.id);
    if (claim.kind === "new") await saveRecoveryPoint(sql, claim.id, "order_claimed", order.id);
    return { state: { totalCents: order.totalCents as Cents } };
  });
  if (begun.kind === "done") return begun.result;
  const step = { keyId: begun.keyId, totalCents: begun.state.totalCents };

  const attempt: PaymentAttempt = {
    orderId: input.orderId,
    amountCents: step.totalCents,
    paymentMethod: input.paymentMethod,
    cardLast4: input.cardLast4,
    gatewayKey: gatewayKeyFor(request),
  };
  let charged = false;
  try {
    if (options.fraudCheck) {
      const { score } = await settings().fraudCheck.check(attempt.amountCents);
      attempt.fraudScore = score;
      if (score >= settings().fraudRejectThreshold) {
        businessMetrics.payments.inc({ outcome: "fraud_rejected" });
        return await recordFraudRejection(step.keyId, attempt, score);
      }
    }
    const charge = await chargeForAttempt(attempt);
    charged = true;
    return await finishIdempotent(step.keyId, async (sql): Promise<Outcome<PaymentResult>> => {
      const payment = await recordCharge(sql, attempt, charge);
      if (payment.status !== "COMPLETED") return failure(declined(attempt.orderId, payment.paymentId));
      const value: PaymentResult = {
        paymentId: payment.paymentId,
        orderId: attempt.orderId,
        status: "COMPLETED",
        amountCents: attempt.amountCents,
        fraudScore: attempt.fraudScore ?? null,
        message: "Payment completed",
      };
      return { ok: true, status: 200, value };
    });
  } catch (error) {
    businessMetrics.payments.inc({ outcome: error instanceof DomainError ? error.code.toLowerCase() : "error" });
    if (!charged) await releaseOrderClaim(attempt.orderId);
    await unlockIdempotencyKey(step.keyId);
    throw error;
  }
}

function recordFraudRejection(keyId: number, attempt: PaymentAttempt, score: number): Promise<IdempotentResult<PaymentResult>> {
  return finishIdempotent(keyId, async (sql) => {
    const paymentId = await insertPayment(sql, attempt, {
      status: "FAILED",
      gatewayChargeId: null,
      failureCode: "fraud_rejected",
      failureMessage: "Rejected by the fraud check",
    });
    await endOrderClaim(sql, attempt.orderId);
    return failure(
      new DomainError("FRAUD_REJECTED", "The payment was rejected by the fraud check; nothing was charged", {
        orderId: attempt.orderId,
        paymentId,
        fraudScore: score,
      }),
    );
  });
}

