import { db, type Prisma, type Tx } from "../db/index.js";
import { DomainError, ValidationError } from "../errors.js";
import { formatMoney, type Cents } from "../lib/money.js";
import { discountFor, type DiscountRule } from "./discounts.js";

export type Coupon = Prisma.CouponGetPayload<object>;

/** Active: switched on, not expired, and with redemptions left. */
export function activeCouponWhere(now: Date): Prisma.CouponWhereInput {
  return {
    active: true,
    OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
    AND: [{ OR: [{ maxRedemptions: null }, { redemptionCount: { lt: db().coupon.fields.maxRedemptions } }] }],
  };
}

export function listCoupons(options: { activeOnly: boolean; now?: Date }): Promise<Coupon[]> {
  return db().coupon.findMany({
    where: options.activeOnly ? activeCouponWhere(options.now ?? new Date()) : {},
    orderBy: { code: "asc" },
  });
}

export function normalizeCouponCode(code: string): string {
  return code.trim().toUpperCase();
}

export interface Redemption {
  couponId: number;
  discountCents: Cents;
}

/**
 * Validates a coupon against a subtotal and counts one redemption atomically (a
 * conditional increment, so maxRedemptions holds under concurrency and across
 * processes). Runs inside the caller's transaction: a failed checkout gives it back.
 */
export async function redeemCoupon(tx: Tx, code: string, subtotalCents: Cents, now = new Date()): Promise<Redemption> {
  const coupon = await tx.coupon.findUnique({ where: { code: normalizeCouponCode(code) } });
  if (!coupon || !coupon.active) {
    throw new DomainError("COUPON_NOT_FOUND", `Coupon ${normalizeCouponCode(code)} does not exist`, { field: "couponCode" });
  }
  if (coupon.expiresAt && coupon.expiresAt <= now) {
    throw new DomainError("COUPON_EXPIRED", `Coupon ${coupon.code} expired on ${coupon.expiresAt.toISOString()}`);
  }
  if (coupon.minSubtotalCents !== null && subtotalCents < coupon.minSubtotalCents) {
    throw ValidationError.field(
      "couponCode",
      `coupon ${coupon.code} needs a subtotal of at least ${formatMoney(coupon.minSubtotalCents as Cents)}`,
    );
  }
  const { count } = await tx.coupon.updateMany({
    where: {
      id: coupon.id,
      OR: [{ maxRedemptions: null }, { redemptionCount: { lt: tx.coupon.fields.maxRedemptions } }],
    },
    data: { redemptionCount: { increment: 1 } },
  });
  if (count !== 1) throw new DomainError("COUPON_EXHAUSTED", `Coupon ${coupon.code} has no redemptions left`);
  return { couponId: coupon.id, discountCents: discountFor(subtotalCents, couponRule(coupon)) };
}

/** Gives a redemption back (an unpaid order was cancelled). */
export async function releaseCouponRedemption(tx: Tx, couponId: number): Promise<void> {
  await tx.coupon.updateMany({ where: { id: couponId, redemptionCount: { gt: 0 } }, data: { redemptionCount: { decrement: 1 } } });
}

export function couponRule(coupon: Coupon): DiscountRule {
  if (coupon.type === "PERCENTAGE") return { type: "PERCENTAGE", percentOffBps: coupon.percentOffBps ?? 0 };
  return { type: "FIXED_AMOUNT", amountOffCents: coupon.amountOffCents ?? 0 };
}
