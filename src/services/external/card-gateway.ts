import { randomBytes } from "node:crypto";
import { sqlTransaction } from "../../db/sql.js";
import { DomainError, TransientError } from "../../errors.js";
import type { Cents } from "../../lib/money.js";
import { settings } from "../common/index.js";
import { callProvider, simulatedLatency } from "./guard.js";
import { chargeByKey, countCharges, insertCharge, insertPartialRefund, refundOnce, type ChargeRow } from "./ledger-sql.js";

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

export function chargeCard(request: ChargeRequest): Promise<Charge> {
  return callProvider("card-gateway", "charge", () => chargeOnce(request));
}

async function chargeOnce(request: ChargeRequest): Promise<Charge> {
  await gatewayLatency();
  const declined = request.cardLast4 === DECLINED_CARD_LAST4;
  // The ledger keeps one charge per key: the first writer's row wins, every repeat reads it back.
  const row = await sqlTransaction(async (sql) => {
    const charge = {
      chargeId: `ch_${randomBytes(12).toString("hex")}`,
      idempotencyKey: request.idempotencyKey,
      amountCents: request.amountCents,
      cardLast4: request.cardLast4,
      status: declined ? "declined" : "succeeded",
      declineCode: declined ? "card_declined" : null,
    };
    const created = await insertCharge(sql, charge, new Date());
    if (created) return { ...created, original: false };
    return { ...(await chargeByKey(sql, request.idempotencyKey))!, original: true };
  });
  return row.original ? checkSameCharge(row, request) : toCharge(row);
}

/** The network hop to the gateway: a timeout is a 503 the client retries. */
async function gatewayLatency(): Promise<void> {
  const { latencyMs, timeoutMs } = settings().cardGateway;
  try {
    await simulatedLatency(latencyMs, timeoutMs);
  } catch {
    throw new TransientError("PAYMENT_GATEWAY_UNAVAILABLE", "The card gateway did not answer in time; retry shortly", 2);
  }
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

/**
 * Refunds a succeeded charge in full, idempotently by key as a real provider
 * does: the same key again answers the same refund; another key for a charge
 * already refunded is refused (a charge is refunded at most once).
 */
export function refundCharge(request: { chargeId: string; idempotencyKey: string }): Promise<{ refundedAt: Date }> {
  return callProvider("card-gateway", "refund", async () => {
    await gatewayLatency();
    const refund = await sqlTransaction((sql) => refundOnce(sql, request.chargeId, request.idempotencyKey, new Date()));
    if (!refund?.refundKey) throw new DomainError("NOT_FOUND", `No succeeded charge ${request.chargeId} to refund`);
    if (refund.refundKey !== request.idempotencyKey) throw new DomainError("DUPLICATE", `Charge ${request.chargeId} was already refunded`);
    return { refundedAt: new Date(refund.refundedAt!) };
  });
}

export interface RefundRequest {
  /** Made when our refund was opened: the same key again answers the same refund and never refunds twice. */
  idempotencyKey: string;
  chargeId: string;
  amountCents: Cents;
}

export interface GatewayRefund {
  refundId: string;
  amountCents: number;
}

/** The gateway answered, or was unreachable, without refunding: the refund may be tried again with the same key. */
export class GatewayRefundError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = "GatewayRefundError";
  }
}

/**
 * Refunds part (or all) of a succeeded charge, idempotently by key as a real
 * provider does. The gateway refuses what would take the charge's refunds past
 * the charge (not retryable), and fails a share CARD_GATEWAY_REFUND_FAILURE_RATE
 * of calls as an outage would (retryable, nothing refunded).
 */
export function refundChargePart(request: RefundRequest): Promise<GatewayRefund> {
  return callProvider("card-gateway", "refund", () => refundPartOnce(request));
}

async function refundPartOnce(request: RefundRequest): Promise<GatewayRefund> {
  try {
    await gatewayLatency();
  } catch {
    throw new GatewayRefundError("The card gateway did not answer in time", true);
  }
  if (Math.random() < settings().cardGateway.refundFailureRate) throw new GatewayRefundError("The card gateway could not refund right now", true);
  const refund = await sqlTransaction((sql) =>
    insertPartialRefund(sql, { refundId: `re_${randomBytes(12).toString("hex")}`, ...request }, new Date()),
  );
  if (!refund) throw new GatewayRefundError(`Charge ${request.chargeId} cannot be refunded ${request.amountCents} cents`, false);
  if (refund.amountCents !== request.amountCents || refund.chargeId !== request.chargeId) {
    throw new GatewayRefundError("The gateway already refunded something else with this key", false);
  }
  return { refundId: refund.refundId, amountCents: refund.amountCents };
}

/** How many charges the gateway holds for a key prefix: what tests count to prove "charged once". */
export function countGatewayCharges(where: { idempotencyKeyPrefix?: string } = {}): Promise<number> {
  return countCharges(where.idempotencyKeyPrefix ?? "");
}
