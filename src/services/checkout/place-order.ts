import type { Tx } from "../../db/index.js";
import { DomainError, NotFoundError, ValidationError } from "../../errors.js";
import { MAX_CENTS, multiplyCents, sumCents, type Cents } from "../../lib/money.js";
import { redeemCoupon } from "../coupons.js";
import { settings } from "../settings.js";
import type { CheckoutInput } from "./input.js";

export interface PlacedOrder {
  id: number;
  status: "PENDING";
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
}

/**
 * Prices the items from the database (never from the client), applies the
 * coupon, reserves stock with conditional decrements that cannot go below zero,
 * and creates the PENDING order with its reservations. Runs in the caller's
 * transaction: any failure leaves no trace.
 */
export async function placeOrder(tx: Tx, input: CheckoutInput, now = new Date()): Promise<PlacedOrder> {
  const user = await tx.user.findUnique({ where: { id: input.userId }, select: { id: true } });
  if (!user) throw new NotFoundError("User", input.userId);

  const productIds = input.items.map((i) => i.productId);
  const products = await tx.product.findMany({ where: { id: { in: productIds } }, select: { id: true, priceCents: true } });
  const priceOf = new Map(products.map((p) => [p.id, p.priceCents as Cents]));
  const missing = productIds.find((id) => !priceOf.has(id));
  if (missing !== undefined) throw new NotFoundError("Product", missing);

  const lines = input.items.map((item) => {
    const unitPriceCents = priceOf.get(item.productId)!;
    return { ...item, unitPriceCents, lineTotalCents: multiplyCents(unitPriceCents, item.quantity) };
  });
  const subtotalCents = sumCents(lines.map((l) => l.lineTotalCents));
  if (subtotalCents > MAX_CENTS) throw ValidationError.field("items", "the order total is over the maximum of 1,000,000.00");
  const redemption = input.couponCode ? await redeemCoupon(tx, input.couponCode, subtotalCents, now) : null;
  const discountCents = redemption?.discountCents ?? (0 as Cents);

  // Ascending product order: concurrent checkouts lock rows in the same order (no deadlock on PostgreSQL).
  for (const line of [...lines].sort((a, b) => a.productId - b.productId)) {
    await reserveStock(tx, line.productId, line.quantity);
  }

  const reservedUntil = new Date(now.getTime() + settings().reservationTtlMs);
  const order = await tx.order.create({
    data: {
      userId: input.userId,
      status: "PENDING",
      subtotalCents,
      discountCents,
      totalCents: subtotalCents - discountCents,
      couponId: redemption?.couponId ?? null,
      reservedUntil,
      items: { create: lines },
      reservations: {
        create: lines.map((l) => ({ productId: l.productId, quantity: l.quantity, expiresAt: reservedUntil })),
      },
    },
    select: { id: true, subtotalCents: true, discountCents: true, totalCents: true },
  });
  return { ...order, status: "PENDING" };
}

async function reserveStock(tx: Tx, productId: number, quantity: number): Promise<void> {
  const { count } = await tx.product.updateMany({
    where: { id: productId, stockQuantity: { gte: quantity } },
    data: { stockQuantity: { decrement: quantity } },
  });
  if (count === 1) return;
  const product = await tx.product.findUnique({ where: { id: productId }, select: { stockQuantity: true } });
  throw new DomainError("INSUFFICIENT_STOCK", `Not enough stock for product ${productId}`, {
    productId,
    requested: quantity,
    available: product?.stockQuantity ?? 0,
  });
}
