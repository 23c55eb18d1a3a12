import { readRows } from "../../db/index.js";
import { columns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";

/** The simulated card gateway's own ledger (a real provider keeps it on its side). */
const CHARGE = columns("SimulatedGatewayCharge", ["chargeId", "status", "declineCode", "amountCents"]);
export type ChargeRow = ReturnType<typeof CHARGE.decode>;
const REFUND = columns("SimulatedGatewayRefund", ["refundId", "chargeId", "idempotencyKey", "amountCents"]);
export type GatewayRefundRow = ReturnType<typeof REFUND.decode>;

export const statements = {
  insertCharge: `INSERT INTO "SimulatedGatewayCharge" ("chargeId", "idempotencyKey", "amountCents", "cardLast4", "status", "declineCode", "createdAt")
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("idempotencyKey") DO NOTHING RETURNING ${CHARGE.list}`,
  chargeByKey: `SELECT ${CHARGE.list} FROM "SimulatedGatewayCharge" WHERE "idempotencyKey" = ?`,
  countByKeyPrefix: `SELECT COUNT(*) AS "count" FROM "SimulatedGatewayCharge" WHERE substr("idempotencyKey", 1, ?) = ?`,
  /** A whole refund, once, and only of a charge no partial refund has touched (a real provider refuses more than the charge). */
  refund: `UPDATE "SimulatedGatewayCharge" SET "refundKey" = ?, "refundedAt" = ?
    WHERE "chargeId" = ? AND "status" = 'succeeded' AND "refundKey" IS NULL
      AND NOT EXISTS (SELECT 1 FROM "SimulatedGatewayRefund" r WHERE r."chargeId" = "SimulatedGatewayCharge"."chargeId")`,
  refundOf: `SELECT "refundKey", "refundedAt" FROM "SimulatedGatewayCharge" WHERE "chargeId" = ?`,
  /** A partial refund, unless the key has one or it would take the charge's refunds past the charge. */
  insertPartialRefund: `INSERT INTO "SimulatedGatewayRefund" ("refundId", "chargeId", "idempotencyKey", "amountCents", "createdAt")
    SELECT ?, c."chargeId", ?, ?, ? FROM "SimulatedGatewayCharge" c
    WHERE c."chargeId" = ? AND c."status" = 'succeeded' AND c."refundKey" IS NULL
      AND c."amountCents" - COALESCE((SELECT SUM(r."amountCents") FROM "SimulatedGatewayRefund" r WHERE r."chargeId" = c."chargeId"), 0) >= ?
    ON CONFLICT ("idempotencyKey") DO NOTHING RETURNING ${REFUND.list}`,
  partialRefundByKey: `SELECT ${REFUND.list} FROM "SimulatedGatewayRefund" WHERE "idempotencyKey" = ?`,
  partialRefundsOf: `SELECT ${REFUND.list} FROM "SimulatedGatewayRefund" WHERE "chargeId" = ? ORDER BY "id"`,
};

/** Records a charge unless the key has one: undefined when the key was already charged. */
export async function insertCharge(
  sql: Sql,
  charge: ChargeRow & { idempotencyKey: string; cardLast4: string | null },
  now: Date,
): Promise<ChargeRow | undefined> {
  const row = await sql.get(statements.insertCharge, [
    charge.chargeId, charge.idempotencyKey, charge.amountCents, charge.cardLast4, charge.status, charge.declineCode, now,
  ]);
  return row ? CHARGE.decode(row) : undefined;
}

export async function chargeByKey(sql: Sql, idempotencyKey: string): Promise<ChargeRow | undefined> {
  const row = await sql.get(statements.chargeByKey, [idempotencyKey]);
  return row ? CHARGE.decode(row) : undefined;
}

/** How many charges the ledger holds for keys starting with `prefix`. */
export async function countCharges(prefix: string): Promise<number> {
  const [row] = await readRows<{ count: number | string }>(statements.countByKeyPrefix, [prefix.length, prefix]);
  return Number(row?.count ?? 0);
}

/** Refunds a charge once: the first refund key wins; the answer says which key holds the refund (undefined: no such charge). */
export async function refundOnce(sql: Sql, chargeId: string, refundKey: string, now: Date): Promise<{ refundKey: string | null; refundedAt: Date | string | null } | undefined> {
  await sql.run(statements.refund, [refundKey, now, chargeId]);
  return sql.get(statements.refundOf, [chargeId]);
}

/** Records a partial refund: the key's refund (new or earlier), or undefined when the charge cannot take it. */
export async function insertPartialRefund(
  sql: Sql,
  refund: { refundId: string; chargeId: string; idempotencyKey: string; amountCents: number },
  now: Date,
): Promise<GatewayRefundRow | undefined> {
  const row = await sql.get(statements.insertPartialRefund, [refund.refundId, refund.idempotencyKey, refund.amountCents, now, refund.chargeId, refund.amountCents]);
  if (row) return REFUND.decode(row);
  const earlier = await sql.get(statements.partialRefundByKey, [refund.idempotencyKey]);
  return earlier ? REFUND.decode(earlier) : undefined;
}

/** The gateway's partial refunds of a charge: what reconciliation and the chaos invariants compare with our refunds. */
export async function partialRefundsOf(chargeId: string): Promise<GatewayRefundRow[]> {
  return (await readRows(statements.partialRefundsOf, [chargeId])).map(REFUND.decode);
}
