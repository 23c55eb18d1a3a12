import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { configureServices } from "../src/services/index.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";
import { createProduct, createUser } from "./helpers/factories.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    { SHIPPING_LATENCY_MS: 20, CARD_GATEWAY_LATENCY_MS: 1, OUTBOX_POLL_MS: 3_600_000, FULFILLMENT_MAX_ATTEMPTS: 3, GRAPHQL_METRIC_OPERATIONS: ["Fulfil"] },
    { captureLogs: true },
  );
});
afterAll(() => server.stop());

function withSettings(overrides: Record<string, number>) {
  configureServices(loadConfig({}, { ...server.config, ...overrides }));
}

/** A PAID order made through the real checkout. */
async function paidOrder(quantity = 2) {
  const user = await createUser();
  const product = await createProduct({ stockQuantity: 10, priceCents: 1500 });
  const res = await server.request("/api/checkout", {
    method: "POST",
    json: { userId: user.id, items: [{ productId: product.id, quantity }], paymentMethod: "credit_card", cardLast4: "4242" },
    headers: { "Idempotency-Key": randomUUID() },
  });
  const body = await res.json();
  expect(body.status).toBe("PAID");
  return { orderId: body.orderId as number, productId: product.id, user };
}

const fulfil = (orderId: number, requestId?: string) =>
  server.request(`/api/orders/${orderId}/fulfill`, { method: "POST", headers: requestId ? { "x-request-id": requestId } : {} });
const orderOf = (id: number) => db().order.findUniqueOrThrow({ where: { id }, include: { shipment: true } });

