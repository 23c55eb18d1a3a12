import type { Sql } from "../../db/sql.js";
import { RefundStatus } from "../../generated/sqlite/enums.js";
import { assertTransition, type TransitionTable } from "../common/index.js";
import { updateRefundStatus, type RefundChanges } from "./sql.js";

/**
 * The refund lifecycle: opened PENDING before the gateway is called, settled
 * once, SUCCEEDED with the gateway's refund or FAILED when the gateway refuses it.
 */
export const refundTransitions: TransitionTable<RefundStatus> = {
  PENDING: [RefundStatus.SUCCEEDED, RefundStatus.FAILED],
  SUCCEEDED: [],
  FAILED: [],
};

/** Moves a refund from `from` to `to` by a conditional update: true when this call changed it. */
export async function transitionRefund(sql: Sql, refundId: number, from: RefundStatus, to: RefundStatus, changes: RefundChanges, now: Date): Promise<boolean> {
  assertTransition("refund", refundTransitions, from, to);
  return updateRefundStatus(sql, refundId, from, to, changes, now);
}
