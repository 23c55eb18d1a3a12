import { isAdmin, type Principal } from "../../auth/principal.js";
import type { Sql } from "../../db/sql.js";
import { requestContext } from "../../lib/request-context.js";
import type { AuditSubjectType } from "./queries.js";
import { insertAuditEvent, type AuditRow } from "./sql.js";

export { AUDIT_SUBJECT_TYPES, auditEventFilterFields, auditEventWindow, listAuditEvents, type AuditEvent, type AuditEventFilter, type AuditSubjectType } from "./queries.js";

/**
 * The audit trail (docs/auth.md): every write an admin makes is recorded in
 * the write's own transaction, so there is no write without its event and no
 * event for a write that rolled back. A customer's writes on their own orders
 * are not audited: the orders and payments are their record.
 */
export interface AuditEntry {
  /** `<subject>.<verb>`, e.g. `product.create`, `payment.create_without_fraud_check`. */
  action: string;
  subjectType: AuditSubjectType;
  subjectId: number;
  /** What the admin asked for, kept as JSON. */
  details?: Record<string, unknown>;
}

/** In the write's own transaction: an admin's write (a customer's is not audited). */
export async function auditAdminWrite(sql: Sql, principal: Principal, entry: AuditEntry, now = new Date()): Promise<void> {
  if (isAdmin(principal)) await insertAuditEvent(sql, auditRow(principal, entry), now);
}

/** In the write's own transaction, whoever made it: for what must be traced to a person even when a customer did it (a cancellation). */
export async function auditWrite(sql: Sql, principal: Principal, entry: AuditEntry, now = new Date()): Promise<void> {
  if (principal.kind !== "anonymous") await insertAuditEvent(sql, auditRow(principal, entry), now);
}

/** An admin's actor is their token's sub; a customer's is `customer:<sub>`, so a staff sub "12" is never taken for customer 12. */
function auditRow(principal: Exclude<Principal, { kind: "anonymous" }>, entry: AuditEntry): AuditRow {
  return {
    actor: principal.kind === "admin" ? principal.sub : `customer:${principal.sub}`,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: String(entry.subjectId),
    details: entry.details ? JSON.stringify(entry.details) : null,
    requestId: requestContext()?.requestId ?? null,
  };
}
