import { db } from "../db/index.js";
import type { Sql } from "../db/sql.js";
import { DomainError, TransientError } from "../errors.js";
import type { Cents } from "../lib/money.js";
import { chargeCard, type Charge } from "./external/card-gateway.js";
import { orderNotPending, transitionOrderSql } from "./order-state.js";
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
export async function claimOrderForPayment(sql: Sql, orderId: number, now = new Date()): Promise<void> {
  const leaseUntil = new Date(now.getTime() + settings().idempotencyLockTimeoutMs);
  const claimed = await sql.run(
    `UPDATE "Order" SET "paymentClaimedUntil" = ?, "updatedAt" = ?
     WHERE "id" = ? AND "status" = 'PENDING' AND ("paymentClaimedUntil" IS NULL OR "paymentClaimedUntil" <= ?)`,
    [leaseUntil, now, orderId, now],
  );
  if (claimed === 1) return;
  const order = await sql.get<{ status: string }>(`SELECT "status" FROM "Order" WHERE "id" = ?`, [orderId]);
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
export async function recordCharge(sql: Sql, attempt: PaymentAttempt, charge: Charge, now = new Date()): Promise<RecordedPayment> {
  const succeeded = charge.status === "succeeded";
  businessMetrics.payments.inc({ outcome: succeeded ? "completed" : "declined" });
  const paymentId = await insertPayment(sql, attempt, {
    status: succeeded ? "COMPLETED" : "FAILED",
    gatewayChargeId: charge.chargeId,
    failureCode: succeeded ? null : (charge.declineCode ?? "card_declined"),
    failureMessage: succeeded ? null : "The card was declined",
  }, now);
  if (succeeded) {
    const paid = await transitionOrderSql(sql, attempt.orderId, "PENDING", "PAID", {
      paidAt: now,
      reservedUntil: null,
      paymentClaimedUntil: null,
    }, now);
    if (!paid) throw new DomainError("ORDER_NOT_PENDING", `Order ${attempt.orderId} is no longer payable`);
    await sql.run(`UPDATE "InventoryReservation" SET "status" = 'COMMITTED', "updatedAt" = ? WHERE "orderId" = ? AND "status" = 'ACTIVE'`, [
      now,
      attempt.orderId,
    ]);
  } else {
    await endOrderClaim(sql, attempt.orderId, now);
  }
  return { paymentId, status: succeeded ? "COMPLETED" : "FAILED", charge };
}

/** Stores one payment attempt's row; returns its id. */
export async function insertPayment(
  sql: Sql,
  attempt: PaymentAttempt,
  result: { status: "COMPLETED" | "FAILED"; gatewayChargeId: string | null; failureCode: string | null; failureMessage: string | null },
  now = new Date(),
): Promise<number> {
  const row = await sql.get<{ id: number }>(
    `INSERT INTO "Payment" ("orderId", "status", "amountCents", "paymentMethod", "cardLast4", "fraudScore", "gatewayChargeId",
       "failureCode", "failureMessage", "createdAt", "updatedAt")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
    [
      attempt.orderId, result.status, attempt.amountCents, attempt.paymentMethod, attempt.cardLast4, attempt.fraudScore ?? null,
      result.gatewayChargeId, result.failureCode, result.failureMessage, now, now,
    ],
  );
  return row!.id;
}

/** Ends the order's payment lease inside a transaction (the attempt is recorded). */
export async function endOrderClaim(sql: Sql, orderId: number, now = new Date()): Promise<void> {
  await sql.run(`UPDATE "Order" SET "paymentClaimedUntil" = NULL, "updatedAt" = ? WHERE "id" = ?`, [now, orderId]);
}

export function declined(orderId: number, paymentId: number): DomainError {
  return new DomainError("PAYMENT_DECLINED", "The card was declined; the order is still open for another payment", {
    orderId,
    paymentId,
  });
}
