import type { Sql } from "../../db/sql.js";
import { DomainError } from "../../errors.js";
import { ReservationStatus } from "../../generated/sqlite/enums.js";
import { insertReservations, moveReservations, reservationsIn, returnStock, stockOf, takeStock } from "./sql.js";

export interface StockLine {
  productId: number;
  quantity: number;
}

/**
 * Stock reservation: `Product.stockQuantity` is what is still for sale.
 * Placing an order takes its lines off by conditional decrements that cannot
 * go below zero, in ascending product order (concurrent checkouts lock rows in
 * the same order: no deadlock on PostgreSQL), and records one ACTIVE
 * reservation per line, expiring with the order's payment deadline.
 */
export async function reserveStock(sql: Sql, orderId: number, lines: readonly StockLine[], expiresAt: Date, now = new Date()): Promise<void> {
  for (const line of [...lines].sort((a, b) => a.productId - b.productId)) {
    if (await takeStock(sql, line.productId, line.quantity, now)) continue;
    throw new DomainError("INSUFFICIENT_STOCK", `Not enough stock for product ${line.productId}`, {
      productId: line.productId,
      requested: line.quantity,
      available: await stockOf(sql, line.productId),
    });
  }
  await insertReservations(sql, orderId, lines, expiresAt, now);
}

/** A paid order keeps its stock for good: its reservations become COMMITTED. */
export async function commitReservedStock(sql: Sql, orderId: number, now = new Date()): Promise<void> {
  await moveReservations(sql, orderId, ReservationStatus.ACTIVE, ReservationStatus.COMMITTED, now);
}

/**
 * Stock release: a cancelled order gives its stock back, whether it was still
 * reserved (ACTIVE: unpaid) or the order's for good (COMMITTED: paid, not shipped).
 */
export async function releaseStock(sql: Sql, orderId: number, now = new Date()): Promise<void> {
  for (const from of [ReservationStatus.ACTIVE, ReservationStatus.COMMITTED]) {
    const held = await reservationsIn(sql, orderId, from);
    if (held.length === 0) continue;
    for (const r of held) await returnStock(sql, r.productId, r.quantity, now);
    await moveReservations(sql, orderId, from, ReservationStatus.RELEASED, now);
  }
}
