import type { Sql } from "../../db/sql.js";

/** The simulated consumers' ledger (e-mail provider, analytics sink). */
export const statements = {
  receive: `INSERT INTO "SimulatedSinkDelivery" ("sink", "dedupeKey", "receipts", "createdAt") VALUES (?, ?, 1, ?)
    ON CONFLICT ("dedupeKey") DO UPDATE SET "receipts" = "SimulatedSinkDelivery"."receipts" + 1`,
};

/** Records a delivery: the first applies it, a repeat only counts a receipt. */
export async function receive(sql: Sql, sink: string, dedupeKey: string, now: Date): Promise<void> {
  await sql.run(statements.receive, [sink, dedupeKey, now]);
}