describe("fulfilment", () => {
  it("fulfils a paid order: shipment, FULFILLED, no second stock decrement, outbox events", async () => {
    const { orderId, productId } = await paidOrder();
    const stockBefore = (await db().product.findUniqueOrThrow({ where: { id: productId } })).stockQuantity;
    const res = await fulfil(orderId, "fulfil-happy-1");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ success: true, orderId, status: "FULFILLED", message: "Order fulfilled" });
    expect(body.trackingNumber).toMatch(/^TRK-/);
    const order = await orderOf(orderId);
    expect(order.status).toBe("FULFILLED");
    expect(order.shipment?.trackingNumber).toBe(body.trackingNumber);
    expect((await db().product.findUniqueOrThrow({ where: { id: productId } })).stockQuantity).toBe(stockBefore);
    const events = await db().outboxEvent.findMany({ where: { payload: { contains: `"orderId":${orderId},` } } });
    expect(events.map((e) => e.type).sort()).toEqual(["analytics.order_fulfilled", "email.order_fulfilled"]);
    expect(events.every((e) => e.requestId === "fulfil-happy-1" && e.status === "PENDING")).toBe(true);

    await server.runOutbox();
    const delivered = await db().outboxEvent.findMany({ where: { id: { in: events.map((e) => e.id) } } });
    expect(delivered.map((e) => e.status)).toEqual(["DELIVERED", "DELIVERED"]);
  });

  it("returns the existing shipment when fulfilled again", async () => {
    const { orderId } = await paidOrder();
    const first = await (await fulfil(orderId)).json();
    const again = await fulfil(orderId);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ trackingNumber: first.trackingNumber, message: "Order was already fulfilled" });
    expect(await db().outboxEvent.count({ where: { payload: { contains: `"orderId":${orderId},` } } })).toBe(2);
  });

  it("creates one shipment for 10 concurrent fulfilments", async () => {
    const { orderId } = await paidOrder();
    const responses = await Promise.all(Array.from({ length: 10 }, () => fulfil(orderId)));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(bodies.map((b) => b.trackingNumber)).size).toBe(1);
    expect(await db().shipment.count({ where: { orderId } })).toBe(1);
    expect(await db().outboxEvent.count({ where: { payload: { contains: `"orderId":${orderId},` } } })).toBe(2);
  });

  it("answers 409 ORDER_NOT_PAID for an unpaid order and leaves it as it was", async () => {
    const user = await createUser();
    const product = await createProduct();
    const placed = await (
      await server.request("/api/checkout", {
        method: "POST",
        json: { userId: user.id, items: [{ productId: product.id, quantity: 1 }] },
        headers: { "Idempotency-Key": randomUUID() },
      })
    ).json();
    const res = await fulfil(placed.orderId);
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe("ORDER_NOT_PAID");
    expect((await orderOf(placed.orderId)).status).toBe("PENDING");
  });

  it("fails terminally when the completed payment does not match the total, recording the reason", async () => {
    const { orderId } = await paidOrder();
    await db().payment.updateMany({ where: { orderId }, data: { amountCents: 1 } });
    const res = await fulfil(orderId);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: "FULFILLMENT_FAILED", details: { reason: "payment_mismatch" } });
    const order = await orderOf(orderId);
    expect(order.status).toBe("FAILED");
    expect(order.failureReason).toMatch(/^payment_mismatch/);
    expect(order.shipment).toBeNull();
  });

  it("keeps the order PROCESSING after a shipping timeout, and a retry completes it", async () => {
    const { orderId } = await paidOrder();
    withSettings({ SHIPPING_LATENCY_MS: 300, SHIPPING_TIMEOUT_MS: 20 });
    try {
      const res = await fulfil(orderId);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect((await res.json()).code).toBe("SHIPPING_UNAVAILABLE");
    } finally {
      configureServices(server.config);
    }
    expect(await orderOf(orderId)).toMatchObject({ status: "PROCESSING", fulfillmentAttempts: 1 });
    const retry = await fulfil(orderId);
    expect(retry.status).toBe(200);
    expect((await orderOf(orderId)).status).toBe("FULFILLED");
  });

  it("gives up after FULFILLMENT_MAX_ATTEMPTS provider errors: FAILED with the reason", async () => {
    const { orderId } = await paidOrder();
    withSettings({ SHIPPING_FAILURE_RATE: 1 });
    try {
      for (let i = 0; i < 2; i++) expect((await fulfil(orderId)).status).toBe(503);
      const last = await fulfil(orderId);
      expect(last.status).toBe(422);
      expect((await last.json()).details.reason).toBe("shipping_failed");
    } finally {
      configureServices(server.config);
    }
    expect((await orderOf(orderId)).status).toBe("FAILED");
    expect((await fulfil(orderId)).status).toBe(409);
  });

  it("does not fail or slow fulfilment when the e-mail fails: the outbox retries it", async () => {
    const { orderId } = await paidOrder();
    withSettings({ EMAIL_FAILURE_RATE: 1 });
    try {
      expect((await fulfil(orderId)).status).toBe(200);
      await server.runOutbox();
    } finally {
      configureServices(server.config);
    }
    const events = await db().outboxEvent.findMany({ where: { payload: { contains: `"orderId":${orderId},` } }, orderBy: { type: "asc" } });
    expect(events.map((e) => [e.type, e.status, e.attempts])).toEqual([
      ["analytics.order_fulfilled", "DELIVERED", 1],
      ["email.order_fulfilled", "PENDING", 1],
    ]);
    expect(events[1]!.lastError).toMatch(/could not send/);
    expect(events[1]!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    expect((await orderOf(orderId)).status).toBe("FULFILLED");
  });

  it("fulfils through GraphQL", async () => {
    const { orderId } = await paidOrder();
    const res = await server.gql(
      `mutation Fulfil($id: ID!) { fulfillOrder(orderId: $id) { trackingNumber alreadyFulfilled order { status shipment { trackingNumber } } } }`,
      { id: String(orderId) },
    );
    expect(res.errors).toBeUndefined();
    const payload = res.data.fulfillOrder;
    expect(payload).toMatchObject({ alreadyFulfilled: false, order: { status: "FULFILLED" } });
    expect(payload.order.shipment.trackingNumber).toBe(payload.trackingNumber);
  });
});

