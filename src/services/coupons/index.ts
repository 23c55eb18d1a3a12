import { db, sqlTransaction, type Prisma } from "../../db/index.js";
import { auditAdminWrite } from "../audit/index.js";
import { isUniqueViolation } from "../../db/errors.js";
import { DomainError } from "../../errors.js";
import type { Principal } from "../../auth/principal.js";
import { parseInput } from "../../lib/validation.js";
import { requireAdmin } from "../common/index.js";
import { couponInputSchema, type CouponInput } from "./input.js";
import { insertCoupon, type Coupon } from "./sql.js";

export { applyCoupon, type AppliedCoupon } from "./apply.js";
export { couponCode, couponInputSchema, normalizeCouponCode, type CouponInput } from "./input.js";

export type { Coupon } from "./sql.js";

/** Active: switched on, not expired, and with redemptions left. */
function activeCouponWhere(now: Date): Prisma.CouponWhereInput {
  return {
    active: true,
    OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
    AND: [{ OR: [{ maxRedemptions: null }, { redemptionCount: { lt: db().coupon.fields.maxRedemptions } }] }],
  };
}

export function listCoupons(principal: Principal, options: { activeOnly: boolean; now?: Date }): Promise<Coupon[]> {
  requireAdmin(principal, "list coupons");
  return db().coupon.findMany({
    where: options.activeOnly ? activeCouponWhere(options.now ?? new Date()) : {},
    orderBy: { code: "asc" },
  });
}

/** Validates the typed coupon (./input.ts) and stores it; codes are stored upper-cased. */
export async function createCoupon(principal: Principal, input: CouponInput | Record<string, unknown>): Promise<Coupon> {
  requireAdmin(principal, "create coupons");
  const { type, code, percentOffBps, amountOffCents, description, expiresAt, maxRedemptions, minSubtotalCents } = parseInput(couponInputSchema, input);
  try {
    return await sqlTransaction(async (sql) => {
      const now = new Date();
      const coupon = await insertCoupon(
        sql,
        {
          code,
          type,
          percentOffBps: percentOffBps ?? null,
          amountOffCents: amountOffCents ?? null,
          description: description ?? null,
          expiresAt: expiresAt ?? null,
          maxRedemptions: maxRedemptions ?? null,
          minSubtotalCents: minSubtotalCents ?? null,
        },
        now,
      );
      const details = { code, type, percentOffBps, amountOffCents, maxRedemptions: coupon.maxRedemptions };
      await auditAdminWrite(sql, principal, { action: "coupon.create", subjectType: "Coupon", subjectId: coupon.id, details }, now);
      return coupon;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("DUPLICATE", `A coupon with code ${code} already exists`, { field: "code" });
    throw error;
  }
}
