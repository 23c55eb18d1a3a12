import { resolveCursorConnection } from "@pothos/plugin-relay";
import { builder, MAX_CONNECTION_SIZE } from "./builder.js";
import { dropNulls } from "./fields.js";
import { AUDIT_SUBJECT_TYPES, auditEventWindow, type AuditEvent } from "../services/audit/index.js";
import { decodeCursor, encodeCursor } from "../services/common/index.js";

const AuditEventRef = builder.objectRef<AuditEvent>("AuditEvent").implement({
  description: "One audited write (every admin write, and a customer's cancellation), recorded in the write's own transaction. Admins only.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The event's database id, the same as in REST." }),
    actor: t.exposeString("actor", { description: "Who: the admin token's sub, or customer:<user id> for a customer." }),
    action: t.exposeString("action", { description: "What, as <subject>.<verb>: product.create, coupon.create, order.fulfill, ..." }),
    subjectType: t.exposeString("subjectType", { description: `The kind of record written: ${AUDIT_SUBJECT_TYPES.join(", ")}.` }),
    subjectId: t.exposeID("subjectId", { description: "The record's id." }),
    details: t.string({
      nullable: true,
      description: "What the admin asked for (prices, flags, amounts) as a JSON object in a string; null when nothing was recorded.",
      resolve: (e) => (e.details === null ? null : JSON.stringify(e.details)),
    }),
    requestId: t.exposeString("requestId", { nullable: true, description: "The request that made the write (its x-request-id)." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the write committed." }),
  }),
});

const AuditEventFilter = builder.inputType("AuditEventFilter", {
  description: "Narrows the audit trail; the fields combine. A field that breaks its rule is VALIDATION_FAILED, named in details.fields.",
  fields: (t) => ({
    actor: t.string({ description: "Only this actor's events, matched exactly (1 to 200 characters): an admin token's sub, or customer:<user id>." }),
    action: t.string({ description: "Only this action, matched exactly (1 to 200 characters), such as product.create." }),
    subjectType: t.string({ description: `Only events about this kind of record: ${AUDIT_SUBJECT_TYPES.join(", ")}.` }),
    subjectId: t.id({ description: "Only events about this record (up to 64 characters); needs subjectType." }),
    since: t.field({ type: "DateTime", description: "Only events created at or after this instant." }),
  }),
});

builder.queryFields((t) => ({
  auditEvents: t.connection({
    authScopes: { admin: "read the audit trail" },
    type: AuditEventRef,
    description: "Admins only: the audit trail (every admin write, and customers' cancellations), newest first.",
    args: { filter: t.arg({ type: AuditEventFilter, description: "Which events; omitted, all of them." }) },
    resolve: (_root, args, ctx) =>
      resolveCursorConnection<Promise<AuditEvent[]>>({ args, toCursor: (e: AuditEvent) => encodeCursor(e.id), maxSize: MAX_CONNECTION_SIZE }, (page) =>
        auditEventWindow(ctx.principal, dropNulls(args.filter ?? {}), {
          olderThan: page.after ? decodeCursor(page.after) : undefined,
          newerThan: page.before ? decodeCursor(page.before) : undefined,
          limit: page.limit,
          oldestFirst: page.inverted,
        }),
      ),
  }, { name: "AuditEventConnection", description: "A page of audit events, newest first." }, { name: "AuditEventEdge", description: "An audit event and its cursor." }),
}));
