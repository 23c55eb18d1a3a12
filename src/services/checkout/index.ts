import { annotateRequest } from "../../lib/request-context.js";
import type { Cents } from "../../lib/money.js";
import type { OrderStatus } from "../../generated/sqlite/enums.js";
import {
  beginIdempotent,
  failure,
  finishIdempotent,
  fingerprint,
  gatewayKeyFor,
  recoveredResource,
  requireIdempotencyKey,
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
import { parseCheckoutInput, type CheckoutInput } from "./input.js";
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

const OPERATION = "checkout";

/**
 * Checkout in short steps, none holding a transaction across the network
 * (docs/idempotency.md has the crash analysis):
 *  1. one transaction claims the key, places the order, reserves stock and
 *     takes the order's payment lease (or stores a deterministic failure, or
 *     finds the outcome to replay); a resumed key finds its order instead;
 *  2. outside any transaction the gateway charges, under a key derived from the
 *     client's, so a retry after a crash gets the original charge back;
 *  3. one transaction records the charge and completes the key.
 */
export async function checkout(rawInput: unknown, idempotencyKey: string | null | undefined): Promise<IdempotentResult<CheckoutResult>> {
  const key = requireIdempotencyKey(idempotencyKey);
  const input = parseCheckoutInput(rawInput);
  annotateRequest({ userId: input.userId });
  const request: IdempotentRequest = { scope: `user:${input.userId}`, operation: OPERATION, key, fingerprint: fingerprint(input) };

  const begun = await beginIdempotent<CheckoutResult, { order: OrderTotals }>(request, async (sql, claim) => {
    if (claim.kind === "resume") {
      const orderId = recoveredResource(claim);
      await claimOrderForPayment(sql, orderId);
      const order = await sql.get<OrderTotals>(`SELECT "id", "subtotalCents", "discountCents", "totalCents" FROM "Order" WHERE "id" = ?`, [orderId]);
      return { state: { order: order! } };
    }
    const order = await placeOrder(sql, input);
    await saveRecoveryPoint(sql, claim.id, "order_placed", order.id);
    if (!input.paymentMethod) return { outcome: success(order.id, null, "PENDING", order, "Order placed; awaiting payment") };
    await claimOrderForPayment(sql, order.id);
    return { state: { order } };
  });
  if (begun.kind === "done") return begun.result;

  const { keyId, state } = begun;
  const progress = { charged: false };
  try {
    return await payForOrder(keyId, state.order, input, request, progress);
  } catch (error) {
    // Once the gateway charged, the order's lease stays until it times out: no
    // other attempt may charge again before this key's retry records the charge.
    if (!progress.charged) await releaseOrderClaim(state.order.id);
    await unlockIdempotencyKey(keyId);
    throw error;
  }
}

interface OrderTotals {
  id: number;
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
}

async function payForOrder(
  keyId: number,
  order: OrderTotals,
  input: CheckoutInput,
  request: IdempotentRequest,
  progress: { charged: boolean },
): Promise<IdempotentResult<CheckoutResult>> {
  const attempt: PaymentAttempt = {
    orderId: order.id,
    amountCents: order.totalCents as Cents,
    paymentMethod: input.paymentMethod!,
    cardLast4: input.cardLast4,
    gatewayKey: gatewayKeyFor(request),
  };
  const charge = await chargeForAttempt(attempt);
  progress.charged = true;
  return finishIdempotent(keyId, async (sql) => {
    const payment = await recordCharge(sql, attempt, charge);
    return payment.status === "COMPLETED"
      ? success(order.id, payment.paymentId, "PAID", order, "Order placed and paid")
      : failure(declined(order.id, payment.paymentId));
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