describe("observability", () => {
  /** The value of the first sample of `name` whose labels include `labels`. */
  const sample = (text: string, name: string, labels: Record<string, string> = {}) => {
    const line = text
      .split("\n")
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .find((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return line ? Number(line.split(" ").at(-1)) : undefined;
  };

  it("exposes the counters and histograms the alerts and dashboards use, moved by the tests above", async () => {
    const text = await (await server.request("/metrics")).text();
    expect(sample(text, "fulfillments_total", { outcome: "success", reason: "fulfilled" })).toBeGreaterThanOrEqual(6);
    expect(sample(text, "fulfillments_total", { outcome: "failed", reason: "fulfillment_failed" })).toBe(2);
    expect(sample(text, "fulfillments_total", { outcome: "retryable", reason: "shipping_unavailable" })).toBe(3);
    expect(sample(text, "fulfillment_stage_duration_seconds_count", { stage: "create_shipment", outcome: "ok" })).toBeGreaterThanOrEqual(6);
    expect(sample(text, "fulfillment_stage_duration_seconds_bucket", { stage: "create_shipment", outcome: "ok", le: "+Inf" })).toBeGreaterThanOrEqual(6);
    expect(sample(text, "fulfillment_stage_duration_seconds_bucket", { stage: "create_shipment", outcome: "ok", le: "0.005" })).toBe(0);
    expect(sample(text, "fulfillments_in_progress")).toBe(0);
    expect(sample(text, "shipping_requests_total", { outcome: "timeout" })).toBe(1);
    expect(sample(text, "business_errors_total", { code: "ORDER_NOT_PAID" })).toBeGreaterThanOrEqual(2);
    expect(sample(text, "payments_total", { outcome: "completed" })).toBe(8); // one per paidOrder()
    expect(sample(text, "idempotency_requests_total", { operation: "checkout", result: "new" })).toBe(9); // 8 paid + 1 unpaid
    expect(sample(text, "outbox_deliveries_total", { type: "email.order_fulfilled", outcome: "retry" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "outbox_pending")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "http_request_duration_seconds_count", { route: "/api/orders/:orderId/fulfill", status: "200" })).toBeGreaterThanOrEqual(8);
    expect(sample(text, "graphql_operation_duration_seconds_count", { operation: "Fulfil", type: "mutation" })).toBe(1);
    expect(sample(text, "graphql_envelop_request_duration_count", { operationType: "mutation" })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^db_transaction_duration_seconds_bucket/m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
  });

  it("writes log lines that carry the request id into stages and background delivery, with e-mails redacted", async () => {
    const stages = server.logs.filter((l) => l.requestId === "fulfil-happy-1" && l.msg === "fulfilment stage");
    expect(stages.map((l) => l.stage)).toEqual(["validate", "confirm_stock", "verify_payment", "mark_processing", "create_shipment", "complete"]);
    expect(stages.every((l) => typeof l.durationMs === "number" && l.outcome === "ok" && typeof l.orderId === "number")).toBe(true);
    const delivery = server.logs.filter((l) => l.msg === "outbox event delivered" && l.requestId === "fulfil-happy-1");
    expect(delivery).toHaveLength(2);
    const summary = server.logs.find((l) => l.msg === "request completed" && l.requestId === "fulfil-happy-1");
    expect(summary).toMatchObject({ method: "POST", route: "/api/orders/:orderId/fulfill", status: 200 });
    expect(typeof summary!.dbTimeMs).toBe("number");
    const checkout = server.logs.find((l) => l.msg === "request completed" && l.route === "/api/checkout" && l.status === 201);
    expect(checkout).toMatchObject({ replayed: false });
    expect(typeof checkout!.userId).toBe("number");
    expect(checkout!.idempotencyKey).toBeTruthy();
    expect(JSON.stringify(server.logs)).not.toMatch(/@example\.test/);
  });
});
