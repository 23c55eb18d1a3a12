import { columns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { memoized, placeholders, valueRows } from "../../db/statements.js";
import { OrderStatus } from "../../generated/sqlite/enums.js";

const PRICE = columns("Product", ["id", "priceCents"]);

export const statements = {
  userExists: `SELECT "id" FROM "User" WHERE "id" = ?`,
  insertOrder: `INSERT INTO "Order" ("userId", "status", "subtotalCents", "discountCents", "totalCents", "couponId", "reservedUntil", "createdAt", "updatedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
};

const pricesIn = memoized((n: number) => `SELECT ${PRICE.list} FROM "Product" WHERE "id" IN (${placeholders(n)})`);
const insertItems = memoized(
  (n: number) => `INSERT INTO "OrderItem" ("orderId", "productId", "quantity", "unitPriceCents", "lineTotalCents") VALUES ${valueRows(n, 5)}`,
);

export const samples = (): string[] => [pricesIn(1), pricesIn(3), insertItems(1), insertItems(3)];

export async function userExists(sql: Sql, userId: number): Promise<boolean> {
  return (await sql.get(statements.userExists, [userId])) !== undefined;
}

/** Current prices of the given products: the order is priced from the database, never from the client. */
export async function pricesOf(sql: Sql, productIds: readonly number[]): Promise<Map<number, number>> {
  const rows = (await sql.all(pricesIn(productIds.length), [...productIds])).map(PRICE.decode);
  return new Map(rows.map((p) => [p.id, p.priceCents]));
}

export interface NewOrder {
  userId: number;
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
  couponId: number | null;
  reservedUntil: Date;
}

export async function insertPendingOrder(sql: Sql, order: NewOrder, now: Date): Promise<number> {
  const row = await sql.get<{ id: number }>(statements.insertOrder, [
    order.userId, OrderStatus.PENDING, order.subtotalCents, order.discountCents, order.totalCents, order.couponId, order.reservedUntil, now, now,
  ]);
  return row!.id;
}

export async function insertOrderItems(
  sql: Sql,
  orderId: number,
  lines: readonly { productId: number; quantity: number; unitPriceCents: number; lineTotalCents: number }[],
): Promise<void> {
  await sql.run(insertItems(lines.length), lines.flatMap((l) => [orderId, l.productId, l.quantity, l.unitPriceCents, l.lineTotalCents]));
}
