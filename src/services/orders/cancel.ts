import type { Principal } from "../../auth/principal.js";
import type { Sql } from "../../db/sql.js";
import { DomainError, TransientError } from "../../errors.js";
import { parseInput } from "../../lib/validation.js";
import { z } from "zod";
import { auditWrite } from "../audit/index.js";
import { idempotencyScope, requireOwnOrNotFound, requireSignedIn } from "../common/index.js";
import { finish, fingerprint, requireIdempotencyKey, runFlow, type Finish, type Flow, type IdempotentResult, type Outcome } from "../idempotency/index.js";
import { gatewayRefundStep, reason, refundablePayment, refundById, settleRefundStep, type Refund, type RefundFlowState } from "../refunds/index.js";
import { cancelOrder, refundRemaining, type Cancellation } from "./lifecycle.js";
import { completedPaymentOf, findOrderTotals, orderOwnerAndStatus } from "./sql.js";
import { consumeRateLimit } from "../rate-limits/index.js";

export const cancelInputSchema = z.strictObject({ reason });

/** What a cancellation answers: the order, read as it is now by the door. */
export interface CancelResult {
  orderId: number;
}

interface CancelState extends RefundFlowState {
  principal: Principal;
  orderId: number;
  cancellation: Cancellation;
}

const notCancellableByCustomer = (orderId: number, status: string) =>
  new DomainError("ORDER_NOT_CANCELLABLE", `Order ${orderId} is ${status}: a paid order is cancelled by support, who refund it`, { orderId, status });

const done = (orderId: number): Outcome<CancelResult> => ({ ok: true, status: 200, value: { orderId } });

/**
 * Cancels the order as its status allows (docs/refunds.md): PENDING by its
 * customer or an admin; PAID or PROCESSING (no shipment yet) by an admin only,
 * with the charge refunded; CANCELLED already: nothing changes.
 */
async function cancelAsAllowed(sql: Sql, state: CancelState, retried = false): Promise<CancelState | Finish<CancelResult>> {
  const { orderId, cancellation, principal } = state;
  const order = (await findOrderTotals(sql, orderId))!;
  switch (order.status) {
    case "CANCELLED": {
      // An admin's cancellation of a CANCELLED order finishes its refund if one was refused: what is left is refunded.
      const payment = principal.kind === "admin" ? await completedPaymentOf(sql, orderId) : undefined;
      const refused = payment !== undefined && payment.refundPendingCents === 0 && payment.amountCents > payment.refundedCents;
      const refund = refused ? await refundRemaining(sql, orderId, cancellation) : undefined;
      if (!refund) return finish(done(orderId));
      const details = { reason: cancellation.reason, from: "CANCELLED", refundId: refund.id, refundCents: refund.amountCents };
      await auditWrite(sql, principal, { action: "order.cancel", subjectType: "Order", subjectId: orderId, details });
      return withRefund(sql, state, refund);
    }
    case "FULFILLED":
      throw new DomainError("ORDER_ALREADY_FULFILLED", `Order ${orderId} was shipped: refund its payment instead`, { orderId, status: order.status });
    case "FAILED":
      throw new DomainError("ORDER_NOT_CANCELLABLE", `Order ${orderId} is FAILED: support resolves it`, { orderId, status: order.status });
    case "PAID":
    case "PROCESSING":
      if (principal.kind !== "admin") throw notCancellableByCustomer(orderId, order.status);
  }
  const cancelled = await cancelOrder(sql, orderId, order.status, cancellation);
  if (!cancelled) {
    if (order.status === "PENDING" && !retried && (await findOrderTotals(sql, orderId))!.status === "PENDING") {
      throw new TransientError("ORDER_NOT_CANCELLABLE", `A payment for order ${orderId} is in progress; retry shortly`, 1);
    }
    if (retried) throw new TransientError("ORDER_NOT_CANCELLABLE", `Order ${orderId} changed meanwhile; retry`, 1);
    return cancelAsAllowed(sql, state, true); // it moved on meanwhile (paid, cancelled, shipped): decide again
  }
  const { refund } = cancelled;
  const details = { reason: cancellation.reason, from: order.status, refundId: refund?.id ?? null, refundCents: refund?.amountCents ?? null };
  await auditWrite(sql, principal, { action: "order.cancel", subjectType: "Order", subjectId: orderId, details });
  return refund ? withRefund(sql, state, refund) : finish(done(orderId));
}

/** The state the refund steps carry out: the refund opened, and the charge it refunds. */
async function withRefund(sql: Sql, state: CancelState, refund: Refund): Promise<CancelState> {
  const payment = (await refundablePayment(sql, refund.paymentId))!;
  return { ...state, refund, chargeId: payment.gatewayChargeId! };
}

const cancelFlow: Flow<CancelState, CancelResult> = {
  steps: [
    {
      kind: "transaction",
      name: "cancel_order",
      resource: (state) => state.refund!.id,
      run: (sql, state) => cancelAsAllowed(sql, state),
    },
    gatewayRefundStep(),
    settleRefundStep((state) => done(state.orderId)),
  ],
  // Past cancel_order: the order is CANCELLED and its refund opened; the refund steps carry it out.
  resume: async (sql, _point, refundId, initial) => {
    const refund = await refundById(sql, refundId);
    if (!refund) throw new Error(`cancellation resumed without its refund ${refundId}`);
    return withRefund(sql, initial, refund);
  },
};

/**
 * A customer cancels their own PENDING order (another's is 404); an admin
 * any PENDING, PAID or PROCESSING order without a shipment. The
 * Idempotency-Key is optional: without one, the order's own key stands in, so
 * a repeated or concurrent cancellation by the same caller is one
 * cancellation (and one refund); another caller finds it CANCELLED.
 */
export async function requestCancellation(principal: Principal, orderId: number, rawInput: unknown, idempotencyKey: string | null | undefined): Promise<IdempotentResult<CancelResult>> {
  requireSignedIn(principal);
  // Each call with a new key stores one, for a day, even when the order is already cancelled: so they are counted.
  await consumeRateLimit(principal, "cancel");
  const order = await orderOwnerAndStatus(orderId);
  const owner = order?.userId;
  requireOwnOrNotFound(principal, owner, "Order", orderId);
  // What a customer may not do is refused before anything is written (the flow checks again, in its transaction).
  if (principal.kind !== "admin" && (order!.status === "PAID" || order!.status === "PROCESSING")) throw notCancellableByCustomer(orderId, order!.status);
  const input = parseInput(cancelInputSchema, rawInput ?? {});
  const keyed = idempotencyKey !== undefined && idempotencyKey !== null;
  const key = keyed ? requireIdempotencyKey(idempotencyKey) : `cancel-order-${orderId}`;
  const by = principal.kind === "admin" ? "admin" : "customer";
  const cancellation: Cancellation = { reason: input.reason ?? `cancelled by the ${by}`, by, actor: principal.sub };
  const request = {
    scope: idempotencyScope(principal, owner!),
    // Derived keys live under an operation of their own: no client key can take an order's.
    operation: keyed ? "cancel_order" : "cancel_order_unkeyed",
    key,
    // Without a client key, a repeat is the same cancellation whatever reason it gives.
    fingerprint: fingerprint(keyed ? { orderId, reason: input.reason } : { orderId }),
  };
  return runFlow(cancelFlow, request, { principal, orderId, cancellation });
}
