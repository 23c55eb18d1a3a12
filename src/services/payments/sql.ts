import { columns, type Row } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { OrderStatus, PaymentStatus } from "../../generated/sqlite/enums.js";

export type Payment = Row<"Payment">;
export type PaymentChanges = Partial<Pick<Payment, "gatewayChargeId" | "failureCode" | "failureMessage">>;

const OPEN_PAYMENT = columns("Payment", ["id", "orderId", "status", "amountCents", "paymentMethod", "cardLast4", "fraudScore", "gatewayChargeId", "gatewayKey"]);

export const statements = {
  insertPayment: `INSERT INTO "Payment" ("orderId", "status", "amountCents", "paymentMethod", "cardLast4", "fraudScore", "gatewayKey", "createdAt", "updatedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
  paymentById: `SELECT ${OPEN_PAYMENT.list} FROM "Payment" WHERE "id" = ?`,
  updateStatus: `UPDATE "Payment" SET "status" = ?, "gatewayChargeId" = COALESCE(?, "gatewayChargeId"), "failureCode" = ?, "failureMessage" = ?, "updatedAt" = ?
    WHERE "id" = ? AND "status" = ?`,
  leaseOrder: `UPDATE "Order" SET "paymentClaimedUntil" = ?, "updatedAt" = ?
    WHERE "id" = ? AND "status" = ? AND ("paymentClaimedUntil" IS NULL OR "paymentClaimedUntil" <= ?)`,
  endLease: `UPDATE "Order" SET "paymentClaimedUntil" = NULL, "updatedAt" = ? WHERE "id" = ?`,
};

export interface NewPayment {
  orderId: number;
  amountCents: number;
  paymentMethod: string;
  cardLast4: string | null;
  fraudScore: number | null;
  /** The key the gateway is charged with for this attempt. */
  gatewayKey: string;
}

export async function insertPendingPayment(sql: Sql, payment: NewPayment, now: Date): Promise<number> {
  const row = await sql.get<{ id: number }>(statements.insertPayment, [
    payment.orderId, PaymentStatus.PENDING, payment.amountCents, payment.paymentMethod, payment.cardLast4, payment.fraudScore, payment.gatewayKey, now, now,
  ]);
  return row!.id;
}

export async function paymentById(sql: Sql, paymentId: number) {
  const row = await sql.get(statements.paymentById, [paymentId]);
  return row ? OPEN_PAYMENT.decode(row) : undefined;
}

/** The conditional update behind `transitionPayment` (./state.ts). */
export async function updatePaymentStatus(
  sql: Sql,
  paymentId: number,
  from: PaymentStatus,
  to: PaymentStatus,
  changes: PaymentChanges,
  now: Date,
): Promise<boolean> {
  const params = [to, changes.gatewayChargeId ?? null, changes.failureCode ?? null, changes.failureMessage ?? null, now, paymentId, from];
  return (await sql.run(statements.updateStatus, params)) === 1;
}

/** Takes the order's payment lease while it is PENDING and no live lease exists: true when this call did. */
export async function leaseOrder(sql: Sql, orderId: number, leaseUntil: Date, now: Date): Promise<boolean> {
  return (await sql.run(statements.leaseOrder, [leaseUntil, now, orderId, OrderStatus.PENDING, now])) === 1;
}

export async function endLease(sql: Sql, orderId: number, now: Date): Promise<void> {
  await sql.run(statements.endLease, [now, orderId]);
}
