import { allColumns, columns, type Row } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { memoized, valueRows } from "../../db/statements.js";
import { CouponType, OrderStatus } from "../../generated/sqlite/enums.js";

const COUPON_RULE = columns("Coupon", ["id", "code", "type", "percentOffBps", "amountOffCents", "active", "expiresAt", "minSubtotalCents"]);
const COUPON = allColumns("Coupon");
const ORDER_COUPON = columns("Order", ["userId", "subtotalCents", "discountCents", "status", "paymentClaimedUntil"], "o");

export const statements = {
  insertCoupon: `INSERT INTO "Coupon" ("code", "type", "percentOffBps", "amountOffCents", "description", "expiresAt", "maxRedemptions",
    "minSubtotalCents", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COUPON.list}`,
  couponByCode: `SELECT ${COUPON_RULE.list} FROM "Coupon" WHERE "code" = ?`,
  countRedemption: `UPDATE "Coupon" SET "redemptionCount" = "redemptionCount" + 1, "updatedAt" = ?
    WHERE "id" = ? AND ("maxRedemptions" IS NULL OR "redemptionCount" < "maxRedemptions")`,
  returnRedemption: `UPDATE "Coupon" SET "redemptionCount" = "redemptionCount" - 1, "updatedAt" = ? WHERE "id" = ? AND "redemptionCount" > 0`,
  orderWithCoupon: `SELECT ${ORDER_COUPON.list}, c."code" AS "couponCode" FROM "Order" o LEFT JOIN "Coupon" c ON c."id" = o."couponId" WHERE o."id" = ?`,
  setOrderCoupon: `UPDATE "Order" SET "couponId" = ?, "discountCents" = ?, "totalCents" = ?, "updatedAt" = ?
    WHERE "id" = ? AND "status" = ? AND "couponId" IS NULL`,
};

/** Rows per multi-row INSERT of the legacy import: 800 parameters, well under SQLite's limit. */
export const COUPONS_PER_STATEMENT = 100;
const PERCENTAGE_COUPON_FIELDS = 8;
const insertPercentageCouponRows = memoized(
  (n: number) => `INSERT INTO "Coupon" ("code", "type", "percentOffBps", "description", "expiresAt", "active", "createdAt", "updatedAt")
    VALUES ${valueRows(n, PERCENTAGE_COUPON_FIELDS)}`,
);

export const samples = (): string[] => [insertPercentageCouponRows(1), insertPercentageCouponRows(COUPONS_PER_STATEMENT)];

export async function couponByCode(sql: Sql, code: string) {
  const row = await sql.get(statements.couponByCode, [code]);
  return row ? COUPON_RULE.decode(row) : undefined;
}

/** Counts one redemption unless the limit is reached: true when it did. */
export async function countRedemption(sql: Sql, couponId: number, now: Date): Promise<boolean> {
  return (await sql.run(statements.countRedemption, [now, couponId])) === 1;
}

export async function returnRedemption(sql: Sql, couponId: number, now: Date): Promise<void> {
  await sql.run(statements.returnRedemption, [now, couponId]);
}

export async function orderWithCoupon(sql: Sql, orderId: number) {
  const row = await sql.get<{ couponCode: string | null }>(statements.orderWithCoupon, [orderId]);
  return row ? { ...ORDER_COUPON.decode(row), couponCode: row.couponCode } : undefined;
}

/** Sets the coupon of a PENDING order that has none yet: false when another request got there first. */
export async function setOrderCoupon(
  sql: Sql,
  orderId: number,
  change: { couponId: number; discountCents: number; totalCents: number },
  now: Date,
): Promise<boolean> {
  const params = [change.couponId, change.discountCents, change.totalCents, now, orderId, OrderStatus.PENDING];
  return (await sql.run(statements.setOrderCoupon, params)) === 1;
}

export type Coupon = Row<"Coupon">;
export type NewCoupon = Pick<Coupon, "code" | "type" | "percentOffBps" | "amountOffCents" | "description" | "expiresAt" | "maxRedemptions" | "minSubtotalCents">;

export async function insertCoupon(sql: Sql, c: NewCoupon, now: Date): Promise<Coupon> {
  const params = [c.code, c.type, c.percentOffBps, c.amountOffCents, c.description, c.expiresAt, c.maxRedemptions, c.minSubtotalCents, now, now];
  return COUPON.decode(await sql.get(statements.insertCoupon, params));
}

export type NewPercentageCoupon = Pick<Coupon, "code" | "percentOffBps" | "description" | "expiresAt" | "active">;

/** PERCENTAGE coupons in multi-row INSERTs (the legacy import): a code that exists fails the statement, and so the transaction. */
export async function insertPercentageCoupons(sql: Sql, coupons: readonly NewPercentageCoupon[], now: Date): Promise<void> {
  for (let i = 0; i < coupons.length; i += COUPONS_PER_STATEMENT) {
    const chunk = coupons.slice(i, i + COUPONS_PER_STATEMENT);
    const params = chunk.flatMap((c) => [c.code, CouponType.PERCENTAGE, c.percentOffBps, c.description, c.expiresAt, c.active, now, now]);
    await sql.run(insertPercentageCouponRows(chunk.length), params);
  }
}
