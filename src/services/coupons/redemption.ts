import type { Sql } from "../../db/sql.js";
import { DomainError, ValidationError } from "../../errors.js";
import { formatMoney, type Cents } from "../../lib/money.js";
import { discountFor, type DiscountRule } from "./discounts.js";
import { normalizeCouponCode } from "./input.js";
import { countRedemption, couponByCode, returnRedemption } from "./sql.js";

export interface Redemption {
  couponId: number;
  discountCents: Cents;
}

/**
 * The coupon rules at redemption: it exists and is active, has not expired,
 * the subtotal reaches its minimum, and the redemption limit holds (a
 * conditional increment, so maxRedemptions holds under concurrency and across
 * processes). Runs in the caller's transaction: a failed checkout gives it back.
 */
export async function redeemCoupon(sql: Sql, rawCode: string, subtotalCents: Cents, now = new Date()): Promise<Redemption> {
  const code = normalizeCouponCode(rawCode);
  const coupon = await couponByCode(sql, code);
  if (!coupon || !coupon.active) throw new DomainError("COUPON_NOT_FOUND", `Coupon ${code} does not exist`, { field: "couponCode" });
  if (coupon.expiresAt && coupon.expiresAt <= now) {
    throw new DomainError("COUPON_EXPIRED", `Coupon ${coupon.code} expired on ${coupon.expiresAt.toISOString()}`);
  }
  if (coupon.minSubtotalCents !== null && subtotalCents < coupon.minSubtotalCents) {
    throw ValidationError.field("couponCode", `coupon ${coupon.code} needs a subtotal of at least ${formatMoney(coupon.minSubtotalCents as Cents)}`);
  }
  if (!(await countRedemption(sql, coupon.id, now))) throw new DomainError("COUPON_EXHAUSTED", `Coupon ${coupon.code} has no redemptions left`);
  return { couponId: coupon.id, discountCents: discountFor(subtotalCents, couponRule(coupon)) };
}

/** Gives a redemption back (an unpaid order was cancelled). */
export async function releaseRedemption(sql: Sql, couponId: number, now = new Date()): Promise<void> {
  await returnRedemption(sql, couponId, now);
}

export function couponRule(coupon: { type: string; percentOffBps: number | null; amountOffCents: number | null }): DiscountRule {
  if (coupon.type === "PERCENTAGE") return { type: "PERCENTAGE", percentOffBps: coupon.percentOffBps ?? 0 };
  return { type: "FIXED_AMOUNT", amountOffCents: coupon.amountOffCents ?? 0 };
}
