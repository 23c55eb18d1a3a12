import { randomBytes } from "node:crypto";
import { db } from "../../db/index.js";
import { sqlTransaction } from "../../db/sql.js";
import { DomainError, TransientError } from "../../errors.js";
import type { Cents } from "../../lib/money.js";
import { settings } from "../settings.js";
import { assertOutsideTransaction, simulatedLatency } from "./guard.js";

/**
 * A simulated card gateway with a real provider's idempotency: a repeated key
 * returns the original charge and never charges again. Cards ending 0002 are
 * declined (like the well-known decline test card); every other card succeeds.
 */
export interface ChargeRequest {
  idempotencyKey: string;
  amountCents: Cents;
  cardLast4: string | null;
}

export interface Charge {
  chargeId: string;
  status: "succeeded" | "declined";
  declineCode: string | null;
  amountCents: number;
}

export const DECLINED_CARD_LAST4 = "0002";

export async function chargeCard(request: ChargeRequest): Promise<Charge> {
  assertOutsideTransaction("card gateway");
  const { latencyMs, timeoutMs } = settings().cardGateway;
  try {
    await simulatedLatency(latencyMs, AbortSignal.timeout(timeoutMs));
  } catch {
    throw new TransientError("PAYMENT_GATEWAY_UNAVAILABLE", "The card gateway did not answer in time; retry shortly", 2);
  }
  const declined = request.cardLast4 === DECLINED_CARD_LAST4;
  // The ledger keeps one charge per key: the first writer's row wins, every repeat reads it back.
  const row = await sqlTransaction(async (sql) => {
    const columns = `"chargeId", "status", "declineCode", "amountCents"`;
    const created = await sql.get<ChargeRow>(
      `INSERT INTO "SimulatedGatewayCharge" ("chargeId", "idempotencyKey", "amountCents", "cardLast4", "status", "declineCode", "createdAt")
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("idempotencyKey") DO NOTHING RETURNING ${columns}`,
      [
        `ch_${randomBytes(12).toString("hex")}`, request.idempotencyKey, request.amountCents, request.cardLast4,
        declined ? "declined" : "succeeded", declined ? "card_declined" : null, new Date(),
      ],
    );
    if (created) return { ...created, original: false };
    const original = await sql.get<ChargeRow>(`SELECT ${columns} FROM "SimulatedGatewayCharge" WHERE "idempotencyKey" = ?`, [request.idempotencyKey]);
    return { ...original!, original: true };
  });
  return row.original ? checkSameCharge(row, request) : toCharge(row);
}

interface ChargeRow {
  chargeId: string;
  status: string;
  declineCode: string | null;
  amountCents: number;
}

function checkSameCharge(original: ChargeRow, request: ChargeRequest): Charge {
  if (original.amountCents !== request.amountCents) {
    // What a real provider answers when a key is reused for another amount.
    throw new DomainError("AMOUNT_MISMATCH", "The gateway already charged a different amount for this payment");
  }
  return toCharge(original);
}

function toCharge(row: ChargeRow): Charge {
  return {
    chargeId: row.chargeId,
    status: row.status === "succeeded" ? "succeeded" : "declined",
    declineCode: row.declineCode,
    amountCents: row.amountCents,
  };
}

/** How many charges the gateway holds for a key prefix: what tests count to prove "charged once". */
export function countGatewayCharges(where: { idempotencyKeyPrefix?: string } = {}): Promise<number> {
  return db().simulatedGatewayCharge.count({
    where: where.idempotencyKeyPrefix ? { idempotencyKey: { startsWith: where.idempotencyKeyPrefix } } : {},
  });
}
