import { columns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";

/** The simulated shipping provider's own ledger (a real provider keeps it on its side): one label per idempotency key. */
const LABEL = columns("SimulatedShippingLabel", ["carrier", "trackingNumber"]);
export type LabelRow = ReturnType<typeof LABEL.decode>;

export const statements = {
  insertLabel: `INSERT INTO "SimulatedShippingLabel" ("idempotencyKey", "carrier", "trackingNumber", "createdAt") VALUES (?, ?, ?, ?)
    ON CONFLICT ("idempotencyKey") DO NOTHING RETURNING ${LABEL.list}`,
  labelByKey: `SELECT ${LABEL.list} FROM "SimulatedShippingLabel" WHERE "idempotencyKey" = ?`,
};

/** The key's label: the first request's, created here when the key has none. */
export async function labelForKey(sql: Sql, idempotencyKey: string, fresh: LabelRow, now: Date): Promise<LabelRow> {
  const created = await sql.get(statements.insertLabel, [idempotencyKey, fresh.carrier, fresh.trackingNumber, now]);
  return LABEL.decode(created ?? (await sql.get(statements.labelByKey, [idempotencyKey])));
}
