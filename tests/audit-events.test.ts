import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../src/auth/sign.js";
import { createUser } from "./helpers/factories.js";
import { db, startTestServer, TEST_AUTH_SECRET, type TestServer } from "./helpers/server.js";

/**
 * The audit trail, read back (docs/api.md, "Audit trail"): admins only, on both
 * doors, newest first, filtered and paged. Pages are small here
 * (DEFAULT_PAGE_SIZE 3, MAX_PAGE_SIZE 5) so the caps and cursors are exercised
 * with a handful of writes.
 */
let server: TestServer;
let customer: string;
let otherAdmin: string;
/** What the writes in beforeAll made: their ids, in the order they were made. */
let made: { product: number; coupon: number; otherProduct: number; late: number[]; cut: Date; requestId: string };

beforeAll(async () => {
  server = await startTestServer({ DEFAULT_PAGE_SIZE: 3, MAX_PAGE_SIZE: 5, BULK_WORKER_ENABLED: false });
  customer = await server.tokenFor((await createUser()).id);
  otherAdmin = await signToken(TEST_AUTH_SECRET, { sub: "auditor-2", roles: ["admin"] }, "1h");

  const requestId = `audit-read-${randomUUID()}`;
  const product = await createProductAs(undefined, { requestId });
  const coupon = await server.gql(`mutation NewCoupon($code: String!) { createCoupon(input: { code: $code, type: PERCENTAGE, percentOff: 10 }) { coupon { id } } }`, {
    code: `AUD${randomUUID().slice(0, 6).toUpperCase()}`,
  });
  expect(coupon.errors).toBeUndefined();
  const otherProduct = await createProductAs(otherAdmin);
  await sleep(20);
  const cut = new Date();
  const late = [await createProductAs(), await createProductAs()];
  made = { product, coupon: Number(coupon.data.createCoupon.coupon.id), otherProduct, late, cut, requestId };
});
afterAll(() => server.stop());

