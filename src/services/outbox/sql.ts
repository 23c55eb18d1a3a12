import { readRows } from "../../db/index.js";
import { allColumns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { OutboxStatus } from "../../generated/sqlite/enums.js";
import type { Origin } from "../../lib/request-context.js";

const EVENT = allColumns("OutboxEvent");
export type OutboxEvent = ReturnType<typeof EVENT.decode>;

export const statements = {
  insertEvent: `INSERT INTO "OutboxEvent" ("type", "payload", "status", "requestId", "traceContext", "nextAttemptAt", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
  dueEvents: `SELECT ${EVENT.list} FROM "OutboxEvent" WHERE "status" = ? AND "nextAttemptAt" <= ? ORDER BY "id" LIMIT ?`,
  /** Fenced by the nextAttemptAt read with the event: one taker across processes. */
  claimEvent: `UPDATE "OutboxEvent" SET "nextAttemptAt" = ? WHERE "id" = ? AND "status" = ? AND "nextAttemptAt" = ?`,
  markDelivered: `UPDATE "OutboxEvent" SET "status" = ?, "attempts" = ?, "deliveredAt" = ? WHERE "id" = ?`,
  markFailedAttempt: `UPDATE "OutboxEvent" SET "status" = ?, "attempts" = ?, "lastError" = ?, "nextAttemptAt" = ? WHERE "id" = ?`,
};

/** An outbox event, written in the transaction of the change that causes it; the outbox worker delivers it. */
export async function insertOutboxEvent(sql: Sql, type: string, payload: string, origin: Origin, now: Date): Promise<void> {
  await sql.run(statements.insertEvent, [type, payload, OutboxStatus.PENDING, origin.requestId, origin.traceContext, now, now]);
}

/** Up to `limit` PENDING events due at `now`, oldest first: read without a lock, so an idle poll never waits for or takes the write lock. */
export async function dueEvents(now: Date, limit: number): Promise<OutboxEvent[]> {
  return (await readRows(statements.dueEvents, [OutboxStatus.PENDING, now, limit])).map(EVENT.decode);
}

/** Hides a due event from other workers until `until`, unless another worker claimed it since it was read: true when this one did. */
export async function claimEvent(sql: Sql, event: Pick<OutboxEvent, "id" | "nextAttemptAt">, until: Date): Promise<boolean> {
  return (await sql.run(statements.claimEvent, [until, event.id, OutboxStatus.PENDING, event.nextAttemptAt])) === 1;
}

export async function markDelivered(sql: Sql, eventId: number, attempts: number, now: Date): Promise<void> {
  await sql.run(statements.markDelivered, [OutboxStatus.DELIVERED, attempts, now, eventId]);
}

/** A failed delivery: PENDING again at `nextAttemptAt`, or FAILED (a dead letter) when `dead`. */
export async function markFailedAttempt(
  sql: Sql,
  eventId: number,
  change: { attempts: number; dead: boolean; lastError: string; nextAttemptAt: Date },
): Promise<void> {
  const status = change.dead ? OutboxStatus.FAILED : OutboxStatus.PENDING;
  await sql.run(statements.markFailedAttempt, [status, change.attempts, change.lastError, change.nextAttemptAt, eventId]);
}
