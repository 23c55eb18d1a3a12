import { db, transaction, withSavepoint } from "../../db/index.js";
import { DomainError } from "../../errors.js";
import type { Cents } from "../../lib/money.js";
import type { OrderStatus } from "../../generated/sqlite/enums.js";
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
} from "../idempotency.js";
import {
  chargeForAttempt,
  claimOrderForPayment,
  declined,
  recordCharge,
  releaseOrderClaim,
  type PaymentAttempt,
} from "../payment-flow.js";
import { parseCheckoutInput, requireIdempotencyKey, type CheckoutInput } from "./input.js";
import { placeOrder } from "./place-order.js";

export { parseCheckoutInput, type CheckoutInput };

export interface CheckoutResult {
  orderId: number;
  paymentId: number | null;
  status: OrderStatus;
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
  message: string;
}

type Step =
  | { kind: "done"; outcome: Outcome<CheckoutResult>; replayed: boolean }
  | { kind: "pay"; keyId: number; orderId: number };

const OPERATION = "checkout";
const ORDER_PLACED = "order_placed";

/**
 * Checkout in short steps, none holding a transaction across the network
 * (docs/idempotency.md has the crash analysis):
 *  1. one transaction claims the key, places the order and reserves stock (or
 *     stores a deterministic failure, or finds the outcome to replay);
 *  2. outside any transaction the gateway charges, under a key derived from the
 *     client's, so a retry after a crash gets the original charge back;
 *  3. one transaction records the charge and completes the key.
 */
export async function checkout(rawInput: unknown, idempotencyKey: string | null | undefined): Promise<IdempotentResult<CheckoutResult>> {
  const key = requireIdempotencyKey(idempotencyKey);
  const input = parseCheckoutInput(rawInput);
  const request: IdempotentRequest = { scope: `user:${input.userId}`, operation: OPERATION, key, fingerprint: fingerprint(input) };

  const step = await transaction(async (tx): Promise<Step> => {
    const claim = await claimIdempotencyKey(tx, request);
    if (claim.kind === "replay") return { kind: "done", outcome: replayOutcome<CheckoutResult>(claim), replayed: true };
    if (claim.kind === "resume") {
      if (claim.resourceId === null) throw new Error(`idempotency key ${claim.id} has no recovery point`);
      await claimOrderForPayment(tx, claim.resourceId).catch(async (error: unknown) => {
        if (isDeterministic(error)) return; // no longer PENDING: payForOrder stores ORDER_NOT_PENDING
        throw error;
      });
      return { kind: "pay", keyId: claim.id, orderId: claim.resourceId };
    }
    try {
      const order = await withSavepoint(tx, "place_order", async () => {
        const placed = await placeOrder(tx, input);
        if (input.paymentMethod) await claimOrderForPayment(tx, placed.id);
        return placed;
      });
      await saveRecoveryPoint(tx, claim.id, ORDER_PLACED, order.id);
      if (!input.paymentMethod) {
        const outcome = success(order.id, null, "PENDING", order, "Order placed; awaiting payment");
        await completeIdempotencyKey(tx, claim.id, outcome);
        return { kind: "done", outcome, replayed: false };
      }
      return { kind: "pay", keyId: claim.id, orderId: order.id };
    } catch (error) {
      if (!isDeterministic(error)) throw error;
      const outcome = failure(error);
      await completeIdempotencyKey(tx, claim.id, outcome);
      return { kind: "done", outcome, replayed: false };
    }
  });
  if (step.kind === "done") return { replayed: step.replayed, outcome: step.outcome };

  const progress = { charged: false };
  try {
    return { replayed: false, outcome: await payForOrder(step.keyId, step.orderId, input, request, progress) };
  } catch (error) {
    // Once the gateway charged, the order's lease stays until it times out: no
    // other attempt may charge again before this key's retry records the charge.
    if (!progress.charged) await releaseOrderClaim(step.orderId);
    await unlockIdempotencyKey(step.keyId);
    throw error;
  }
}

async function payForOrder(
  keyId: number,
  orderId: number,
  input: CheckoutInput,
  request: IdempotentRequest,
  progress: { charged: boolean },
): Promise<Outcome<CheckoutResult>> {
  const order = await db().order.findUniqueOrThrow({ where: { id: orderId } });
  if (order.status !== "PENDING") {
    // Resumed after the reservation lapsed: nothing left to pay for.
    const outcome = failure(new DomainError("ORDER_NOT_PENDING", `Order ${orderId} is ${order.status} and cannot be paid`));
    await transaction((tx) => completeIdempotencyKey(tx, keyId, outcome));
    return outcome;
  }
  const attempt: PaymentAttempt = {
    orderId,
    amountCents: order.totalCents as Cents,
    paymentMethod: input.paymentMethod!,
    cardLast4: input.cardLast4,
    gatewayKey: gatewayKeyFor(request),
  };
  const charge = await chargeForAttempt(attempt);
  progress.charged = true;
  return transaction(async (tx) => {
    const payment = await recordCharge(tx, attempt, charge);
    const outcome =
      payment.status === "COMPLETED"
        ? success(orderId, payment.paymentId, "PAID", order, "Order placed and paid")
        : failure(declined(orderId, payment.paymentId));
    await completeIdempotencyKey(tx, keyId, outcome);
    return outcome;
  });
}

function success(
  orderId: number,
  paymentId: number | null,
  status: OrderStatus,
  totals: { subtotalCents: number; discountCents: number; totalCents: number },
  message: string,
): Outcome<CheckoutResult> {
  const { subtotalCents, discountCents, totalCents } = totals;
  return { ok: true, status: 201, value: { orderId, paymentId, status, subtotalCents, discountCents, totalCents, message } };
}

