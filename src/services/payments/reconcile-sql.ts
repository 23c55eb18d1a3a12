import { readRows } from "../../db/index.js";
import { PaymentStatus } from "../../generated/sqlite/enums.js";
import { columns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";

const ORPHAN = columns("SimulatedGatewayCharge", ["chargeId", "idempotencyKey", "amountCents", "status", "declineCode"], "c");
const ATTEMPT = columns("Payment", ["id", "orderId", "status", "amountCents", "paymentMethod", "cardLast4", "fraudScore", "gatewayKey"]);

export type OrphanCharge = ReturnType<typeof ORPHAN.decode>;
export type ChargedAttempt = ReturnType<typeof ATTEMPT.decode>;

export const statements = {
  /**
   * Succeeded charges older than the cut-off, not refunded whole, that no payment records as
   * paid: none COMPLETED, and none whose refunds gave some of it back (a payment REFUNDED by
   * refunds recorded its charge; only reconciliation's own REFUNDED mark has refundedCents 0).
   */
  orphanCharges: `SELECT ${ORPHAN.list} FROM "SimulatedGatewayCharge" c
    WHERE c."status" = ? AND c."createdAt" < ? AND c."refundedAt" IS NULL
      AND NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."gatewayChargeId" = c."chargeId" AND (p."status" = ? OR p."refundedCents" > 0))
    ORDER BY c."createdAt" LIMIT ?`,
  paymentOfCharge: `SELECT "status", "refundedCents" FROM "Payment" WHERE "gatewayChargeId" = ?`,
  attemptByGatewayKey: `SELECT ${ATTEMPT.list} FROM "Payment" WHERE "gatewayKey" = ? ORDER BY "id" DESC LIMIT 1`,
};

export async function orphanCharges(olderThan: Date, limit: number): Promise<OrphanCharge[]> {
  return (await readRows(statements.orphanCharges, ["succeeded", olderThan, PaymentStatus.COMPLETED, limit])).map(ORPHAN.decode);
}

/**
 * How the payment that holds this charge stands, if one does: COMPLETED (paid; its refunds,
 * if any, went through the refund flow), REFUNDED by its refunds (refundedCents > 0), or
 * REFUNDED by reconciliation's own mark of an orphan (refundedCents 0).
 */
export async function paymentOfCharge(sql: Sql, chargeId: string): Promise<{ status: string; refundedCents: number } | undefined> {
  return sql.get<{ status: string; refundedCents: number }>(statements.paymentOfCharge, [chargeId]);
}

/** The newest payment attempt that charged the gateway with this key. */
export async function attemptByGatewayKey(sql: Sql, gatewayKey: string): Promise<ChargedAttempt | undefined> {
  const row = await sql.get(statements.attemptByGatewayKey, [gatewayKey]);
  return row ? ATTEMPT.decode(row) : undefined;
}

/** The reconciler's lock for the engine's `exclusive` ("recon" in ASCII). */
export const RECONCILER_LOCK = 0x7265636f6e;
