import { db, type Prisma, type Tx } from "../db/index.js";
import { sqlTransaction, toDate, type Sql } from "../db/sql.js";
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
export async function redeemCoupon(sql: Sql, code: string, subtotalCents: Cents, now = new Date()): Promise<Redemption> {
  const coupon = await sql.get<CouponRuleRow & { id: number; code: string; active: unknown; expiresAt: unknown; minSubtotalCents: number | null }>(
    `SELECT "id", "code", "type", "percentOffBps", "amountOffCents", "active", "expiresAt", "minSubtotalCents" FROM "Coupon" WHERE "code" = ?`,
    [normalizeCouponCode(code)],
  );
  if (!coupon || !coupon.active) {
    throw new DomainError("COUPON_NOT_FOUND", `Coupon ${normalizeCouponCode(code)} does not exist`, { field: "couponCode" });
  }
  const expiresAt = toDate(coupon.expiresAt);
  if (expiresAt && expiresAt <= now) {
    throw new DomainError("COUPON_EXPIRED", `Coupon ${coupon.code} expired on ${expiresAt.toISOString()}`);
  }
  if (coupon.minSubtotalCents !== null && subtotalCents < coupon.minSubtotalCents) {
    throw ValidationError.field(
      "couponCode",
      `coupon ${coupon.code} needs a subtotal of at least ${formatMoney(coupon.minSubtotalCents as Cents)}`,
    );
  }
  const counted = await sql.run(
    `UPDATE "Coupon" SET "redemptionCount" = "redemptionCount" + 1, "updatedAt" = ?
     WHERE "id" = ? AND ("maxRedemptions" IS NULL OR "redemptionCount" < "maxRedemptions")`,
    [now, coupon.id],
  );
  if (counted !== 1) throw new DomainError("COUPON_EXHAUSTED", `Coupon ${coupon.code} has no redemptions left`);
  return { couponId: coupon.id, discountCents: discountFor(subtotalCents, couponRule(coupon)) };
}

/** Gives a redemption back (an unpaid order was cancelled). */
export async function releaseCouponRedemption(tx: Tx, couponId: number): Promise<void> {
  await tx.coupon.updateMany({ where: { id: couponId, redemptionCount: { gt: 0 } }, data: { redemptionCount: { decrement: 1 } } });
}

type CouponRuleRow = Pick<Coupon, "type" | "percentOffBps" | "amountOffCents">;

export function couponRule(coupon: CouponRuleRow): DiscountRule {
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
  return sqlTransaction(async (sql) => {
    const order = await sql.get<{ subtotalCents: number; discountCents: number; status: string; paymentClaimedUntil: unknown; couponCode: string | null }>(
      `SELECT o."subtotalCents", o."discountCents", o."status", o."paymentClaimedUntil", c."code" AS "couponCode"
       FROM "Order" o LEFT JOIN "Coupon" c ON c."id" = o."couponId" WHERE o."id" = ?`,
      [orderId],
    );
    if (!order) throw new NotFoundError("Order", orderId);
    const result = (discountCents: number): AppliedCoupon => ({
      orderId,
      couponCode: code,
      originalTotalCents: order.subtotalCents,
      discountCents,
      finalTotalCents: order.subtotalCents - discountCents,
    });
    if (order.couponCode !== null) {
      if (order.couponCode === code) return result(order.discountCents);
      throw new DomainError("COUPON_ALREADY_APPLIED", `Order ${orderId} already has coupon ${order.couponCode}`, {
        appliedCode: order.couponCode,
      });
    }
    if (order.status !== "PENDING") throw orderNotPending(orderId, order.status);
    const claimedUntil = toDate(order.paymentClaimedUntil);
    if (claimedUntil && claimedUntil > now) {
      throw new TransientError("ORDER_NOT_PENDING", `A payment for order ${orderId} is in progress; its total cannot change now`, 1);
    }
    const redemption = await redeemCoupon(sql, code, order.subtotalCents as Cents, now);
    const updated = await sql.run(
      `UPDATE "Order" SET "couponId" = ?, "discountCents" = ?, "totalCents" = ?, "updatedAt" = ?
       WHERE "id" = ? AND "status" = 'PENDING' AND "couponId" IS NULL`,
      [redemption.couponId, redemption.discountCents, order.subtotalCents - redemption.discountCents, now, orderId],
    );
    // Lost a race with another coupon or a payment: the transaction rolls back the redemption.
    if (updated !== 1) throw new DomainError("COUPON_ALREADY_APPLIED", `Order ${orderId} changed while applying ${code}; retry`);
    return result(redemption.discountCents);
  });
}
