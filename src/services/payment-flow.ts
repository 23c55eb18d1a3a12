import { db, type Tx } from "../db/index.js";
import { DomainError, TransientError } from "../errors.js";
import type { Cents } from "../lib/money.js";
import { chargeCard, type Charge } from "./external/card-gateway.js";
import { orderNotPending, transitionOrder } from "./order-state.js";
import { businessMetrics } from "../lib/metrics.js";
import { settings } from "./settings.js";

export interface PaymentAttempt {
  orderId: number;
  amountCents: Cents;
  paymentMethod: string;
  cardLast4: string | null;
  /** Derived from the client's idempotency key: the gateway charges once per attempt, whatever happens here. */
  gatewayKey: string;
  fraudScore?: number | null;
}

export interface RecordedPayment {
  paymentId: number;
  status: "COMPLETED" | "FAILED";
  charge: Charge;
}

/**
 * Takes the order's payment lease: a conditional update that succeeds for one
 * caller while the order is PENDING and no other attempt holds a live lease.
 * Of two concurrent attempts on one order, only one ever reaches the gateway.
 */
export async function claimOrderForPayment(tx: Tx, orderId: number, now = new Date()): Promise<void> {
  const leaseUntil = new Date(now.getTime() + settings().idempotencyLockTimeoutMs);
  const { count } = await tx.order.updateMany({
    where: {
      id: orderId,
      status: "PENDING",
      OR: [{ paymentClaimedUntil: null }, { paymentClaimedUntil: { lte: now } }],
    },
    data: { paymentClaimedUntil: leaseUntil },
  });
  if (count === 1) return;
  const order = await tx.order.findUnique({ where: { id: orderId }, select: { status: true } });
  if (!order) throw new DomainError("NOT_FOUND", `Order ${orderId} not found`);
  if (order.status !== "PENDING") throw orderNotPending(orderId, order.status);
  throw new TransientError("ORDER_NOT_PENDING", `A payment for order ${orderId} is already in progress; retry shortly`, 1);
}

/** Ends the lease after an attempt that charged nothing (fraud check down, gateway timeout). */
export async function releaseOrderClaim(orderId: number): Promise<void> {
  await db().order.updateMany({ where: { id: orderId }, data: { paymentClaimedUntil: null } });
}

/** Charges the card. A network call: never inside a transaction (the gateway client refuses). */
export function chargeForAttempt(attempt: PaymentAttempt): Promise<Charge> {
  return chargeCard({ idempotencyKey: attempt.gatewayKey, amountCents: attempt.amountCents, cardLast4: attempt.cardLast4 });
}

/**
 * Records the gateway's answer in one short transaction: a success marks the
 * order PAID and commits its stock reservations; a decline leaves the order
 * PENDING (payable again) with a FAILED payment.
 */
export async function recordCharge(tx: Tx, attempt: PaymentAttempt, charge: Charge, now = new Date()): Promise<RecordedPayment> {
  const succeeded = charge.status === "succeeded";
  businessMetrics.payments.inc({ outcome: succeeded ? "completed" : "declined" });
  const payment = await tx.payment.create({
    data: {
      orderId: attempt.orderId,
      status: succeeded ? "COMPLETED" : "FAILED",
      amountCents: attempt.amountCents,
      paymentMethod: attempt.paymentMethod,
      cardLast4: attempt.cardLast4,
      fraudScore: attempt.fraudScore ?? null,
      gatewayChargeId: charge.chargeId,
      failureCode: succeeded ? null : (charge.declineCode ?? "card_declined"),
      failureMessage: succeeded ? null : "The card was declined",
    },
  });
  if (succeeded) {
    const paid = await transitionOrder(tx, attempt.orderId, "PENDING", "PAID", {
      paidAt: now,
      reservedUntil: null,
      paymentClaimedUntil: null,
    });
    if (!paid) throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} is no longer payable`);
    await tx.inventoryReservation.updateMany({
      where: { orderId: attempt.orderId, status: "ACTIVE" },
      data: { status: "COMMITTED" },
    });
  } else {
    await tx.order.update({ where: { id: attempt.orderId }, data: { paymentClaimedUntil: null } });
  }
  return { paymentId: payment.id, status: succeeded ? "COMPLETED" : "FAILED", charge };
}

export function declined(orderId: number, paymentId: number): DomainError {
  return new DomainError("PAYMENT_DECLINED", "The card was declined; the order is still open for another payment", {
    orderId,
    paymentId,
  });
}
