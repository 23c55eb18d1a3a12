import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { sqlTransaction } from "../src/db/index.js";
import { chargeCard, countGatewayCharges } from "../src/services/external/card-gateway.js";
import { NetworkCallInTransactionError } from "../src/services/external/guard.js";
import { FraudCheckClient, fraudScore } from "../src/services/external/fraud-check.js";
import { configureServices } from "../src/services/index.js";
import { fraudCheckClient } from "../src/services/payments/fraud.js";
import { businessMetrics } from "../src/lib/metrics.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";

let server: TestServer;
const fastFraud = { FRAUD_CHECK_LATENCY_MS: 10, FRAUD_CHECK_JITTER_MS: 0, FRAUD_CHECK_SLOW_RATE: 0, CARD_GATEWAY_LATENCY_MS: 50 };
beforeAll(async () => {
  server = await startTestServer(fastFraud);
});
afterAll(() => server.stop());

const key = () => `pay-${randomUUID()}`;

async function pendingOrder(unitPriceCents = 2500, quantity = 2) {
  const user = await createUser();
  const product = await createProduct({ priceCents: unitPriceCents });
  return createOrder(user.id, [{ productId: product.id, quantity, unitPriceCents }]);
}

function pay(body: unknown, idempotencyKey: string | undefined = key(), path = "/api/payments/process") {
  return server.request(path, {
    method: "POST",
    json: body,
    headers: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {},
  });
}

const paymentsOf = (orderId: number) => db().payment.findMany({ where: { orderId } });
const statusOf = async (orderId: number) => (await db().order.findUniqueOrThrow({ where: { id: orderId } })).status;

function withSettings(overrides: Record<string, number>) {
  configureServices(loadConfig({}, { ...server.config, ...overrides }));
}

