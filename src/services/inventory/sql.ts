import { columns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { memoized, valueRows } from "../../db/statements.js";
import { ReservationStatus } from "../../generated/sqlite/enums.js";

const RESERVED = columns("InventoryReservation", ["productId", "quantity"]);

export const statements = {
  takeStock: `UPDATE "Product" SET "stockQuantity" = "stockQuantity" - ?, "updatedAt" = ? WHERE "id" = ? AND "stockQuantity" >= ?`,
  returnStock: `UPDATE "Product" SET "stockQuantity" = "stockQuantity" + ?, "updatedAt" = ? WHERE "id" = ?`,
  stockOf: `SELECT "stockQuantity" FROM "Product" WHERE "id" = ?`,
  // In product order, as reserveStock takes rows: two transactions never lock products in opposite orders.
  reservationsIn: `SELECT ${RESERVED.list} FROM "InventoryReservation" WHERE "orderId" = ? AND "status" = ? ORDER BY "productId"`,
  moveReservations: `UPDATE "InventoryReservation" SET "status" = ?, "updatedAt" = ? WHERE "orderId" = ? AND "status" = ?`,
};

const reservationRows = memoized(
  (n: number) =>
    `INSERT INTO "InventoryReservation" ("orderId", "productId", "quantity", "status", "expiresAt", "createdAt", "updatedAt") VALUES ${valueRows(n, 7)}`,
);

export const samples = (): string[] => [reservationRows(1), reservationRows(3)];

/** Takes `quantity` off the stock unless fewer are left: true when it did. */
export async function takeStock(sql: Sql, productId: number, quantity: number, now: Date): Promise<boolean> {
  return (await sql.run(statements.takeStock, [quantity, now, productId, quantity])) === 1;
}

export async function returnStock(sql: Sql, productId: number, quantity: number, now: Date): Promise<void> {
  await sql.run(statements.returnStock, [quantity, now, productId]);
}

export async function stockOf(sql: Sql, productId: number): Promise<number> {
  return (await sql.get<{ stockQuantity: number }>(statements.stockOf, [productId]))?.stockQuantity ?? 0;
}

export async function insertReservations(
  sql: Sql,
  orderId: number,
  lines: readonly { productId: number; quantity: number }[],
  expiresAt: Date,
  now: Date,
): Promise<void> {
  await sql.run(
    reservationRows(lines.length),
    lines.flatMap((l) => [orderId, l.productId, l.quantity, ReservationStatus.ACTIVE, expiresAt, now, now]),
  );
}

export async function reservationsIn(sql: Sql, orderId: number, status: ReservationStatus): Promise<{ productId: number; quantity: number }[]> {
  return (await sql.all(statements.reservationsIn, [orderId, status])).map(RESERVED.decode);
}

export async function moveReservations(sql: Sql, orderId: number, from: ReservationStatus, to: ReservationStatus, now: Date): Promise<void> {
  await sql.run(statements.moveReservations, [to, now, orderId, from]);
}
