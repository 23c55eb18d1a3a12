import type { Sql } from "../../db/sql.js";
import { NotFoundError, ValidationError } from "../../errors.js";
import { MAX_CENTS, multiplyCents, sumCents, type Cents } from "../../lib/money.js";
import { redeemCoupon } from "../coupons/redemption.js";
import { reserveStock } from "../inventory/index.js";
import { settings } from "../common/index.js";
import type { CheckoutInput } from "./input.js";
import { insertOrderItems, insertPendingOrder, pricesOf, userExists } from "./sql.js";

export interface PlacedOrder {
  id: number;
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
}

/**
 * Prices the items from the database (never from the client), applies the
 * coupon, creates the PENDING order and reserves its stock. Runs in the
 * caller's transaction: any failure leaves no trace.
 */
export async function placeOrder(sql: Sql, input: CheckoutInput, now = new Date()): Promise<PlacedOrder> {
  if (!(await userExists(sql, input.userId))) throw new NotFoundError("User", input.userId);

  const priceOf = await pricesOf(sql, input.items.map((i) => i.productId));
  const missing = input.items.find((i) => !priceOf.has(i.productId));
  if (missing) throw new NotFoundError("Product", missing.productId);

  const lines = input.items.map((item) => {
    const unitPriceCents = priceOf.get(item.productId)! as Cents;
    return { ...item, unitPriceCents, lineTotalCents: multiplyCents(unitPriceCents, item.quantity) };
  });
  const subtotalCents = sumCents(lines.map((l) => l.lineTotalCents));
  if (subtotalCents > MAX_CENTS) throw ValidationError.field("items", "the order total is over the maximum of 1,000,000.00");
  const redemption = input.couponCode ? await redeemCoupon(sql, input.couponCode, subtotalCents, now) : null;
  const discountCents = redemption?.discountCents ?? 0;
  const totalCents = subtotalCents - discountCents;

  const reservedUntil = new Date(now.getTime() + settings().reservationTtlMs);
  const order = { userId: input.userId, subtotalCents, discountCents, totalCents, couponId: redemption?.couponId ?? null, reservedUntil };
  const id = await insertPendingOrder(sql, order, now);
  await insertOrderItems(sql, id, lines);
  await reserveStock(sql, id, lines, reservedUntil, now);
  return { id, subtotalCents, discountCents, totalCents };
}
