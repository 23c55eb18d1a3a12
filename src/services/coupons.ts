import { db, type Prisma } from "../db/index.js";

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
