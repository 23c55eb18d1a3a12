import type { Logger } from "../../lib/logger.js";
import { sqlTransaction } from "../../db/sql.js";
import { settings } from "../common/index.js";
import { pendingRefundsBefore, refundablePayment, refundById } from "./sql.js";
import { gatewayRefundStep, settleRefundStep, type RefundFlowState } from "./steps/index.js";

const BATCH = 100;

export interface RefundReconcileResult {
  settled: number;
  failed: number;
  /** Left for the next pass: the gateway did not answer. */
  unfixed: number;
}

/**
 * Refunds left PENDING by an attempt that crashed or stopped between opening
 * the refund and settling it, and not retried within the idempotency lock
 * timeout (a live attempt or its retry would have settled it by then), are
 * carried out: the gateway is asked with the refund's own key, so it answers
 * the refund it already made (a crash between its call and our record) or
 * makes it once; then the refund is settled, conditionally, as the attempt
 * would have. A refund once opened is therefore always finished.
 */
export async function settleStalledRefunds(logger: Logger, now = new Date()): Promise<RefundReconcileResult> {
  const result: RefundReconcileResult = { settled: 0, failed: 0, unfixed: 0 };
  const cutoff = new Date(now.getTime() - settings().idempotencyLockTimeoutMs);
  let after = 0;
  for (;;) {
    const due = await pendingRefundsBefore(cutoff, after, BATCH);
    for (const refundId of due) {
      const outcome = await settleStalledRefund(refundId).catch((error: unknown) => {
        logger.warn({ err: error, refundId }, "stalled refund not settled; the next pass retries");
        return "unfixed" as const;
      });
      if (outcome !== "late") result[outcome]++;
      logger[outcome === "unfixed" ? "warn" : "info"]({ refundId, outcome }, "stalled refund");
    }
    if (due.length < BATCH) return result;
    after = due.at(-1)!;
  }
}

/** The refund flow's own last two steps, run for the attempt that did not come back. */
async function settleStalledRefund(refundId: number): Promise<"settled" | "failed" | "unfixed" | "late"> {
  const state = await sqlTransaction(async (sql): Promise<RefundFlowState | undefined> => {
    const refund = await refundById(sql, refundId);
    if (refund?.status !== "PENDING") return undefined;
    return { refund, chargeId: (await refundablePayment(sql, refund.paymentId))!.gatewayChargeId! };
  });
  if (!state) return "late";
  // The gateway unavailable throws (the next pass tries again); a refusal is carried in the state.
  const answered = await gatewayRefundStep().run(state).catch(() => undefined);
  if (!answered) return "unfixed";
  await sqlTransaction((sql) => settleRefundStep<RefundFlowState, null>(() => ({ ok: true, status: 200, value: null })).run(sql, answered));
  return answered.refusal === undefined ? "settled" : "failed";
}
