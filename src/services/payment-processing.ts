import { z } from "zod";
import { db, transaction, withSavepoint } from "../db/index.js";
import { DomainError, NotFoundError } from "../errors.js";
import { MAX_CENTS, type Cents } from "../lib/money.js";
import { id, parseInput } from "../lib/validation.js";
import { requireIdempotencyKey } from "./checkout/input.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  failure,
  fingerprint,
  gatewayKeyFor,
  isDeterministic,
  replayOutcome,
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
  recordCharge,
  releaseOrderClaim,
  type PaymentAttempt,
} from "./payment-flow.js";
import { orderNotPending } from "./order-state.js";
import { settings } from "./settings.js";

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
const ORDER_CLAIMED = "order_claimed";

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
  const request: IdempotentRequest = {
    scope: `user:${owner.userId}`,
    operation: OPERATION,
    key,
    fingerprint: fingerprint({ ...input, fraudCheck: options.fraudCheck }),
  };

  type Step = { kind: "done"; outcome: Outcome<PaymentResult>; replayed: boolean } | { kind: "pay"; keyId: number; totalCents: Cents };
  const step = await transaction(async (tx): Promise<Step> => {
    const claim = await claimIdempotencyKey(tx, request);
    if (claim.kind === "replay") return { kind: "done", outcome: replayOutcome<PaymentResult>(claim), replayed: true };
    try {
      const totalCents = await withSavepoint(tx, "claim_order", async () => {
        const order = await tx.order.findUniqueOrThrow({ where: { id: input.orderId } });
        if (order.status !== "PENDING") throw orderNotPending(order.id, order.status);
        if (input.amountCents !== null && input.amountCents !== order.totalCents) {
          throw new DomainError("AMOUNT_MISMATCH", `The amount does not match the order total of ${order.totalCents} cents`, {
            orderTotalCents: order.totalCents,
            requestedCents: input.amountCents,
          });
        }
        await claimOrderForPayment(tx, order.id);
        return order.totalCents as Cents;
      });
      if (claim.kind === "new") await saveRecoveryPoint(tx, claim.id, ORDER_CLAIMED, input.orderId);
      return { kind: "pay", keyId: claim.id, totalCents };
    } catch (error) {
      if (!isDeterministic(error)) throw error;
      const outcome = failure(error);
      await completeIdempotencyKey(tx, claim.id, outcome);
      return { kind: "done", outcome, replayed: false };
    }
  });
  if (step.kind === "done") return { replayed: step.replayed, outcome: step.outcome };

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
        return { replayed: false, outcome: await recordFraudRejection(step.keyId, attempt, score) };
      }
    }
    const charge = await chargeForAttempt(attempt);
    charged = true;
    const outcome = await transaction(async (tx) => {
      const payment = await recordCharge(tx, attempt, charge);
      const result: Outcome<PaymentResult> =
        payment.status === "COMPLETED"
          ? {
              ok: true,
              status: 200,
              value: {
                paymentId: payment.paymentId,
                orderId: attempt.orderId,
                status: "COMPLETED",
                amountCents: attempt.amountCents,
                fraudScore: attempt.fraudScore ?? null,
                message: "Payment completed",
              },
            }
          : failure(declined(attempt.orderId, payment.paymentId));
      await completeIdempotencyKey(tx, step.keyId, result);
      return result;
    });
    return { replayed: false, outcome };
  } catch (error) {
    if (!charged) await releaseOrderClaim(attempt.orderId);
    await unlockIdempotencyKey(step.keyId);
    throw error;
  }
}

async function recordFraudRejection(keyId: number, attempt: PaymentAttempt, score: number): Promise<Outcome<PaymentResult>> {
  return transaction(async (tx) => {
    const payment = await tx.payment.create({
      data: {
        orderId: attempt.orderId,
        status: "FAILED",
        amountCents: attempt.amountCents,
        paymentMethod: attempt.paymentMethod,
        cardLast4: attempt.cardLast4,
        fraudScore: score,
        failureCode: "fraud_rejected",
        failureMessage: "Rejected by the fraud check",
      },
    });
    await tx.order.update({ where: { id: attempt.orderId }, data: { paymentClaimedUntil: null } });
    const outcome = failure(
      new DomainError("FRAUD_REJECTED", "The payment was rejected by the fraud check; nothing was charged", {
        orderId: attempt.orderId,
        paymentId: payment.id,
        fraudScore: score,
      }),
    );
    await completeIdempotencyKey(tx, keyId, outcome);
    return outcome;
  });
}