describe("POST /api/payments/process", () => {
  it("charges the order total from the database and marks the order PAID", async () => {
    const order = await pendingOrder();
    const res = await pay({ orderId: order.id, amount: 50, paymentMethod: "credit_card", cardLast4: "4242" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ success: true, status: "COMPLETED", amount: 50, amountCents: 5000, fraudScore: 0.05 });
    expect(await statusOf(order.id)).toBe("PAID");
    expect(await paymentsOf(order.id)).toEqual([expect.objectContaining({ id: body.paymentId, status: "COMPLETED", amountCents: 5000 })]);
  });

  it("answers 422 AMOUNT_MISMATCH when the client's amount differs, charging nothing", async () => {
    const order = await pendingOrder();
    const res = await pay({ orderId: order.id, amount: "49.99", paymentMethod: "credit_card" });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: "AMOUNT_MISMATCH", details: { orderTotalCents: 5000, requestedCents: 4999 } });
    expect(await statusOf(order.id)).toBe("PENDING");
    expect(await paymentsOf(order.id)).toHaveLength(0);
  });

  it("answers 409 ORDER_NOT_PENDING for an order that is not PENDING", async () => {
    const order = await pendingOrder();
    await db().order.update({ where: { id: order.id }, data: { status: "CANCELLED" } });
    const res = await pay({ orderId: order.id, paymentMethod: "credit_card" });
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe("ORDER_NOT_PENDING");
  });

  it("answers 404 for an unknown order and 400 without an Idempotency-Key", async () => {
    expect((await pay({ orderId: 999999, paymentMethod: "credit_card" })).status).toBe(404);
    const order = await pendingOrder();
    const res = await pay({ orderId: order.id, paymentMethod: "credit_card" }, "");
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe("IDEMPOTENCY_KEY_REQUIRED");
  });

  it("charges at most once when two attempts with different keys race for one order", async () => {
    const order = await pendingOrder();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => pay({ orderId: order.id, paymentMethod: "credit_card", cardLast4: "4242" })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    const payments = await paymentsOf(order.id);
    expect(payments).toHaveLength(1);
    expect(await countGatewayCharges({ idempotencyKeyPrefix: "payment_" })).toBeGreaterThanOrEqual(1);
    expect(await db().simulatedGatewayCharge.count({ where: { chargeId: payments[0]!.gatewayChargeId! } })).toBe(1);
    expect(await statusOf(order.id)).toBe("PAID");
  });

  it("declines card 0002 with 402: payment FAILED, the order stays payable", async () => {
    const order = await pendingOrder();
    const res = await pay({ orderId: order.id, paymentMethod: "credit_card", cardLast4: "0002" });
    expect(res.status).toBe(402);
    expect((await res.json()).code).toBe("PAYMENT_DECLINED");
    expect(await statusOf(order.id)).toBe("PENDING");
    const retry = await pay({ orderId: order.id, paymentMethod: "credit_card", cardLast4: "4242" });
    expect(retry.status).toBe(200);
    expect((await paymentsOf(order.id)).map((p) => p.status).sort()).toEqual(["COMPLETED", "FAILED"]);
  });

  it("rejects a high fraud score with 402 FRAUD_REJECTED and never reaches the gateway", async () => {
    const order = await pendingOrder(600_000, 1); // $6,000.00
    const charges = await countGatewayCharges();
    const res = await pay({ orderId: order.id, paymentMethod: "credit_card", cardLast4: "4242" });
    expect(res.status).toBe(402);
    expect(await res.json()).toMatchObject({ code: "FRAUD_REJECTED", details: { fraudScore: 0.85 } });
    expect(await paymentsOf(order.id)).toEqual([expect.objectContaining({ status: "FAILED", failureCode: "fraud_rejected" })]);
    expect(await countGatewayCharges()).toBe(charges);
    // Without the fraud check the same order can still be paid.
    expect((await pay({ orderId: order.id, paymentMethod: "credit_card" }, key(), "/api/payments/process-simple")).status).toBe(200);
  });

  it("answers 503 FRAUD_CHECK_UNAVAILABLE on a fraud-check timeout: nothing charged, order still payable", async () => {
    const order = await pendingOrder();
    const charges = await countGatewayCharges();
    const k = key();
    withSettings({ FRAUD_CHECK_LATENCY_MS: 10_000, FRAUD_CHECK_TIMEOUT_MS: 50 });
    try {
      const started = performance.now();
      const res = await pay({ orderId: order.id, paymentMethod: "credit_card" }, k);
      // At the 50 ms timeout, not after the 10 s the fraud service would take.
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect((await res.json()).code).toBe("FRAUD_CHECK_UNAVAILABLE");
    } finally {
      configureServices(server.config);
    }
    expect(await countGatewayCharges()).toBe(charges);
    expect(await paymentsOf(order.id)).toHaveLength(0);
    expect(await statusOf(order.id)).toBe("PENDING");
    // The key was released: the same request succeeds once the service answers.
    expect((await pay({ orderId: order.id, paymentMethod: "credit_card" }, k)).status).toBe(200);
  });

  it("opens the circuit after repeated failures and then fails fast without calling the service", async () => {
    withSettings({ FRAUD_CHECK_LATENCY_MS: 300, FRAUD_CHECK_TIMEOUT_MS: 30, FRAUD_BREAKER_FAILURE_THRESHOLD: 3, FRAUD_BREAKER_RESET_MS: 400 });
    try {
      const order = await pendingOrder();
      for (let i = 0; i < 3; i++) expect((await pay({ orderId: order.id, paymentMethod: "credit_card" })).status).toBe(503);
      expect(fraudCheckClient().breakerState).toBe("OPEN");

      const calls = async (outcome: string) => {
        const text = await (await server.request("/metrics")).text();
        const line = text.split("\n").find((l) => l.startsWith(`fraud_check_duration_seconds_count{outcome="${outcome}"}`));
        return Number(line?.split(" ").at(-1) ?? 0);
      };
      const [timedOut, shortCircuited] = [await calls("unavailable"), await calls("circuit_open")];
      const open = await pay({ orderId: order.id, paymentMethod: "credit_card" });
      expect(open.status).toBe(503);
      // No call reached the service: the breaker answered instead.
      expect(await calls("unavailable")).toBe(timedOut);
      expect(await calls("circuit_open")).toBe(shortCircuited + 1);
      expect((await open.json()).error).toMatch(/circuit open/);

    } finally {
      configureServices(server.config);
    }
  });

  it("replays a completed payment for a repeated key on both doors", async () => {
    const order = await pendingOrder();
    const k = key();
    const first = await pay({ orderId: order.id, paymentMethod: "credit_card", cardLast4: "4242" }, k);
    const paymentId = (await first.json()).paymentId;
    const again = await pay({ orderId: order.id, paymentMethod: "credit_card", cardLast4: "4242" }, k);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).paymentId).toBe(paymentId);

    const gql = await server.gql(
      `mutation Pay($input: ProcessPaymentInput!, $key: String!) { processPayment(input: $input, idempotencyKey: $key) { replayed payment { id status } } }`,
      { input: { orderId: String(order.id), paymentMethod: "credit_card", cardLast4: "4242" }, key: k },
    );
    expect(gql.data.processPayment).toEqual({ replayed: true, payment: { id: String(paymentId), status: "COMPLETED" } });
    expect(await paymentsOf(order.id)).toHaveLength(1);
  });

  it("pays through GraphQL and maps errors to codes", async () => {
    const order = await pendingOrder();
    const mutation = `mutation Pay($input: ProcessPaymentInput!, $key: String!) { processPayment(input: $input, idempotencyKey: $key) { fraudScore payment { status amountCents order { status } } } }`;
    const wrong = await server.gql(mutation, { input: { orderId: String(order.id), amountCents: 1, paymentMethod: "credit_card" }, key: key() });
    expect(wrong.errors?.[0]?.extensions?.code).toBe("AMOUNT_MISMATCH");
    const ok = await server.gql(mutation, { input: { orderId: String(order.id), amountCents: 5000, paymentMethod: "credit_card" }, key: key() });
    expect(ok.data.processPayment).toEqual({ fraudScore: 0.05, payment: { status: "COMPLETED", amountCents: 5000, order: { status: "PAID" } } });
  });
});

