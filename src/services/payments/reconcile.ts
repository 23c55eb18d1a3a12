import { engine, sqlTransaction, type Sql } from "../../db/index.js";
import type { Cents } from "../../lib/money.js";
import type { Logger } from "../../lib/logger.js";
import { reconciliationMetrics } from "../../lib/metrics.js";
import { refundCharge } from "../external/index.js";
import { findOrderTotals } from "../orders/index.js";
import { settings } from "../common/index.js";
import { attemptByGatewayKey, orphanCharges, RECONCILER_LOCK, paymentOfCharge, type ChargedAttempt, type OrphanCharge } from "./reconcile-sql.js";
import { insertPendingPayment, leaseOrder } from "./sql.js";
import { markPaymentRefunded } from "./lifecycle.js";
import { recordCharge } from "./steps/index.js";

/**
 * Gateway reconciliation: the card gateway's ledger against our payments. A
 * charge no payment records is an orphan: its attempt crashed, or was stopped,
 * between the charge and its record, and no retry came (docs/idempotency.md).
 * Once the idempotency lock timeout has passed since the charge (a live
 * attempt or a retry would have recorded it by then) and no attempt holds the
 * order's payment lease:
 *
 * - the order is still payable (PENDING, the same total): the charge is
 *   recorded as a retry would record it: the payment COMPLETED, the order PAID;
 * - otherwise (cancelled or expired, failed, paid by another payment, or its
 *   total changed): the attempt's payment is marked REFUNDED with the charge,
 *   then the charge is refunded through the gateway (keyed by the charge, so a
 *   pass that crashes and runs again refunds once).
 *
 * One instance reconciles at a time (the engine's `exclusive` lock); the
 * maintenance pass runs it after cancelling expired orders.
 */
export interface ReconcileResult {
  found: number;
  recorded: number;
  refunded: number;
  /** Recorded meanwhile by its own attempt, finishing late: nothing to do. */
  late: number;
  /** Left for a later pass: an attempt holds the order, or the gateway did not answer. */
  unfixed: number;
}

const BATCH = 100;

export async function reconcileGatewayCharges(logger: Logger, now = new Date()): Promise<ReconcileResult | undefined> {
  return withReconcilerLock(async () => {
    const result: ReconcileResult = { found: 0, recorded: 0, refunded: 0, late: 0, unfixed: 0 };
    const orphans = await orphanCharges(new Date(now.getTime() - settings().idempotencyLockTimeoutMs), BATCH);
    for (const charge of orphans) {
      result.found++;
      reconciliationMetrics.orphanCharges.inc({ outcome: "found" });
      const outcome = await settleOrphan(charge, now).catch((error: unknown) => {
        logger.warn({ err: error, chargeId: charge.chargeId }, "orphan charge not settled; the next pass retries");
        return "unfixed" as const;
      });
      result[outcome]++;
      if (outcome === "recorded" || outcome === "refunded") reconciliationMetrics.orphanCharges.inc({ outcome });
      logger[outcome === "unfixed" ? "warn" : "info"]({ chargeId: charge.chargeId, amountCents: charge.amountCents, outcome }, "orphan charge");
    }
    reconciliationMetrics.unfixed.set(result.unfixed);
    return result;
  });
}

/**
 * Decides and acts in one transaction, reading the charge's state again there:
 * its own attempt may have recorded it since the orphan list was read. A
 * refund marks the payment REFUNDED before the gateway is called, so a late
 * attempt can no longer record a charge that is being refunded; a pass that
 * dies between the two finds the marked payment and completes the refund.
 */
export async function settleOrphan(charge: OrphanCharge, now: Date): Promise<"recorded" | "refunded" | "late" | "unfixed"> {
  const decision = await sqlTransaction(async (sql) => {
    const holder = await paymentOfCharge(sql, charge.chargeId);
    // Recorded: paid, or paid and then refunded through the refund flow (never refund it whole again).
    if (holder && (holder.status === "COMPLETED" || holder.refundedCents > 0)) return "late" as const;
    if (holder?.status === "REFUNDED") return "refund" as const;
    const attempt = await attemptByGatewayKey(sql, charge.idempotencyKey);
    if (!attempt) throw new Error(`no payment attempt charged the gateway with key ${charge.idempotencyKey}`);
    const order = await findOrderTotals(sql, attempt.orderId);
    if (order?.paymentClaimedUntil && order.paymentClaimedUntil > now) return "busy" as const;
    if (order?.status === "PENDING" && order.totalCents === charge.amountCents) {
      if (!(await leaseOrder(sql, order.id, new Date(now.getTime() + settings().idempotencyLockTimeoutMs), now))) return "busy" as const;
      await recordOn(sql, attempt, charge, now);
      return "recorded" as const;
    }
    await markRefunded(sql, attempt, charge, now);
    return "refund" as const;
  });
  if (decision === "busy") return "unfixed";
  if (decision !== "refund") return decision;
  await refundCharge({ chargeId: charge.chargeId, idempotencyKey: `refund_${charge.chargeId}` });
  return "refunded";
}

/** The attempt's payment records the charge; an attempt that gave up (FAILED) gets a new payment, as a retry would. */
async function recordOn(sql: Sql, attempt: ChargedAttempt, charge: OrphanCharge, now: Date): Promise<void> {
  const paymentId =
    attempt.status === "PENDING"
      ? attempt.id
      : await insertPendingPayment(sql, { ...attempt, gatewayKey: charge.idempotencyKey }, now);
  const payment = { ...attempt, paymentId, amountCents: attempt.amountCents as Cents, gatewayKey: charge.idempotencyKey };
  await recordCharge(sql, payment, { chargeId: charge.chargeId, status: "succeeded", declineCode: null, amountCents: charge.amountCents }, now);
}

async function markRefunded(sql: Sql, attempt: ChargedAttempt, charge: OrphanCharge, now: Date): Promise<void> {
  const changes = {
    chargeId: charge.chargeId,
    code: "orphan_charge_refunded",
    message: "The charge was made but never recorded, and the order could no longer take it: refunded by reconciliation",
  };
  if (attempt.status === "PENDING" || attempt.status === "FAILED") {
    if (await markPaymentRefunded(sql, attempt.id, attempt.status, changes, now)) return;
  }
  throw new Error(`payment ${attempt.id} is ${attempt.status}: the refund of ${charge.chargeId} cannot be recorded on it`);
}

/** The pass runs only where the reconciler's lock is won (one instance at a time); elsewhere it is skipped (undefined). */
async function withReconcilerLock<T>(pass: () => Promise<T>): Promise<T | undefined> {
  const result = await engine().exclusive(RECONCILER_LOCK, pass);
  // The instance that holds the lock reports the unfixed; this one's last count is stale.
  if (result === undefined) reconciliationMetrics.unfixed.set(0);
  return result;
}