async function createProductAs(as?: string, options: { requestId?: string } = {}): Promise<number> {
  const res = await server.request("/api/products", {
    method: "POST",
    as,
    headers: options.requestId ? { "x-request-id": options.requestId } : {},
    json: { name: "Audited", price: "12.50", stockQuantity: 4, sku: `AUD-${randomUUID().slice(0, 8)}` },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

const restEvents = async (query: Record<string, string> = {}, as?: string) => {
  const res = await server.request(`/api/audit-events?${new URLSearchParams(query)}`, { as });
  return { status: res.status, headers: res.headers, body: await res.json() };
};

/** Every event through REST, page by page. */
async function allRest(query: Record<string, string> = {}): Promise<any[]> {
  const events: any[] = [];
  let cursor: string | null = null;
  do {
    const { status, body } = await restEvents({ ...query, limit: "5", ...(cursor ? { cursor } : {}) });
    expect(status).toBe(200);
    events.push(...body.events);
    cursor = body.nextCursor;
  } while (cursor);
  return events;
}

const AUDIT_EVENTS = `query AuditTrail($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id actor action subjectType subjectId details requestId createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const gqlEvents = (variables: Record<string, unknown>) => server.gql(AUDIT_EVENTS, variables);

/** Every event through GraphQL, page by page. */
async function allGql(filter?: Record<string, unknown>, first = 2): Promise<any[]> {
  const nodes: any[] = [];
  let after: string | null = null;
  for (;;) {
    const { data, errors } = await gqlEvents({ first, after, filter });
    expect(errors).toBeUndefined();
    nodes.push(...data.auditEvents.edges.map((e: any) => e.node));
    if (!data.auditEvents.pageInfo.hasNextPage) return nodes;
    after = data.auditEvents.pageInfo.endCursor;
  }
}

const ids = (events: { id: number | string }[]) => events.map((e) => Number(e.id));
const fieldsOf = (body: any) => body.details.fields.map((f: { field: string }) => f.field);

describe("reading the audit trail", () => {
  it("shows an admin's product and coupon on both doors, newest first, details parsed back", async () => {
    const rest = await allRest();
    expect(ids(rest)).toEqual([...ids(rest)].sort((a, b) => b - a));
    const subjects = rest.map((e) => `${e.subjectType}:${e.subjectId}`);
    expect(subjects.slice(0, 5)).toEqual([
      `Product:${made.late[1]}`, `Product:${made.late[0]}`, `Product:${made.otherProduct}`, `Coupon:${made.coupon}`, `Product:${made.product}`,
    ]);

    const product = rest.find((e) => e.subjectType === "Product" && e.subjectId === String(made.product));
    expect(product).toEqual({
      id: expect.any(Number),
      actor: "test-admin",
      action: "product.create",
      subjectType: "Product",
      subjectId: String(made.product),
      details: { sku: expect.stringMatching(/^AUD-/), priceCents: 1250, stockQuantity: 4 },
      requestId: made.requestId,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(rest.find((e) => e.subjectType === "Coupon")).toMatchObject({ actor: "test-admin", action: "coupon.create", subjectId: String(made.coupon) });

    const graphql = await allGql();
    expect(graphql).toEqual(rest.map((e) => ({ ...e, id: String(e.id), details: e.details === null ? null : JSON.stringify(e.details) })));
    expect(JSON.parse(graphql.find((e) => e.id === String(product.id)).details)).toEqual(product.details);
  });

  it("filters by actor, action, subject and since, the same on both doors", async () => {
    const cases: [Record<string, string>, number[]][] = [
      [{ actor: "auditor-2" }, [made.otherProduct]],
      [{ action: "coupon.create" }, [made.coupon]],
      [{ subjectType: "Coupon" }, [made.coupon]],
      [{ subjectType: "Product", subjectId: String(made.product) }, [made.product]],
      [{ subjectType: "Coupon", subjectId: String(made.product) }, []],
      [{ since: made.cut.toISOString() }, [...made.late].reverse()],
      [{ actor: "test-admin", action: "product.create", since: made.cut.toISOString() }, [...made.late].reverse()],
      [{ actor: "nobody" }, []],
    ];
    for (const [filter, subjects] of cases) {
      const rest = await allRest(filter);
      expect(rest.map((e) => Number(e.subjectId)), JSON.stringify(filter)).toEqual(subjects);
      expect(ids(await allGql(filter)), JSON.stringify(filter)).toEqual(ids(rest));
    }
  });

  it("reads since with an offset as the same instant, and keeps events created at or after it", async () => {
    const [latest] = (await restEvents({ limit: "1" })).body.events;
    const at = new Date(latest.createdAt);
    // The same instant, written two hours ahead of UTC.
    const shifted = new Date(at.getTime() + 2 * 3600_000).toISOString().replace("Z", "+02:00");
    expect((await restEvents({ since: shifted })).body.events.map((e: any) => e.id)).toEqual([latest.id]);
    expect((await restEvents({ since: new Date(at.getTime() + 1).toISOString() })).body.events).toEqual([]);
  });

  it("pages through every event with the cursor, without repeats, on both doors", async () => {
    const everything = ids((await restEvents({ limit: "5" })).body.events);
    const walked: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body }: { body: any } = await restEvents({ limit: "2", ...(cursor ? { cursor } : {}) });
      expect(body.events.length).toBeLessThanOrEqual(2);
      walked.push(...ids(body.events));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(walked).toEqual(everything);
    expect(new Set(walked).size).toBe(walked.length);
    expect(ids(await allGql(undefined, 2))).toEqual(everything);
  });

  it("answers DEFAULT_PAGE_SIZE events without limit and refuses more than MAX_PAGE_SIZE", async () => {
    const first = await restEvents();
    expect(first.body.events).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await restEvents({ limit: "5" })).body.events).toHaveLength(5);
    const over = await restEvents({ limit: "6" });
    expect(over.status).toBe(400);
    expect(fieldsOf(over.body)).toEqual(["limit"]);
  });

  it("ignores unknown query parameters, as the other lists do", async () => {
    const plain = await restEvents({ limit: "2" });
    const extra = await restEvents({ limit: "2", utm_source: "mail" });
    expect(extra.status).toBe(200);
    expect(extra.body).toEqual(plain.body);
  });

  const badQueries: [string, string, string][] = [
    ["limit=0", "limit=0", "limit"],
    ["a word as limit", "limit=ten", "limit"],
    ["a cursor the API did not issue", "cursor=not-a-cursor", "cursor"],
    ["since as a date only", "since=2026-01-31", "since"],
    ["since without a zone", "since=2026-01-31T09:30:00", "since"],
    ["since as words", "since=yesterday", "since"],
    ["an unknown subject type", "subjectType=Widget", "subjectType"],
    ["a subject id without its type", "subjectId=5", "subjectType"],
    ["a subject id over 64 characters", `subjectType=Order&subjectId=${"9".repeat(65)}`, "subjectId"],
    ["an actor over 200 characters", `actor=${"a".repeat(201)}`, "actor"],
    ["an empty actor", "actor=", "actor"],
    ["an action with a control character", "action=product.create%01", "action"],
    ["a repeated actor", "actor=a&actor=b", "actor"],
  ];

  it.each(badQueries)("answers 400 VALIDATION_FAILED for %s", async (_label, query, field) => {
    const res = await server.request(`/api/audit-events?${query}`);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ code: "VALIDATION_FAILED", error: expect.any(String), requestId: expect.any(String) });
    expect(fieldsOf(body)).toContain(field);
  });

  it("answers VALIDATION_FAILED on GraphQL for a bad filter or cursor", async () => {
    for (const [variables, field] of [
      [{ first: 2, filter: { subjectType: "Widget" } }, "subjectType"],
      [{ first: 2, filter: { subjectId: "5" } }, "subjectType"],
      [{ first: 2, filter: { actor: "x".repeat(201) } }, "actor"],
    ] as const) {
      const { data, errors } = await gqlEvents(variables);
      expect(data).toBeNull();
      expect(errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", details: { fields: [expect.objectContaining({ field })] } });
    }
    expect((await gqlEvents({ first: 2, after: "junk" })).errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
  });

  it("refuses a customer (403) and an anonymous caller (401) on both doors, and reading writes nothing", async () => {
    const before = await db().auditEvent.count();

    const anonymous = await server.request("/api/audit-events", { as: "anonymous" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await anonymous.json()).code).toBe("UNAUTHENTICATED");
    const forbidden = await server.request("/api/audit-events", { as: customer });
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).code).toBe("FORBIDDEN");

    const asCaller = async (as: string) => {
      const res = await server.request("/graphql", { method: "POST", as, json: { query: AUDIT_EVENTS, variables: { first: 2 } } });
      const body = await res.json();
      expect(body.data).toBeNull();
      return body.errors[0].extensions.code;
    };
    expect(await asCaller("anonymous")).toBe("UNAUTHENTICATED");
    expect(await asCaller(customer)).toBe("FORBIDDEN");

    expect((await restEvents()).status).toBe(200);
    expect(await db().auditEvent.count()).toBe(before);
  });
});
