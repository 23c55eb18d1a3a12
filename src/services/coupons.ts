import { db, transaction, type Prisma, type Tx } from "../db/index.js";
import { isUniqueViolation } from "../db/errors.js";
import { DomainError, NotFoundError, TransientError, ValidationError } from "../errors.js";
import { formatMoney, type Cents } from "../lib/money.js";
import { parseInput } from "../lib/validation.js";
import { couponInputSchema, type CouponInput } from "./coupon-input.js";
import { discountFor, type DiscountRule } from "./discounts.js";
import { orderNotPending } from "./order-state.js";

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

/** Validates (typed form, see coupon-input.ts) and stores a coupon; codes are stored upper-cased. */
export async function createCoupon(input: CouponInput | Record<string, unknown>): Promise<Coupon> {
  const parsed = parseInput(couponInputSchema, input);
  const { type, code, description, expiresAt, maxRedemptions, minSubtotalCents } = parsed;
  try {
    return await db().coupon.create({
      data: {
        code,
        type,
        percentOffBps: parsed.type === "PERCENTAGE" ? parsed.percentOff : null,
        amountOffCents: parsed.type === "FIXED_AMOUNT" ? parsed.amountOffCents : null,
        description: description ?? null,
        expiresAt: expiresAt ?? null,
        maxRedemptions: maxRedemptions ?? null,
        minSubtotalCents: minSubtotalCents ?? null,
      },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("DUPLICATE", `A coupon with code ${code} already exists`, { field: "code" });
    throw error;
  }
}

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
export async function applyCoupon(orderId: number, rawCode: string, now = new Date()): Promise<AppliedCoupon> {
  const code = normalizeCouponCode(rawCode);
  if (!code) throw ValidationError.field("couponCode", "is required");
  return transaction(async (tx) => {
    const order = await tx.order.findUnique({ where: { id: orderId }, include: { coupon: true } });
    if (!order) throw new NotFoundError("Order", orderId);
    const result = (discountCents: number): AppliedCoupon => ({
      orderId,
      couponCode: code,
      originalTotalCents: order.subtotalCents,
      discountCents,
      finalTotalCents: order.subtotalCents - discountCents,
    });
    if (order.coupon) {
      if (order.coupon.code === code) return result(order.discountCents);
      throw new DomainError("COUPON_ALREADY_APPLIED", `Order ${orderId} already has coupon ${order.coupon.code}`, {
        appliedCode: order.coupon.code,
      });
    }
    if (order.status !== "PENDING") throw orderNotPending(orderId, order.status);
    if (order.paymentClaimedUntil && order.paymentClaimedUntil > now) {
      throw new TransientError("ORDER_NOT_PENDING", `A payment for order ${orderId} is in progress; its total cannot change now`, 1);
    }
    const redemption = await redeemCoupon(tx, code, order.subtotalCents as Cents, now);
    const updated = await tx.order.updateMany({
      where: { id: orderId, status: "PENDING", couponId: null },
      data: {
        couponId: redemption.couponId,
        discountCents: redemption.discountCents,
        totalCents: order.subtotalCents - redemption.discountCents,
      },
    });
    // Lost a race with another coupon or a payment: the transaction rolls back the redemption.
    if (updated.count !== 1) throw new DomainError("COUPON_ALREADY_APPLIED", `Order ${orderId} changed while applying ${code}; retry`);
    return result(redemption.discountCents);
  });
}
