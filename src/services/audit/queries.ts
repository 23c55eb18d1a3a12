import { z } from "zod";
import { db } from "../../db/index.js";
import type { Principal } from "../../auth/principal.js";
import { CONTROL_CHARACTERS, parseInput } from "../../lib/validation.js";
import { decodeCursor, requireAdmin, toPage, type Page, type PageRequest } from "../common/index.js";

/** An event as it is read back: `details` is the stored JSON parsed again. */
export interface AuditEvent {
  id: number;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details: Record<string, unknown> | null;
  requestId: string | null;
  createdAt: Date;
}

/** What an audit event can be about: the writes' AuditEntry type and the readers' filter both take it from here. */
export const AUDIT_SUBJECT_TYPES = ["Product", "BulkUploadJob", "Coupon", "Order", "Payment"] as const;
export type AuditSubjectType = (typeof AUDIT_SUBJECT_TYPES)[number];

/** Matched exactly as stored (an actor is a token's sub): not trimmed, never empty. */
const exactText = (max: number) =>
  z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARACTERS.test(s), "must not contain control characters");

/** The filter's fields, shared with the REST query's validator (which takes `since` as ISO text). */
export const auditEventFilterFields = {
  actor: exactText(200).optional(),
  action: exactText(200).optional(),
  subjectType: z.enum(AUDIT_SUBJECT_TYPES, { error: `must be one of ${AUDIT_SUBJECT_TYPES.join(", ")}` }).optional(),
  subjectId: exactText(64).optional(),
  since: z.date({ error: "must be a timestamp" }).optional(),
};

/** A subject id alone names no record (Order 5 and Product 5 are both "5"), so it comes with its type. */
export const auditEventFilterSchema = z
  .strictObject(auditEventFilterFields)
  .refine((f) => f.subjectId === undefined || f.subjectType !== undefined, { message: "is required with subjectId", path: ["subjectType"] });

export type AuditEventFilter = z.input<typeof auditEventFilterSchema>;

/** Ids strictly between the bounds, newest first (or oldest first for backward pages). */
export interface AuditEventWindow {
  olderThan?: number | undefined;
  newerThan?: number | undefined;
  limit: number;
  oldestFirst?: boolean;
}

/** REST's page of the audit trail, newest first (descending id), with the next cursor when there is more. */
export async function listAuditEvents(principal: Principal, filter: AuditEventFilter, page: PageRequest): Promise<Page<AuditEvent>> {
  const where = readableFilter(principal, filter);
  const olderThan = page.cursor ? decodeCursor(page.cursor) : undefined;
  return toPage(await readWindow(where, { olderThan, limit: page.limit + 1 }), page.limit);
}

/** GraphQL's keyset window of the audit trail (forward and backward pages), under the same rule. */
export function auditEventWindow(principal: Principal, filter: AuditEventFilter, window: AuditEventWindow): Promise<AuditEvent[]> {
  return readWindow(readableFilter(principal, filter), window);
}

function readableFilter(principal: Principal, filter: AuditEventFilter) {
  requireAdmin(principal, "read the audit trail");
  return parseInput(auditEventFilterSchema, filter);
}

async function readWindow(filter: z.output<typeof auditEventFilterSchema>, window: AuditEventWindow): Promise<AuditEvent[]> {
  const { since, ...exact } = filter;
  const rows = await db().auditEvent.findMany({
    where: { ...exact, ...(since ? { createdAt: { gte: since } } : {}), id: { ...(window.olderThan ? { lt: window.olderThan } : {}), gt: window.newerThan ?? 0 } },
    orderBy: { id: window.oldestFirst ? "asc" : "desc" },
    take: window.limit,
  });
  return rows.map((row) => ({ ...row, details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>) }));
}
