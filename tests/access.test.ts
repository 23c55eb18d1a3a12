import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";
import type { GraphQLObjectType } from "graphql";
import { schema } from "../src/schema/index.js";

/**
 * The roles table (docs/auth.md), every operation of both doors, as
 * anonymous, as customer A on A's resources, as customer B on A's resources,
 * and as admin. A refused call answers the table's status and code and
 * changes no row.
 */
let server: TestServer;
let tokens: Record<Caller, string | "anonymous">;
beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 1, SHIPPING_LATENCY_MS: 1, BULK_WORKER_ENABLED: false });
  const [a, b] = [await createUser(), await createUser()];
  owner = a.id;
  tokens = { anonymous: "anonymous", own: await server.tokenFor(a.id), other: await server.tokenFor(b.id), admin: await server.tokenFor() };
});
afterAll(() => server.stop());

type Caller = "anonymous" | "own" | "other" | "admin";
const CALLERS: Caller[] = ["anonymous", "own", "other", "admin"];
let owner: number;

/** Fresh resources of customer A for one call. */
async function resources() {
  const product = await createProduct({ stockQuantity: 100, priceCents: 1000 });
  const pending = await createOrder(owner, [{ productId: product.id, quantity: 1, unitPriceCents: 1000 }], { reservedUntil: new Date(Date.now() + 600_000) });
  const paid = await createOrder(owner, [{ productId: product.id, quantity: 1, unitPriceCents: 1000 }], { status: "PAID" });
  await db().inventoryReservation.create({ data: { orderId: paid.id, productId: product.id, quantity: 1, status: "COMMITTED", expiresAt: new Date() } });
  const chargeId = `ch_${randomUUID()}`;
  await db().simulatedGatewayCharge.create({ data: { chargeId, idempotencyKey: chargeId, amountCents: 1000, status: "succeeded" } });
  const payment = await db().payment.create({ data: { orderId: paid.id, status: "COMPLETED", amountCents: 1000, paymentMethod: "credit_card", gatewayChargeId: chargeId } });
  const job = await db().bulkUploadJob.create({ data: { filePath: "/nonexistent.csv", fileSizeBytes: 0, status: "COMPLETED" } });
  return { product, pending, paid, payment, job };
}
type Resources = Awaited<ReturnType<typeof resources>>;

async function rowCounts() {
  const d = db();
  return Promise.all([
    d.product.count(), d.order.count(), d.payment.count(), d.coupon.count(), d.idempotencyKey.count(), d.bulkUploadJob.count(),
    d.shipment.count(), d.inventoryReservation.count(), d.order.count({ where: { status: "PAID" } }), d.order.count({ where: { couponId: { not: null } } }),
    d.auditEvent.count(), d.refund.count(), d.simulatedGatewayRefund.count(), d.order.count({ where: { status: "CANCELLED" } }),
  ]);
}

/** What a call answered: `200`, or `401 UNAUTHENTICATED` (REST: status and code; GraphQL: the first error's code, else ok). */
type Answer = string;

const rest = (method: string, path: (r: Resources) => string, body?: (r: Resources) => unknown, type = "application/json") =>
  async (as: string, r: Resources): Promise<Answer> => {
    const payload = body?.(r);
    const res = await server.request(path(r), {
      method,
      as,
      headers: { "Idempotency-Key": randomUUID(), ...(payload === undefined ? {} : { "content-type": type }) },
      body: payload === undefined ? undefined : typeof payload === "string" ? payload : JSON.stringify(payload),
    });
    const text = await res.text();
    if (res.ok) return String(res.status);
    return `${res.status} ${(JSON.parse(text) as { code: string }).code}`;
  };

const gql = (query: string, variables: (r: Resources) => Record<string, unknown> = () => ({})) =>
  async (as: string, r: Resources): Promise<Answer> => {
    const res = await server.request("/graphql", { method: "POST", as, json: { query, variables: variables(r) } });
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    return body.errors?.length ? String(body.errors[0]!.extensions?.code) : "ok";
  };

