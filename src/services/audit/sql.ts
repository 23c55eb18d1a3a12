import type { Sql } from "../../db/sql.js";

export const statements = {
  insert: `INSERT INTO "AuditEvent" ("actor", "action", "subjectType", "subjectId", "details", "requestId", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
};

export interface AuditRow {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details: string | null;
  requestId: string | null;
}

export async function insertAuditEvent(sql: Sql, row: AuditRow, now: Date): Promise<void> {
  await sql.run(statements.insert, [row.actor, row.action, row.subjectType, row.subjectId, row.details, row.requestId, now]);
}
