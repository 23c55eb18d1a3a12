import type { Principal } from "../../auth/principal.js";
import { ForbiddenError } from "../../errors.js";
import type { OrderStatus } from "../../generated/sqlite/enums.js";
import { canActFor, idempotencyScope, requireSignedIn } from "../common/index.js";
import { annotateRequest } from "../../lib/request-context.js";
import { auditAdminWrite } from "../audit/index.js";
import { consumeRateLimit } from "../rate-limits/index.js";
import { isRecord } from "../../lib/validation.js";
import type { Cents } from "../../lib/money.js";
import { failure, fingerprint, finish, type Flow, type IdempotentResult, type Outcome, requireIdempotencyKey, runFlow } from "../idempotency/index.js";
import type { Sql } from "../../db/sql.js";
import { findOrderTotals, markOrderPaid } from "../orders/index.js";
import { chargeStep, declined, fraudCheckStep, openPaymentStep, recordChargeStep, resumeOpenPayment, type PaymentAttempt } from "../payments/steps/index.js";
import { parseCheckoutInput, type CheckoutInput } from "./input.js";
import { placeOrder, type PlacedOrder } from "./place-order.js";

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

interface CheckoutState {
  principal: Principal;
  input: CheckoutInput;
  gatewayKey: string;
  order?: PlacedOrder;
  payment?: PaymentAttempt;
}

/** The payment attempt for the placed order: its total, the card the checkout named, this attempt's gateway key. */
function withAttempt(state: CheckoutState, order: PlacedOrder): CheckoutState {
  const { input, gatewayKey } = state;
  const payment = { orderId: order.id, amountCents: order.totalCents as Cents, paymentMethod: input.paymentMethod!, cardLast4: input.cardLast4, gatewayKey, fraudScore: null };
  return { ...state, order, payment };
}

/**
 * Checkout in steps, none holding a transaction across the network
 * (docs/idempotency.md has the crash analysis): place the order (and without
 * a payment method, or with nothing to charge, stop there), score it for
 * fraud as every customer payment is, lease it and open its payment (or
 * reject it: the order stays PENDING, payable again), charge the card,
 * record the charge.
 */
const checkoutFlow: Flow<CheckoutState, CheckoutResult> = {
  steps: [
    {
      kind: "transaction",
      name: "place_order",
      resource: (s) => s.order!.id,
      run: async (sql, state) => {
        const order = await placeOrder(sql, state.input);
        const details = { userId: state.input.userId, totalCents: order.totalCents, couponCode: state.input.couponCode ?? null };
        await auditAdminWrite(sql, state.principal, { action: "order.create", subjectType: "Order", subjectId: order.id, details });
        if (!state.input.paymentMethod) return finish(success(order, null, "PENDING", "Order placed; awaiting payment"));
        if (order.totalCents === 0) return finish(await completeFreeOrder(sql, order));
        return withAttempt(state, order);
      },
    },
    fraudCheckStep(),
    openPaymentStep({ takeLease: true }),
    chargeStep(),
    recordChargeStep(({ order, payment }) =>
      payment!.charge!.status === "succeeded"
        ? success(order!, payment!.paymentId!, "PAID", "Order placed and paid")
        : failure(declined(order!.id, payment!.paymentId!)),
    ),
  ],
  // Keys left in progress by the previous code named the point after placing the order "order_placed".
  renamedPoints: { order_placed: "place_order" },
  withGatewayKey: (state, gatewayKey) => ({ ...state, gatewayKey }),
  // After a crash: past place_order the order is reloaded; past open_payment the open payment too, its lease taken again.
  resume: async (sql, point, resourceId, initial) => {
    const payment = point === "open_payment" ? await resumeOpenPayment(sql, resourceId, initial.gatewayKey) : undefined;
    const order = await findOrderTotals(sql, payment?.orderId ?? resourceId);
    if (!order) throw new Error(`checkout resumed at ${point} without its order`);
    const resumed = withAttempt(initial, order);
    return payment ? { ...resumed, payment } : resumed;
  },
};

/**
 * A customer checks out for themself (the body's `userId` may be left out, or
 * must be their own: 403 otherwise); an admin names the user.
 */
export async function checkout(principal: Principal, rawInput: unknown, idempotencyKey: string | null | undefined): Promise<IdempotentResult<CheckoutResult>> {
  await consumeRateLimit(principal, "checkout");
  requireSignedIn(principal);
  const key = requireIdempotencyKey(idempotencyKey);
  const own = principal.kind === "customer" && isRecord(rawInput) && (rawInput.userId === undefined || rawInput.userId === null);
  const input = parseCheckoutInput(own ? { ...rawInput, userId: principal.userId } : rawInput);
  if (!canActFor(principal, input.userId)) throw new ForbiddenError("A customer checks out for themself: leave userId out or send your own");
  annotateRequest({ userId: input.userId });
  const request = { scope: idempotencyScope(principal, input.userId), operation: "checkout", key, fingerprint: fingerprint(input) };
  // The gateway key is the claimed attempt's (checkoutFlow.withGatewayKey).
  return runFlow(checkoutFlow, request, { principal, input, gatewayKey: "" });
}

/**
 * A 0-cent order (a 100%-off coupon) never reaches the card gateway: there is
 * nothing to charge, so it is PAID at once, with no payment row.
 */
async function completeFreeOrder(sql: Sql, order: PlacedOrder): Promise<Outcome<CheckoutResult>> {
  const now = new Date();
  await markOrderPaid(sql, order.id, now);
  return success(order, null, "PAID", "Order placed; nothing to charge");
}

function success(order: PlacedOrder, paymentId: number | null, status: OrderStatus, message: string): Outcome<CheckoutResult> {
  const { subtotalCents, discountCents, totalCents } = order;
  return { ok: true, status: 201, value: { orderId: order.id, paymentId, status, subtotalCents, discountCents, totalCents, message } };
}