describe("fraud-check client", () => {
  it("recovers on its own: after the reset timeout one trial call closes the circuit", async () => {
    const live = { latencyMs: 200, jitterMs: 0, slowRate: 0, failureRate: 0, timeoutMs: 20, breakerFailureThreshold: 2, breakerResetMs: 150 };
    const client = new FraudCheckClient(live);
    for (let i = 0; i < 2; i++) await expect(client.check(1000 as never)).rejects.toMatchObject({ code: "FRAUD_CHECK_UNAVAILABLE" });
    expect(client.breakerState).toBe("OPEN");
    live.latencyMs = 1; // the service is healthy again
    await expect(client.check(1000 as never)).rejects.toThrow(/circuit open/);
    await new Promise((r) => setTimeout(r, 160));
    expect(client.breakerState).toBe("HALF_OPEN");
    await expect(client.check(1000 as never)).resolves.toMatchObject({ score: 0.05 });
    expect(client.breakerState).toBe("CLOSED");
  });

  it("applies the original heuristic: riskier over $1,000 and over $5,000", () => {
    expect([fraudScore(50_00), fraudScore(1_500_00), fraudScore(6_000_00)]).toEqual([0.05, 0.4, 0.85]);
  });
});

describe("guard rails", () => {
  it("refuses a network call made inside a database transaction", async () => {
    await expect(
      sqlTransaction(() => chargeCard({ idempotencyKey: key(), amountCents: 100 as never, cardLast4: null })),
    ).rejects.toBeInstanceOf(NetworkCallInTransactionError);
    await expect(sqlTransaction(() => fraudCheckClient().check(100 as never))).rejects.toBeInstanceOf(NetworkCallInTransactionError);
  });

  it("exports transaction duration and connection wait metrics", async () => {
    const text = await (await server.request("/metrics")).text();
    expect(text).toMatch(/^db_transaction_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^db_connection_wait_seconds_bucket/m);
  });
});

/** Fraud checks made so far (the duration histogram's count). */
const fraudChecks = async () =>
  (await businessMetrics.fraudCheckDuration.get()).values.filter((v) => v.metricName === "fraud_check_duration_seconds_count").reduce((sum, v) => sum + v.value, 0);

describe("a 0-cent order paid later", () => {
  it("is paid with a COMPLETED 0-cent payment and its stock committed, with no fraud check and no gateway charge", async () => {
    const user = await createUser();
    const product = await createProduct({ priceCents: 4_000, stockQuantity: 5 });
    const token = await server.tokenFor(user.id);
    const code = `FREE${randomUUID().slice(0, 6).toUpperCase()}`;
    expect((await server.request("/api/checkout/coupons", { method: "POST", json: { code, type: "PERCENTAGE", percentOff: 100 } })).status).toBe(201);
    const placed = await (await server.request("/api/checkout", { method: "POST", as: token, headers: { "Idempotency-Key": key() }, json: { items: [{ productId: product.id, quantity: 2 }] } })).json();
    const applied = await server.request(`/api/checkout/${placed.orderId}/apply-coupon`, { method: "POST", as: token, json: { couponCode: code } });
    expect(await applied.json()).toMatchObject({ finalTotalCents: 0 });
    const charges = await countGatewayCharges();
    const scored = await fraudChecks();

    const res = await server.request("/api/payments/process", { method: "POST", as: token, headers: { "Idempotency-Key": key() }, json: { orderId: placed.orderId, paymentMethod: "credit_card", cardLast4: "4242" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "COMPLETED", amountCents: 0, fraudScore: null });
    expect(await countGatewayCharges()).toBe(charges);
    expect(await fraudChecks()).toBe(scored);
    expect((await db().order.findUniqueOrThrow({ where: { id: placed.orderId } })).status).toBe("PAID");
    expect(await paymentsOf(placed.orderId)).toEqual([expect.objectContaining({ status: "COMPLETED", amountCents: 0, gatewayChargeId: null, fraudScore: null })]);
    expect(await db().inventoryReservation.findMany({ where: { orderId: placed.orderId } })).toEqual([expect.objectContaining({ status: "COMMITTED", quantity: 2 })]);
  });
});
