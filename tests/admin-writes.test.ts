import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";
import { uploadCsv, waitForJob } from "./helpers/bulk.js";

/**
 * Admin writes: each leaves one AuditEvent (who, what, which record, when, the
 * request id) in its own transaction; customers' writes and refused calls
 * leave none. A price of 0 takes an explicit admin action, never a CSV row by itself.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    UPLOAD_DIR: `${TMP_DIR}/uploads-${randomUUID()}`,
    BULK_WORKER_POLL_MS: 50,
    CARD_GATEWAY_LATENCY_MS: 1,
    SHIPPING_LATENCY_MS: 1,
  });
});
afterAll(() => server.stop());

const post = (path: string, json: unknown, options: { as?: string; requestId?: string; key?: string } = {}) =>
  server.request(path, {
    method: "POST",
    json,
    as: options.as,
    headers: { ...(options.requestId ? { "x-request-id": options.requestId } : {}), ...(options.key ? { "Idempotency-Key": options.key } : {}) },
  });

const eventsFor = (subjectType: string, subjectId: number) =>
  db().auditEvent.findMany({ where: { subjectType, subjectId: String(subjectId) }, orderBy: { id: "asc" } });

const sku = () => `SKU-${randomUUID().slice(0, 8)}`;

describe("the audit trail", () => {
  it("records a product an admin creates: the admin's sub, the action, the product, when, and the request id", async () => {
    const requestId = `audit-${randomUUID()}`;
    const before = new Date(Date.now() - 1000);
    const res = await post("/api/products", { name: "Desk", price: 120, stockQuantity: 3, sku: sku() }, { requestId });
    expect(res.status).toBe(201);
    const product = await res.json();
    const [event, ...more] = await eventsFor("Product", product.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ actor: "test-admin", action: "product.create", requestId });
    expect(JSON.parse(event!.details!)).toMatchObject({ priceCents: 12_000, stockQuantity: 3 });
    expect(event!.createdAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
  });

  it("records coupons, imports, checkouts and payments made for a customer, and fulfilment", async () => {
    const coupon = await server.gql(`mutation { createCoupon(input: { code: "AUD${randomUUID().slice(0, 6)}", type: PERCENTAGE, percentOff: 10 }) { coupon { id } } }`);
    expect(coupon.errors).toBeUndefined();
    expect(await eventsFor("Coupon", Number(coupon.data.createCoupon.coupon.id))).toEqual([expect.objectContaining({ action: "coupon.create", actor: "test-admin" })]);

    const upload = await uploadCsv(server, `sku,name,price,stockQuantity\n${sku()},Lamp,9.99,4\n`, { query: "?dryRun=true" });
    expect(upload.status).toBe(202);
    const job = await upload.json();
    const [imported] = await eventsFor("BulkUploadJob", job.id);
    expect(imported).toMatchObject({ action: "product.import", requestId: upload.headers.get("x-request-id") });
    expect(JSON.parse(imported!.details!)).toMatchObject({ dryRun: true, allowZeroPrices: false, fileSizeBytes: expect.any(Number) });
    await waitForJob(server, job.id);

    const user = await createUser();
    const product = await createProduct({ priceCents: 2000 });
    const checkout = await post("/api/checkout", { userId: user.id, items: [{ productId: product.id, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" }, { key: randomUUID() });
    expect(checkout.status).toBe(201);
    const { orderId, paymentId } = await checkout.json();
    expect((await eventsFor("Order", orderId)).map((e) => e.action)).toEqual(["order.create"]);
    expect((await eventsFor("Payment", paymentId)).map((e) => e.action)).toEqual(["payment.create"]);

    const fulfilled = await post(`/api/orders/${orderId}/fulfill`, undefined);
    expect(fulfilled.status).toBe(200);
    expect((await eventsFor("Order", orderId)).map((e) => e.action)).toEqual(["order.create", "order.fulfillment_start", "order.fulfill"]);

    const unpaid = await createOrder(user.id, [{ productId: product.id, quantity: 1, unitPriceCents: 2000 }]);
    const skipped = await post("/api/payments/process-simple", { orderId: unpaid.id, paymentMethod: "credit_card", cardLast4: "4242" }, { key: randomUUID() });
    expect(skipped.status).toBe(200);
    const [payment] = await eventsFor("Payment", (await skipped.json()).paymentId);
    expect(payment).toMatchObject({ action: "payment.create_without_fraud_check", actor: "test-admin" });
    expect(JSON.parse(payment!.details!)).toEqual({ orderId: unpaid.id, amountCents: 2000 });
  });

  it("records nothing for a customer's own writes, nor for refused calls", async () => {
    const user = await createUser();
    const token = await server.tokenFor(user.id);
    const product = await createProduct({ priceCents: 1500 });
    const before = await db().auditEvent.count();

    const checkout = await post("/api/checkout", { items: [{ productId: product.id, quantity: 1 }] }, { as: token, key: randomUUID() });
    expect(checkout.status).toBe(201);
    const { orderId } = await checkout.json();
    expect((await post("/api/payments/process", { orderId, paymentMethod: "credit_card", cardLast4: "4242" }, { as: token, key: randomUUID() })).status).toBe(200);
    expect((await post("/api/products", { name: "X", price: 1, stockQuantity: 1 }, { as: token })).status).toBe(403);
    expect((await post("/api/payments/process-simple", { orderId, paymentMethod: "credit_card" }, { as: token, key: randomUUID() })).status).toBe(403);
    expect((await post("/api/checkout/coupons", { code: "NOPE", discount: "100%" }, { as: "anonymous" })).status).toBe(401);
    // An admin write that fails validation rolls its event back with it.
    expect((await post("/api/products", { name: "", price: 1, stockQuantity: 1 })).status).toBe(400);

    expect(await db().auditEvent.count()).toBe(before);
  });
});

describe("a price of 0", () => {
  it("is refused when an admin creates a product without allowZeroPrice, on both doors, and nothing is created", async () => {
    const code = sku();
    const rest = await post("/api/products", { name: "Gift", price: 0, stockQuantity: 5, sku: code });
    expect(rest.status).toBe(400);
    expect(await rest.json()).toMatchObject({ code: "VALIDATION_FAILED", details: { fields: [expect.objectContaining({ field: "priceCents" })] } });
    const gql = await server.gql(`mutation { createProduct(input: { name: "Gift", priceCents: 0, stockQuantity: 5, sku: "${code}" }) { product { id } } }`);
    expect(gql.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(await db().product.count({ where: { sku: code } })).toBe(0);
  });

  it("is created when the admin says allowZeroPrice: true, and the audit event says so", async () => {
    const res = await post("/api/products", { name: "Sticker", price: 0, stockQuantity: 100, sku: sku(), allowZeroPrice: true });
    expect(res.status).toBe(201);
    const product = await res.json();
    expect(product).toMatchObject({ price: 0, priceCents: 0 });
    const [event] = await eventsFor("Product", product.id);
    expect(JSON.parse(event!.details!)).toMatchObject({ priceCents: 0 });
  });

  it("is a row error in a CSV by default: the price-rewrite upload changes no price", async () => {
    const existing = await createProduct({ sku: sku(), priceCents: 4999 });
    const fresh = sku();
    const csv = `sku,name,price,stockQuantity\n${existing.sku},Rewritten,0.00,1\n${fresh},Free,0,1\n${sku()},Paid,1.00,1\n`;
    const res = await uploadCsv(server, csv);
    expect(res.status).toBe(202);
    const job = await waitForJob(server, (await res.json()).id);
    expect(job).toMatchObject({ status: "COMPLETED", allowZeroPrices: false, succeededRows: 1, failedRows: 2 });
    expect(job.errors).toEqual([
      expect.objectContaining({ row: 1, column: "price", message: expect.stringMatching(/is 0; upload with allowZeroPrices/) }),
      expect.objectContaining({ row: 2, column: "price" }),
    ]);
    expect(await db().product.findUniqueOrThrow({ where: { id: existing.id } })).toMatchObject({ name: existing.name, priceCents: 4999 });
    expect(await db().product.count({ where: { sku: fresh } })).toBe(0);
  });

  it("is imported from a CSV only when the admin uploads with allowZeroPrices, on either door", async () => {
    const rest = sku();
    const res = await uploadCsv(server, `sku,name,price,stockQuantity\n${rest},Free sample,0.00,10\n`, { query: "?allowZeroPrices=true" });
    expect(res.status).toBe(202);
    expect(await waitForJob(server, (await res.json()).id)).toMatchObject({ status: "COMPLETED", allowZeroPrices: true, succeededRows: 1, failedRows: 0 });
    expect((await db().product.findUniqueOrThrow({ where: { sku: rest } })).priceCents).toBe(0);

    const gqlSku = sku();
    const form = new FormData();
    const query = `mutation ($file: Upload!) { bulkUploadProducts(file: $file, allowZeroPrices: true) { job { id allowZeroPrices } } }`;
    form.append("operations", JSON.stringify({ query, variables: { file: null } }));
    form.append("map", JSON.stringify({ 0: ["variables.file"] }));
    form.append("0", new Blob([`sku,name,price,stockQuantity\n${gqlSku},Free,0,1\n`], { type: "text/csv" }), "free.csv");
    const gql = await (await server.request("/graphql", { method: "POST", body: form, headers: { "x-graphql-yoga-csrf": "1" } })).json();
    expect(gql.errors).toBeUndefined();
    expect(gql.data.bulkUploadProducts.job.allowZeroPrices).toBe(true);
    await waitForJob(server, Number(gql.data.bulkUploadProducts.job.id));
    expect((await db().product.findUniqueOrThrow({ where: { sku: gqlSku } })).priceCents).toBe(0);
  });
});