const ANON = "401 UNAUTHENTICATED";
const FORBID = "403 FORBIDDEN";
const GONE = "404 NOT_FOUND";
const code = () => `C${randomUUID().slice(0, 8).toUpperCase()}`;
const csv = "sku,name,price,stockQuantity\nACC-1,Access test,1.00,1\n";

const table: [string, (as: string, r: Resources) => Promise<Answer>, Record<Caller, Answer>][] = [
  ["GET /", rest("GET", () => "/"), { anonymous: "200", own: "200", other: "200", admin: "200" }],
  ["GET /health", rest("GET", () => "/health"), { anonymous: "200", own: "200", other: "200", admin: "200" }],
  ["GET /api/products", rest("GET", () => "/api/products?limit=2"), { anonymous: "200", own: "200", other: "200", admin: "200" }],
  ["GET /api/products/:id", rest("GET", (r) => `/api/products/${r.product.id}`), { anonymous: "200", own: "200", other: "200", admin: "200" }],
  ["POST /api/products", rest("POST", () => "/api/products", () => ({ name: "New", price: "1.00", stockQuantity: 1 })), { anonymous: ANON, own: FORBID, other: FORBID, admin: "201" }],
  ["POST /api/products/bulk-upload", rest("POST", () => "/api/products/bulk-upload", () => csv, "text/csv"), { anonymous: ANON, own: FORBID, other: FORBID, admin: "202" }],
  ["GET /api/products/bulk-upload/:id", rest("GET", (r) => `/api/products/bulk-upload/${r.job.id}`), { anonymous: ANON, own: FORBID, other: FORBID, admin: "200" }],
  ["GET /api/products/bulk-upload/:id/errors", rest("GET", (r) => `/api/products/bulk-upload/${r.job.id}/errors`), { anonymous: ANON, own: FORBID, other: FORBID, admin: "200" }],
  ["GET /api/products/sample-csv/:rows", rest("GET", () => "/api/products/sample-csv/5"), { anonymous: ANON, own: FORBID, other: FORBID, admin: "200" }],
  ["POST /api/checkout (as the owner; admin names the user)", rest("POST", () => "/api/checkout", (r) => ({ userId: owner, items: [{ productId: r.product.id, quantity: 1 }] })), { anonymous: ANON, own: "201", other: FORBID, admin: "201" }],
  ["POST /api/checkout/:orderId/apply-coupon", rest("POST", (r) => `/api/checkout/${r.pending.id}/apply-coupon`, () => ({ couponCode: "SAVE10" })), { anonymous: ANON, own: "200", other: GONE, admin: "200" }],
  ["GET /api/checkout/coupons", rest("GET", () => "/api/checkout/coupons"), { anonymous: ANON, own: FORBID, other: FORBID, admin: "200" }],
  ["POST /api/checkout/coupons", rest("POST", () => "/api/checkout/coupons", () => ({ code: code(), discount: "5%" })), { anonymous: ANON, own: FORBID, other: FORBID, admin: "201" }],
  ["POST /api/payments/process", rest("POST", () => "/api/payments/process", (r) => ({ orderId: r.pending.id, paymentMethod: "credit_card" })), { anonymous: ANON, own: "200", other: GONE, admin: "200" }],
  ["POST /api/payments/process-simple", rest("POST", () => "/api/payments/process-simple", (r) => ({ orderId: r.pending.id, paymentMethod: "credit_card" })), { anonymous: ANON, own: FORBID, other: FORBID, admin: "200" }],
  ["GET /api/payments/:id", rest("GET", (r) => `/api/payments/${r.payment.id}`), { anonymous: ANON, own: "200", other: GONE, admin: "200" }],
  ["POST /api/orders/:id/fulfill", rest("POST", (r) => `/api/orders/${r.paid.id}/fulfill`), { anonymous: ANON, own: FORBID, other: FORBID, admin: "200" }],
  ["GET /api/orders/:id", rest("GET", (r) => `/api/orders/${r.paid.id}`), { anonymous: ANON, own: "200", other: GONE, admin: "200" }],
  ["GET /api/orders/user/:userId", rest("GET", () => `/api/orders/user/${owner}`), { anonymous: ANON, own: "200", other: GONE, admin: "200" }],
  ["POST /api/payments/:id/refund", rest("POST", (r) => `/api/payments/${r.payment.id}/refund`, () => ({ amount: "1.00", reason: "access" })), { anonymous: ANON, own: FORBID, other: FORBID, admin: "201" }],
  ["POST /api/orders/:id/cancel (PENDING)", rest("POST", (r) => `/api/orders/${r.pending.id}/cancel`, () => ({})), { anonymous: ANON, own: "200", other: GONE, admin: "200" }],
  ["POST /api/orders/:id/cancel (PAID)", rest("POST", (r) => `/api/orders/${r.paid.id}/cancel`, () => ({})), { anonymous: ANON, own: "409 ORDER_NOT_CANCELLABLE", other: GONE, admin: "200" }],
  ["GET /api/audit-events", rest("GET", () => "/api/audit-events?limit=2"), { anonymous: ANON, own: FORBID, other: FORBID, admin: "200" }],

  ["query products", gql(`query P { products(first: 2) { edges { node { id } } } }`), { anonymous: "ok", own: "ok", other: "ok", admin: "ok" }],
  ["query product", gql(`query P($id: ID!) { product(id: $id) { id } }`, (r) => ({ id: r.product.id })), { anonymous: "ok", own: "ok", other: "ok", admin: "ok" }],
  ["query me", gql(`query Me { me { kind } }`), { anonymous: "UNAUTHENTICATED", own: "ok", other: "ok", admin: "ok" }],
  ["query users", gql(`query U { users(first: 2) { edges { node { id } } } }`), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["query user", gql(`query U($id: ID!) { user(id: $id) { id email } }`, () => ({ id: owner })), { anonymous: "UNAUTHENTICATED", own: "ok", other: "NOT_FOUND", admin: "ok" }],
  ["query order", gql(`query O($id: ID!) { order(id: $id) { id } }`, (r) => ({ id: r.paid.id })), { anonymous: "UNAUTHENTICATED", own: "ok", other: "NOT_FOUND", admin: "ok" }],
  ["query payment", gql(`query P($id: ID!) { payment(id: $id) { id } }`, (r) => ({ id: r.payment.id })), { anonymous: "UNAUTHENTICATED", own: "ok", other: "NOT_FOUND", admin: "ok" }],
  ["query coupons", gql(`query C { coupons { code } }`), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["query bulkUploadJob", gql(`query J($id: ID!) { bulkUploadJob(id: $id) { id } }`, (r) => ({ id: r.job.id })), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["query auditEvents", gql(`query A { auditEvents(first: 2) { edges { node { id action } } } }`), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["mutation createProduct", gql(`mutation C { createProduct(input: { name: "G", priceCents: 100, stockQuantity: 1 }) { product { id } } }`), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["mutation createCoupon", gql(`mutation C($code: String!) { createCoupon(input: { code: $code, type: PERCENTAGE, percentOff: 5 }) { coupon { id } } }`, () => ({ code: code() })), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["mutation checkout", gql(`mutation C($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) { order { id } } }`, (r) => ({ input: { userId: owner, items: [{ productId: r.product.id, quantity: 1 }] }, key: randomUUID() })), { anonymous: "UNAUTHENTICATED", own: "ok", other: "FORBIDDEN", admin: "ok" }],
  ["mutation applyCoupon", gql(`mutation A($id: ID!) { applyCoupon(orderId: $id, code: "SAVE10") { discountCents } }`, (r) => ({ id: r.pending.id })), { anonymous: "UNAUTHENTICATED", own: "ok", other: "NOT_FOUND", admin: "ok" }],
  ["mutation processPayment", gql(`mutation P($id: ID!, $key: String!) { processPayment(input: { orderId: $id, paymentMethod: "credit_card" }, idempotencyKey: $key) { payment { id } } }`, (r) => ({ id: r.pending.id, key: randomUUID() })), { anonymous: "UNAUTHENTICATED", own: "ok", other: "NOT_FOUND", admin: "ok" }],
  ["mutation processPayment skipFraudCheck", gql(`mutation P($id: ID!, $key: String!) { processPayment(input: { orderId: $id, paymentMethod: "credit_card", skipFraudCheck: true }, idempotencyKey: $key) { payment { id } } }`, (r) => ({ id: r.pending.id, key: randomUUID() })), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["mutation refundPayment", gql(`mutation R($id: ID!, $key: String!) { refundPayment(input: { paymentId: $id, amountCents: 100 }, idempotencyKey: $key) { refund { id } } }`, (r) => ({ id: r.payment.id, key: randomUUID() })), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
  ["mutation cancelOrder (PENDING)", gql(`mutation C($id: ID!) { cancelOrder(orderId: $id) { order { status } } }`, (r) => ({ id: r.pending.id })), { anonymous: "UNAUTHENTICATED", own: "ok", other: "NOT_FOUND", admin: "ok" }],
  ["mutation cancelOrder (PAID)", gql(`mutation C($id: ID!) { cancelOrder(orderId: $id) { order { status } } }`, (r) => ({ id: r.paid.id })), { anonymous: "UNAUTHENTICATED", own: "ORDER_NOT_CANCELLABLE", other: "NOT_FOUND", admin: "ok" }],
  ["mutation fulfillOrder", gql(`mutation F($id: ID!) { fulfillOrder(orderId: $id) { trackingNumber } }`, (r) => ({ id: r.paid.id })), { anonymous: "UNAUTHENTICATED", own: "FORBIDDEN", other: "FORBIDDEN", admin: "ok" }],
];

describe("the roles table on both doors", () => {
  for (const [operation, call, expected] of table) {
    for (const caller of CALLERS) {
      const refused = !["200", "201", "202", "ok"].includes(expected[caller]);
      it(`${operation} as ${caller}: ${expected[caller]}${refused ? ", nothing changed" : ""}`, async () => {
        const r = await resources();
        const before = await rowCounts();
        expect(await call(tokens[caller], r)).toBe(expected[caller]);
        if (refused) expect(await rowCounts()).toEqual(before);
      });
    }
  }
});

describe("the GraphQL schema's declarations", () => {
  it("every root field declares who may call it (plugin-scope-auth), as the roles table says", () => {
    const declared = (type: GraphQLObjectType | null | undefined) =>
      Object.fromEntries(Object.values(type!.getFields()).map((f) => [f.name, (f.extensions as { pothosOptions?: { authScopes?: unknown } }).pothosOptions?.authScopes ?? "public"]));
    const admin = expect.objectContaining({ admin: expect.any(String) });
    const signedIn = { signedIn: true };
    expect(declared(schema.getQueryType())).toEqual({
      products: "public", product: "public", me: signedIn, order: signedIn, payment: signedIn, user: signedIn,
      users: admin, coupons: admin, bulkUploadJob: admin, auditEvents: admin,
    });
    expect(declared(schema.getMutationType())).toEqual({
      checkout: signedIn, applyCoupon: signedIn, processPayment: signedIn, cancelOrder: signedIn,
      createProduct: admin, bulkUploadProducts: admin, createCoupon: admin, fulfillOrder: admin, refundPayment: admin,
    });
    expect(declared(schema.getSubscriptionType())).toEqual({ bulkUploadJobProgress: admin, orderStatusChanged: signedIn });
  });
});

describe("own data stays own", () => {
  it("a customer's checkout is theirs whatever userId the body leaves out", async () => {
    const r = await resources();
    const res = await server.request("/api/checkout", {
      method: "POST",
      as: tokens.own,
      headers: { "Idempotency-Key": randomUUID() },
      json: { items: [{ productId: r.product.id, quantity: 1 }] },
    });
    expect(res.status).toBe(201);
    expect((await db().order.findUniqueOrThrow({ where: { id: (await res.json()).orderId } })).userId).toBe(owner);
  });

  it("one customer's idempotency key neither collides with nor replays another's", async () => {
    const r = await resources();
    const key = randomUUID();
    const body = { items: [{ productId: r.product.id, quantity: 1 }] };
    const first = await server.request("/api/checkout", { method: "POST", as: tokens.own, headers: { "Idempotency-Key": key }, json: body });
    const second = await server.request("/api/checkout", { method: "POST", as: tokens.other, headers: { "Idempotency-Key": key }, json: body });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect((await first.json()).orderId).not.toBe((await second.json()).orderId);
  });
});
