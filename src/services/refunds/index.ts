import type { Principal } from "../../auth/principal.js";
import { parseInput } from "../../lib/validation.js";
import { auditAdminWrite } from "../audit/index.js";
import { adminIdempotencyScope, requireAdmin } from "../common/index.js";
import { fingerprint, requireIdempotencyKey, runFlow, type Flow, type IdempotentResult } from "../idempotency/index.js";
import { refundInputSchema, type RefundInput } from "./input.js";
import { openRefund } from "./lifecycle.js";
import { refundablePayment, refundById, type Refund, type RefundablePayment } from "./sql.js";
import { gatewayRefundStep, settleRefundStep, type RefundFlowState } from "./steps/index.js";

export { failRefund, openRefund, settleRefund, type RefundRequest } from "./lifecycle.js";
export { reason, refundInputSchema, type RefundInput } from "./input.js";
export { refundById, refundablePayment, type Refund } from "./sql.js";
export type { RefundablePayment } from "./sql.js";
export { findRefund } from "./queries.js";
export { settleStalledRefunds, type RefundReconcileResult } from "./reconcile.js";
export { refundTransitions } from "./state.js";
export { gatewayRefundStep, settleRefundStep, type RefundFlowState } from "./steps/index.js";

/** What a refund answers, kept on the idempotency key as it was: a replay answers the same. */
export interface RefundResult {
  refund: { id: number; paymentId: number; amountCents: number; status: Refund["status"]; reason: string | null; createdAt: string };
  payment: { id: number; orderId: number; status: RefundablePayment["status"]; amountCents: number; refundedCents: number };
}

interface RefundState extends RefundFlowState {
  principal: Principal;
  request: { paymentId: number; amountCents: number | null; reason: string | null };
}

/**
 * A refund in steps (docs/refunds.md): open_refund (PENDING, its amount held,
 * audited, in one transaction), gateway_refund (the network call, keyed by the
 * refund), settle_refund (SUCCEEDED or FAILED). A crash anywhere leaves a
 * PENDING refund that the retry, or else the reconciliation pass, carries out.
 */
const refundFlow: Flow<RefundState, RefundResult> = {
  steps: [
    {
      kind: "transaction",
      name: "open_refund",
      resource: (state) => state.refund!.id,
      run: async (sql, state) => {
        const principal = state.principal as Extract<Principal, { kind: "admin" }>;
        const refund = await openRefund(sql, { ...state.request, actor: principal.sub });
        const details = { paymentId: refund.paymentId, amountCents: refund.amountCents, reason: refund.reason };
        await auditAdminWrite(sql, principal, { action: "payment.refund", subjectType: "Payment", subjectId: refund.paymentId, details });
        const payment = (await refundablePayment(sql, refund.paymentId))!;
        return { ...state, refund, chargeId: payment.gatewayChargeId! };
      },
    },
    gatewayRefundStep(),
    settleRefundStep((state) => ({ ok: true, status: 201, value: refundResult(state.refund!, state.settledPayment!) })),
  ],
  resume: async (sql, _point, refundId, initial) => {
    const refund = await refundById(sql, refundId);
    if (!refund) throw new Error(`refund ${refundId} resumed but not found`);
    const payment = (await refundablePayment(sql, refund.paymentId))!;
    return { ...initial, refund, chargeId: payment.gatewayChargeId! };
  },
};

function refundResult(refund: Refund, payment: RefundablePayment): RefundResult {
  const { id, paymentId, amountCents, status, reason } = refund;
  return {
    refund: { id, paymentId, amountCents, status, reason, createdAt: refund.createdAt.toISOString() },
    payment: { id: payment.id, orderId: payment.orderId, status: payment.status, amountCents: payment.amountCents, refundedCents: payment.refundedCents },
  };
}

/**
 * Admins refund a COMPLETED payment, in part or in full (`amountCents` left
 * out: what remains). Partial refunds add up to at most the charge, under
 * any concurrency; a fully refunded payment is REFUNDED.
 */
export async function refundPayment(principal: Principal, rawInput: RefundInput | unknown, idempotencyKey: string | null | undefined): Promise<IdempotentResult<RefundResult>> {
  requireAdmin(principal, "refund payments");
  const key = requireIdempotencyKey(idempotencyKey);
  const input = parseInput(refundInputSchema, rawInput);
  const request = { paymentId: input.paymentId, amountCents: input.amountCents ?? null, reason: input.reason };
  const idempotent = { scope: adminIdempotencyScope(principal), operation: "refund", key, fingerprint: fingerprint(request) };
  return runFlow(refundFlow, idempotent, { principal, request });
}
