import { columns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";

const SHIPMENT = columns("Shipment", ["carrier", "trackingNumber"]);

export const statements = {
  countAttempt: `UPDATE "Order" SET "fulfillmentAttempts" = "fulfillmentAttempts" + 1, "updatedAt" = ? WHERE "id" = ? RETURNING "fulfillmentAttempts"`,
  insertShipment: `INSERT INTO "Shipment" ("orderId", "carrier", "trackingNumber", "createdAt") VALUES (?, ?, ?, ?) RETURNING ${SHIPMENT.list}`,
  shipmentOf: `SELECT ${SHIPMENT.list} FROM "Shipment" WHERE "orderId" = ?`,
};

/** Counts a fulfilment attempt that failed retryably; returns the new count. */
export async function countFailedAttempt(sql: Sql, orderId: number, now: Date): Promise<number> {
  return (await sql.get<{ fulfillmentAttempts: number }>(statements.countAttempt, [now, orderId]))!.fulfillmentAttempts;
}

export async function insertShipment(sql: Sql, orderId: number, label: { carrier: string; trackingNumber: string }, now: Date) {
  return SHIPMENT.decode(await sql.get(statements.insertShipment, [orderId, label.carrier, label.trackingNumber, now]));
}

export async function shipmentOf(sql: Sql, orderId: number) {
  const row = await sql.get(statements.shipmentOf, [orderId]);
  return row ? SHIPMENT.decode(row) : undefined;
}
