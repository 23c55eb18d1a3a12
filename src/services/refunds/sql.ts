import { readRows } from "../../db/index.js";
import { allColumns, columns, type Row } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { PaymentStatus, RefundStatus } from "../../generated/sqlite/enums.js";

export type Refund = Row<"Refund">;
export type RefundChanges = Partial<Pick<Refund, "gatewayRefundId" | "failureCode">>;

const REFUND = allColumns("Refund");
const REFUNDABLE = columns("Payment", ["id", "orderId", "status", "amountCents", "refundedCents", "refundPendingCents", "gatewayChargeId"], "p");
export type RefundablePayment = ReturnType<typeof REFUNDABLE.decode> & { userId: number };

export const statements = {
  refundable: `SELECT ${REFUNDABLE.list}, o."userId" FROM "Payment" p JOIN "Order" o ON o."id" = p."orderId" WHERE p."id" = ?`,
  /** Holds `amount` of a COMPLETED charge for a refund, unless what is refunded and held would pass the charge. */
  hold: `UPDATE "Payment" SET "refundPendingCents" = "refundPendingCents" + ?, "updatedAt" = ?
    WHERE "id" = ? AND "status" = ? AND "gatewayChargeId" IS NOT NULL AND "amountCents" - "refundedCents" - "refundPendingCents" >= ?`,
  /** A settled refund's amount leaves the hold: into refundedCents when it succeeded. */
  settleHold: `UPDATE "Payment" SET "refundPendingCents" = "refundPendingCents" - ?, "refundedCents" = "refundedCents" + ?, "updatedAt" = ?
    WHERE "id" = ? AND "refundPendingCents" >= ?`,
  insert: `INSERT INTO "Refund" ("paymentId", "status", "amountCents", "reason", "actor", "gatewayKey", "createdAt", "updatedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${REFUND.list}`,
  byId: `SELECT ${REFUND.list} FROM "Refund" WHERE "id" = ?`,
  updateStatus: `UPDATE "Refund" SET "status" = ?, "gatewayRefundId" = ?, "failureCode" = ?, "updatedAt" = ? WHERE "id" = ? AND "status" = ?`,
  pendingBefore: `SELECT "id" FROM "Refund" WHERE "status" = ? AND "createdAt" < ? AND "id" > ? ORDER BY "id" LIMIT ?`,
};

export async function refundablePayment(sql: Sql, paymentId: number): Promise<RefundablePayment | undefined> {
  const row = await sql.get<{ userId: number }>(statements.refundable, [paymentId]);
  return row ? { ...REFUNDABLE.decode(row), userId: row.userId } : undefined;
}

/** True when the amount is now held for a refund. */
export async function holdRefund(sql: Sql, paymentId: number, amountCents: number, now: Date): Promise<boolean> {
  return (await sql.run(statements.hold, [amountCents, now, paymentId, PaymentStatus.COMPLETED, amountCents])) === 1;
}

export async function settleHold(sql: Sql, paymentId: number, amountCents: number, refunded: boolean, now: Date): Promise<void> {
  const moved = await sql.run(statements.settleHold, [amountCents, refunded ? amountCents : 0, now, paymentId, amountCents]);
  if (moved !== 1) throw new Error(`payment ${paymentId} holds less than the ${amountCents} cents being settled`);
}

export interface NewRefund {
  paymentId: number;
  amountCents: number;
  reason: string | null;
  actor: string;
  gatewayKey: string;
}

export async function insertRefund(sql: Sql, refund: NewRefund, now: Date): Promise<Refund> {
  const params = [refund.paymentId, RefundStatus.PENDING, refund.amountCents, refund.reason, refund.actor, refund.gatewayKey, now, now];
  return REFUND.decode(await sql.get(statements.insert, params));
}

export async function refundById(sql: Sql, refundId: number): Promise<Refund | undefined> {
  const row = await sql.get(statements.byId, [refundId]);
  return row ? REFUND.decode(row) : undefined;
}

export async function updateRefundStatus(sql: Sql, refundId: number, from: RefundStatus, to: RefundStatus, changes: RefundChanges, now: Date): Promise<boolean> {
  const params = [to, changes.gatewayRefundId ?? null, changes.failureCode ?? null, now, refundId, from];
  return (await sql.run(statements.updateStatus, params)) === 1;
}

/** PENDING refunds opened before the cut-off: what reconciliation carries out. */
export async function pendingRefundsBefore(cutoff: Date, afterId: number, limit: number): Promise<number[]> {
  return (await readRows<{ id: number }>(statements.pendingBefore, [RefundStatus.PENDING, cutoff, afterId, limit])).map((r) => r.id);
}
