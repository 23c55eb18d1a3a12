import type { Sql } from "../../db/sql.js";
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
export async function placeOrder(sql: Sql, input: CheckoutInput, now = new Date()): Promise<PlacedOrder> {
  const user = await sql.get(`SELECT "id" FROM "User" WHERE "id" = ?`, [input.userId]);
  if (!user) throw new NotFoundError("User", input.userId);

  const productIds = input.items.map((i) => i.productId);
  const products = await sql.all<{ id: number; priceCents: number }>(
    `SELECT "id", "priceCents" FROM "Product" WHERE "id" IN (${placeholders(productIds.length)})`,
    productIds,
  );
  const priceOf = new Map(products.map((p) => [p.id, p.priceCents as Cents]));
  const missing = productIds.find((id) => !priceOf.has(id));
  if (missing !== undefined) throw new NotFoundError("Product", missing);

  const lines = input.items.map((item) => {
    const unitPriceCents = priceOf.get(item.productId)!;
    return { ...item, unitPriceCents, lineTotalCents: multiplyCents(unitPriceCents, item.quantity) };
  });
  const subtotalCents = sumCents(lines.map((l) => l.lineTotalCents));
  if (subtotalCents > MAX_CENTS) throw ValidationError.field("items", "the order total is over the maximum of 1,000,000.00");
  const redemption = input.couponCode ? await redeemCoupon(sql, input.couponCode, subtotalCents, now) : null;
  const discountCents = redemption?.discountCents ?? (0 as Cents);

  // Ascending product order: concurrent checkouts lock rows in the same order (no deadlock on PostgreSQL).
  for (const line of [...lines].sort((a, b) => a.productId - b.productId)) {
    await reserveStock(sql, line.productId, line.quantity, now);
  }

  const reservedUntil = new Date(now.getTime() + settings().reservationTtlMs);
  const totalCents = subtotalCents - discountCents;
  const order = await sql.get<{ id: number }>(
    `INSERT INTO "Order" ("userId", "status", "subtotalCents", "discountCents", "totalCents", "couponId", "reservedUntil", "createdAt", "updatedAt")
     VALUES (?, 'PENDING', ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
    [input.userId, subtotalCents, discountCents, totalCents, redemption?.couponId ?? null, reservedUntil, now, now],
  );
  const orderId = order!.id;
  await sql.run(
    `INSERT INTO "OrderItem" ("orderId", "productId", "quantity", "unitPriceCents", "lineTotalCents") VALUES ${rows(lines.length, 5)}`,
    lines.flatMap((l) => [orderId, l.productId, l.quantity, l.unitPriceCents, l.lineTotalCents]),
  );
  await sql.run(
    `INSERT INTO "InventoryReservation" ("orderId", "productId", "quantity", "status", "expiresAt", "createdAt", "updatedAt") VALUES ${rows(lines.length, 7)}`,
    lines.flatMap((l) => [orderId, l.productId, l.quantity, "ACTIVE", reservedUntil, now, now]),
  );
  return { id: orderId, status: "PENDING", subtotalCents, discountCents, totalCents };
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/** `(?, ?, ...), (...)`: n rows of `columns` parameters. */
const rows = (n: number, columns: number) => Array.from({ length: n }, () => `(${placeholders(columns)})`).join(", ");

async function reserveStock(sql: Sql, productId: number, quantity: number, now: Date): Promise<void> {
  const reserved = await sql.run(
    `UPDATE "Product" SET "stockQuantity" = "stockQuantity" - ?, "updatedAt" = ? WHERE "id" = ? AND "stockQuantity" >= ?`,
    [quantity, now, productId, quantity],
  );
  if (reserved === 1) return;
  const product = await sql.get<{ stockQuantity: number }>(`SELECT "stockQuantity" FROM "Product" WHERE "id" = ?`, [productId]);
  throw new DomainError("INSUFFICIENT_STOCK", `Not enough stock for product ${productId}`, {
    productId,
    requested: quantity,
    available: product?.stockQuantity ?? 0,
  });
}
