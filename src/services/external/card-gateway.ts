import { randomBytes } from "node:crypto";
import { db } from "../../db/index.js";
import { isUniqueViolation } from "../../db/errors.js";
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
  const original = await findCharge(request.idempotencyKey);
  if (original) return checkSameCharge(original, request);
  const declined = request.cardLast4 === DECLINED_CARD_LAST4;
  try {
    return toCharge(
      await db().simulatedGatewayCharge.create({
        data: {
          chargeId: `ch_${randomBytes(12).toString("hex")}`,
          idempotencyKey: request.idempotencyKey,
          amountCents: request.amountCents,
          cardLast4: request.cardLast4,
          status: declined ? "declined" : "succeeded",
          declineCode: declined ? "card_declined" : null,
        },
      }),
    );
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return checkSameCharge((await findCharge(request.idempotencyKey))!, request);
  }
}

async function findCharge(idempotencyKey: string) {
  return db().simulatedGatewayCharge.findUnique({ where: { idempotencyKey } });
}

function checkSameCharge(original: Parameters<typeof toCharge>[0], request: ChargeRequest): Charge {
  if (original.amountCents !== request.amountCents) {
    // What a real provider answers when a key is reused for another amount.
    throw new DomainError("AMOUNT_MISMATCH", "The gateway already charged a different amount for this payment");
  }
  return toCharge(original);
}

function toCharge(row: { chargeId: string; status: string; declineCode: string | null; amountCents: number }): Charge {
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
