import type { Sql } from "../../db/sql.js";
import { OutboxStatus } from "../../generated/sqlite/enums.js";

export const statements = {
  insertEvent: `INSERT INTO "OutboxEvent" ("type", "payload", "status", "requestId", "nextAttemptAt", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`,
};

/** An outbox event, written in the transaction of the change that causes it; the outbox worker delivers it. */
export async function insertOutboxEvent(sql: Sql, type: string, payload: string, requestId: string | null, now: Date): Promise<void> {
  await sql.run(statements.insertEvent, [type, payload, OutboxStatus.PENDING, requestId, now, now]);
}
