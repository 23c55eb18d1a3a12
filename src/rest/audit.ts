import { z } from "zod";
import type { Config } from "../config.js";
import { parseInput } from "../lib/validation.js";
import { currentPrincipal } from "../lib/request-context.js";
import { pageRequestSchema } from "../services/common/index.js";
import { AUDIT_SUBJECT_TYPES, auditEventFilterFields, listAuditEvents } from "../services/audit/index.js";
import { auditEventJson } from "./serializers.js";
import * as shapes from "./openapi/shapes.js";
import type { RestRoute } from "./route-table.js";

const since = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 timestamp with Z or an offset, e.g. 2026-01-31T09:30:00Z" })
  .transform((text) => new Date(text))
  .optional();

export function auditRoutes(config: Config): RestRoute[] {
  // Unknown parameters are ignored, as on the other lists; a known one with a bad value is 400.
  const auditQuery = pageRequestSchema(config.DEFAULT_PAGE_SIZE, config.MAX_PAGE_SIZE).extend({ ...auditEventFilterFields, since });
  return [
    {
      method: "get", path: "/api/audit-events", operationId: "listAuditEvents", tag: "Audit", access: "admin",
      summary: "The audit trail, newest first",
      description:
        "Every admin write, newest first, paged like the other lists (`limit`, `cursor`). Filters combine: `actor` and `action` match exactly, " +
        `\`subjectType\` (one of ${AUDIT_SUBJECT_TYPES.join(", ")}) with an optional \`subjectId\` (which needs \`subjectType\`), \`since\` keeps events created at or after it.`,
      query: auditQuery,
      success: { status: 200, description: "A page of events and the next page's cursor.", schema: shapes.AuditEventPage },
      errors: [400, 403],
      handler: async (req, res) => {
        const { limit, cursor, ...filter } = parseInput(auditQuery, req.query);
        const page = await listAuditEvents(currentPrincipal(), filter, { limit, cursor });
        res.json({ events: page.items.map(auditEventJson), nextCursor: page.nextCursor });
      },
    },
  ];
}
