import { sqlTransaction } from "../../db/sql.js";
import { DomainError, NotFoundError, TransientError } from "../../errors.js";
import type { Cents } from "../../lib/money.js";
import type { Principal } from "../../auth/principal.js";
import { parseInput } from "../../lib/validation.js";
import { canActFor, requireSignedIn } from "../common/index.js";
import { orderNotPending } from "../orders/index.js";
import { auditAdminWrite } from "../audit/index.js";
import { consumeRateLimit } from "../rate-limits/index.js";
import { couponCode } from "./input.js";
import { redeemCoupon } from "./redemption.js";
import { orderWithCoupon, setOrderCoupon } from "./sql.js";

export interface AppliedCoupon {
  orderId: number;
  couponCode: string;
  originalTotalCents: number;
  discountCents: number;
  finalTotalCents: number;
}

/**
 * Applies a coupon to a PENDING order. The discount is computed from the
 * subtotal, so applying the same code again returns the same result (the old
 * code compounded it); a different code is 409 COUPON_ALREADY_APPLIED.
 */
export async function applyCoupon(principal: Principal, orderId: number, rawCode: unknown, now = new Date()): Promise<AppliedCoupon> {
  await consumeRateLimit(principal, "apply_coupon");
  requireSignedIn(principal);
  const code = parseInput(couponCode, rawCode, "couponCode");
  return sqlTransaction(async (sql) => {
    const order = await orderWithCoupon(sql, orderId);
    if (!order || !canActFor(principal, order.userId)) throw new NotFoundError("Order", orderId);
    const result = (discountCents: number): AppliedCoupon => ({
      orderId,
      couponCode: code,
      originalTotalCents: order.subtotalCents,
      discountCents,
      finalTotalCents: order.subtotalCents - discountCents,
    });
    if (order.couponCode !== null) {
      if (order.couponCode === code) return result(order.discountCents);
      throw new DomainError("COUPON_ALREADY_APPLIED", `Order ${orderId} already has coupon ${order.couponCode}`, { appliedCode: order.couponCode });
    }
    if (order.status !== "PENDING") throw orderNotPending(orderId, order.status);
    if (order.paymentClaimedUntil && order.paymentClaimedUntil > now) {
      throw new TransientError("ORDER_NOT_PENDING", `A payment for order ${orderId} is in progress; its total cannot change now`, 1);
    }
    const redemption = await redeemCoupon(sql, code, order.subtotalCents as Cents, now);
    const change = { ...redemption, totalCents: order.subtotalCents - redemption.discountCents };
    // Lost a race with another coupon or a payment: the transaction rolls back the redemption.
    if (!(await setOrderCoupon(sql, orderId, change, now))) {
      throw new DomainError("COUPON_ALREADY_APPLIED", `Order ${orderId} changed while applying ${code}; retry`);
    }
    await auditAdminWrite(sql, principal, { action: "order.apply_coupon", subjectType: "Order", subjectId: orderId, details: { couponCode: code, discountCents: redemption.discountCents } }, now);
    return result(redemption.discountCents);
  });
}
