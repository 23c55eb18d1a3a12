import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, type TestServer } from "./helpers/server.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const alice = () => db().user.findUniqueOrThrow({ where: { email: "alice@example.com" } });

describe("orders", () => {
  it("GET /api/orders/:orderId returns items with products, payments, shipment and money twins", async () => {
    const order = await db().order.findFirstOrThrow({ where: { userId: (await alice()).id } });
    const res = await server.request(`/api/orders/${order.id}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: "PAID", total: 249.98, totalCents: 24998, subtotalCents: 24998, discountCents: 0 });
    expect(body.items.map((i: any) => i.product.name).sort()).toEqual(["Laptop Stand", "Wireless Headphones"]);
    expect(body.items[0]).toHaveProperty("unitPriceCents");
    expect(body.payments).toEqual([expect.objectContaining({ status: "COMPLETED", amountCents: 24998, amount: 249.98 })]);
    expect(body.shipment).toBeNull();
  });

  it("answers 404 for an unknown order and 400 for a malformed id", async () => {
    expect((await server.request("/api/orders/424242")).status).toBe(404);
    const bad = await server.request("/api/orders/-1");
    expect(bad.status).toBe(400);
    expect((await bad.json()).details.fields[0].field).toBe("orderId");
  });

  it("GET /api/orders/user/:userId lists the user's orders newest first, paged", async () => {
    const user = await createUser();
    const product = await createProduct();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await createOrder(user.id, [{ productId: product.id, quantity: 1, unitPriceCents: 500 }])).id);
    }
    const first = await server.request(`/api/orders/user/${user.id}?limit=2`);
    expect(first.status).toBe(200);
    const page1 = await first.json();
    expect(page1.map((o: any) => o.id)).toEqual([ids[4], ids[3]]);
    const cursor = first.headers.get("x-next-cursor");
    const rest = await (await server.request(`/api/orders/user/${user.id}?limit=10&cursor=${cursor}`)).json();
    expect(rest.map((o: any) => o.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rest[0].items[0].product.id).toBe(product.id);
  });

  it("answers 404 for the orders of an unknown user", async () => {
    const res = await server.request("/api/orders/user/987654");
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe("NOT_FOUND");
  });
});

describe("payments", () => {
  it("GET /api/payments/:paymentId returns the payment with its order", async () => {
    const payment = await db().payment.findFirstOrThrow();
    const res = await server.request(`/api/payments/${payment.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: payment.id,
      status: "COMPLETED",
      amountCents: payment.amountCents,
      order: { id: payment.orderId, totalCents: payment.amountCents },
    });
  });

  it("answers 404 for an unknown payment", async () => {
    expect((await server.request("/api/payments/555555")).status).toBe(404);
  });
});

describe("coupons", () => {
  it("GET /api/checkout/coupons lists only active coupons, typed", async () => {
    const res = await server.request("/api/checkout/coupons");
    expect(res.status).toBe(200);
    const coupons = await res.json();
    expect(coupons.map((c: any) => c.code)).toEqual(["BUGGY", "SAVE10", "SAVE25"]);
    expect(coupons.find((c: any) => c.code === "BUGGY")).toMatchObject({ type: "PERCENTAGE", percentOff: 15 });
  });

  it("leaves out coupons whose redemptions are used up", async () => {
    await db().coupon.create({ data: { code: "USEDUP", type: "FIXED_AMOUNT", amountOffCents: 500, maxRedemptions: 2, redemptionCount: 2 } });
    await db().coupon.create({ data: { code: "ONELEFT", type: "FIXED_AMOUNT", amountOffCents: 500, maxRedemptions: 2, redemptionCount: 1 } });
    const codes = (await (await server.request("/api/checkout/coupons")).json()).map((c: any) => c.code);
    expect(codes).toContain("ONELEFT");
    expect(codes).not.toContain("USEDUP");
  });
});

describe("bulk upload jobs and sample CSV", () => {
  it("GET /api/products/bulk-upload/:jobId returns a job with progress and its first errors", async () => {
    const job = await db().bulkUploadJob.create({
      data: {
        status: "PROCESSING",
        filePath: "/tmp/x.csv",
        fileSizeBytes: 10,
        totalRows: 4,
        processedRows: 2,
        succeededRows: 1,
        failedRows: 1,
        errors: { create: [{ row: 2, line: 3, column: "price", message: "must be a decimal" }] },
      },
    });
    const res = await server.request(`/api/products/bulk-upload/${job.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: job.id,
      status: "PROCESSING",
      progress: 0.5,
      errors: [{ row: 2, line: 3, column: "price", message: "must be a decimal" }],
    });
    expect((await server.request("/api/products/bulk-upload/99999")).status).toBe(404);
  });

  it("GET /api/products/sample-csv/:rows streams a CSV with the documented header", async () => {
    const res = await server.request("/api/products/sample-csv/25?invalidFraction=0.2");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines[0]).toBe("sku,name,description,price,stockQuantity");
    expect(lines).toHaveLength(26);
    expect(lines.filter((l) => l.startsWith("BAD-"))).toHaveLength(5);
  });

  it("rejects a row count over the cap", async () => {
    const res = await server.request("/api/products/sample-csv/999999999");
    expect(res.status).toBe(400);
    expect((await res.json()).details.fields[0].field).toBe("rows");
  });
});

describe("service endpoints", () => {
  it("GET / describes the API and links GraphQL", async () => {
    const body = await (await server.request("/")).json();
    expect(body.links.graphql).toBe("/graphql");
    expect(body.endpoints).toContain("GET /api/products");
  });

  it("GET /health checks the database", async () => {
    const res = await server.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", checks: { database: { status: "ok" } } });
  });

  it("GET /metrics serves Prometheus text with process metrics", async () => {
    const res = await server.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it("echoes a sane x-request-id, replaces a hostile one, and puts it in error bodies", async () => {
    const kept = await server.request("/api/nowhere", { headers: { "x-request-id": "abc-123" } });
    expect(kept.status).toBe(404);
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    expect(await kept.json()).toEqual({ error: "No route GET /api/nowhere", code: "NOT_FOUND", requestId: "abc-123" });

    const replaced = await server.request("/health", { headers: { "x-request-id": "bad id\twith spaces" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers unknown routes outside /api with the JSON error body", async () => {
    const res = await server.request("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
  });
});
