import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../src/auth/sign.js";
import { loadConfig } from "../src/config.js";
import { flowFaults, SimulatedCrash } from "../src/services/idempotency/index.js";
import { configureServices } from "../src/services/index.js";
import { createProduct, createUser } from "./helpers/factories.js";
import { db, startTestServer, TEST_AUTH_SECRET, type TestServer } from "./helpers/server.js";

/**
 * Cancellation (docs/refunds.md) on whichever engine the suite runs against:
 * the stock and the coupon come back at once, a paid order is refunded once
 * however often or by how many admins it is cancelled, and who may cancel what.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 5 });
});
afterAll(() => server.stop());
afterEach(() => {
  flowFaults.afterStep = undefined;
  configureServices(server.config);
});

const STOCK = 10;

/** A customer's order of 2 × 10.00 through checkout, with a 10%-off coupon; paid when `pay`. */
async function order(pay: boolean) {
  const user = await createUser();
  const product = await createProduct({ priceCents: 1000, stockQuantity: STOCK });
  const code = `CANCEL${randomUUID().slice(0, 8).toUpperCase()}`;
  expect((await server.request("/api/checkout/coupons", { method: "POST", json: { code, discount: "10%", maxRedemptions: 5 } })).status).toBe(201);
  const token = await server.tokenFor(user.id);
  const res = await server.request("/api/checkout", {
    method: "POST",
    as: token,
    headers: { "Idempotency-Key": randomUUID() },
    json: { items: [{ productId: product.id, quantity: 2 }], couponCode: code, ...(pay ? { paymentMethod: "credit_card", cardLast4: "4242" } : {}) },
  });
  expect(res.status).toBe(201);
  const body = await res.json();
  return { orderId: body.orderId as number, paymentId: body.paymentId as number | null, productId: product.id, code, token, userId: user.id };
}

function cancel(orderId: number, init: { as?: string; key?: string; json?: unknown } = {}) {
  return server.request(`/api/orders/${orderId}/cancel`, {
    method: "POST",
    as: init.as,
    json: init.json ?? { reason: "changed my mind" },
    headers: init.key ? { "Idempotency-Key": init.key } : {},
  });
}

const stockOf = async (productId: number) => (await db().product.findUniqueOrThrow({ where: { id: productId } })).stockQuantity;
const redemptionsOf = async (code: string) => (await db().coupon.findUniqueOrThrow({ where: { code } })).redemptionCount;
const orderRow = (id: number) => db().order.findUniqueOrThrow({ where: { id }, include: { reservations: true, payments: { include: { refunds: true } } } });
async function gatewayRefundedCents(paymentId: number): Promise<number> {
  const { gatewayChargeId } = await db().payment.findUniqueOrThrow({ where: { id: paymentId } });
  return (await db().simulatedGatewayRefund.findMany({ where: { chargeId: gatewayChargeId! } })).reduce((s, r) => s + r.amountCents, 0);
}

describe("a customer cancels", () => {
  it("their own PENDING order: stock and coupon come back at once, the customer is e-mailed", async () => {
    const { orderId, productId, code, token, userId } = await order(false);
    expect(await stockOf(productId)).toBe(STOCK - 2);
    expect(await redemptionsOf(code)).toBe(1);
    const res = await cancel(orderId, { as: token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: orderId, status: "CANCELLED" });
    expect(await stockOf(productId)).toBe(STOCK);
    expect(await redemptionsOf(code)).toBe(0);
    const row = await orderRow(orderId);
    expect(row).toMatchObject({ status: "CANCELLED", failureReason: "changed my mind" });
    expect(row.reservations.map((r) => r.status)).toEqual(["RELEASED"]);
    expect(await db().outboxEvent.count({ where: { type: "order.cancelled", payload: { contains: `"orderId":${orderId},` } } })).toBe(1);
    const [audit] = await db().auditEvent.findMany({ where: { action: "order.cancel", subjectId: String(orderId) } });
    expect(audit).toMatchObject({ actor: `customer:${userId}`, subjectType: "Order" });
    expect(JSON.parse(audit!.details!)).toMatchObject({ reason: "changed my mind", from: "PENDING", refundId: null });
  });

  it("without a body too, and again: a CANCELLED order changes nothing and answers the order", async () => {
    const { orderId, productId, token } = await order(false);
    const bare = await server.request(`/api/orders/${orderId}/cancel`, { method: "POST", as: token });
    expect(bare.status).toBe(200);
    const again = await cancel(orderId, { as: token, json: { reason: "twice" } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "CANCELLED" });
    expect(await stockOf(productId)).toBe(STOCK);
    expect(await db().outboxEvent.count({ where: { type: "order.cancelled", payload: { contains: `"orderId":${orderId},` } } })).toBe(1);
  });

  it("cannot be blocked by a client key that looks like an order's own", async () => {
    const user = await createUser();
    const product = await createProduct({ priceCents: 1000, stockQuantity: STOCK });
    const token = await server.tokenFor(user.id);
    const place = async () =>
      (await (await server.request("/api/checkout", { method: "POST", as: token, headers: { "Idempotency-Key": randomUUID() }, json: { items: [{ productId: product.id, quantity: 1 }] } })).json()).orderId as number;
    const [first, second] = [await place(), await place()];
    // The customer sends, for their first order, the key their second order's keyless cancellation would use.
    expect((await cancel(first, { as: token, key: `cancel-order-${second}` })).status).toBe(200);
    expect((await cancel(second, { as: token })).status).toBe(200);
    expect((await orderRow(second)).status).toBe("CANCELLED");
  });

  it("gets 409 ORDER_NOT_CANCELLABLE for their paid order, and nothing changes", async () => {
    const { orderId, productId, paymentId, token } = await order(true);
    const res = await cancel(orderId, { as: token });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: "ORDER_NOT_CANCELLABLE" });
    expect((await orderRow(orderId)).status).toBe("PAID");
    expect(await stockOf(productId)).toBe(STOCK - 2);
    expect(await gatewayRefundedCents(paymentId!)).toBe(0);
  });

  it("gets 404 for another customer's order and 401 without a token; nothing changes", async () => {
    const { orderId, productId } = await order(false);
    const stranger = await createUser();
    expect((await cancel(orderId, { as: await server.tokenFor(stranger.id) })).status).toBe(404);
    expect((await cancel(orderId, { as: "anonymous" })).status).toBe(401);
    expect((await orderRow(orderId)).status).toBe("PENDING");
    expect(await stockOf(productId)).toBe(STOCK - 2);
  });

  it("refuses bad input with 400 before anything runs", async () => {
    const { orderId, token } = await order(false);
    for (const json of [{ reason: "x".repeat(501) }, { reason: 5 }, { orderId: 1 }, []]) {
      expect((await cancel(orderId, { as: token, json })).status, JSON.stringify(json)).toBe(400);
    }
    expect((await server.request("/api/orders/abc/cancel", { method: "POST", as: token })).status).toBe(400);
    expect((await orderRow(orderId)).status).toBe("PENDING");
  });
});

describe("an admin cancels", () => {
  it("a PAID order: stock and coupon come back, the charge is refunded in full, once", async () => {
    const { orderId, productId, code, paymentId } = await order(true);
    const res = await cancel(orderId, { json: { reason: "out of stock at the warehouse" } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: "CANCELLED", payments: [{ status: "REFUNDED", refundedCents: 1800, refunds: [{ amountCents: 1800, status: "SUCCEEDED" }] }] });
    expect(await stockOf(productId)).toBe(STOCK);
    expect(await redemptionsOf(code)).toBe(0);
    expect(await gatewayRefundedCents(paymentId!)).toBe(1800);
    const [audit] = await db().auditEvent.findMany({ where: { action: "order.cancel", subjectId: String(orderId) } });
    expect(JSON.parse(audit!.details!)).toMatchObject({ reason: "out of stock at the warehouse", from: "PAID", refundCents: 1800 });
  });

  it("a PAID order that two admins cancel at once, each five times: one cancellation, one refund", async () => {
    const { orderId, productId, paymentId } = await order(true);
    const other = await signToken(TEST_AUTH_SECRET, { sub: "second-admin", roles: ["admin"] }, "1h");
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => cancel(orderId, i % 2 ? { as: other } : {})));
    const statuses = answers.map((a) => a.status);
    // A cancellation still running for the same caller answers 409 IDEMPOTENCY_KEY_IN_USE; the rest 200.
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(statuses).toContain(200);
    expect((await orderRow(orderId)).payments[0]!.refunds).toHaveLength(1);
    expect(await gatewayRefundedCents(paymentId!)).toBe(1800);
    expect(await stockOf(productId)).toBe(STOCK);
  });

  it("a PROCESSING order not yet shipped; a FULFILLED one is 409 ORDER_ALREADY_FULFILLED", async () => {
    const processing = await order(true);
    await db().order.update({ where: { id: processing.orderId }, data: { status: "PROCESSING" } });
    expect((await cancel(processing.orderId)).status).toBe(200);
    expect(await gatewayRefundedCents(processing.paymentId!)).toBe(1800);

    const shipped = await order(true);
    expect((await server.request(`/api/orders/${shipped.orderId}/fulfill`, { method: "POST" })).status).toBe(200);
    const res = await cancel(shipped.orderId);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: "ORDER_ALREADY_FULFILLED" });
    expect((await orderRow(shipped.orderId)).status).toBe("FULFILLED");
    expect(await gatewayRefundedCents(shipped.paymentId!)).toBe(0);
  });

  it("waits for a refund of the payment still in progress (409, retry; nothing changes), then refunds what is left", async () => {
    const { orderId, paymentId, productId } = await order(true);
    configureServices(loadConfig({}, { ...server.config, CARD_GATEWAY_REFUND_FAILURE_RATE: 1 }));
    const partial = await server.request(`/api/payments/${paymentId}/refund`, { method: "POST", json: { amount: "3.00" }, headers: { "Idempotency-Key": "held-refund" } });
    expect(partial.status).toBe(502);
    configureServices(server.config);
    const refused = await cancel(orderId);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("retry-after")).not.toBeNull();
    expect(await refused.json()).toMatchObject({ code: "ORDER_NOT_CANCELLABLE" });
    expect((await orderRow(orderId)).status).toBe("PAID");
    expect(await stockOf(productId)).toBe(STOCK - 2);

    expect((await server.request(`/api/payments/${paymentId}/refund`, { method: "POST", json: { amount: "3.00" }, headers: { "Idempotency-Key": "held-refund" } })).status).toBe(201);
    expect((await cancel(orderId)).status).toBe(200);
    const refunds = (await orderRow(orderId)).payments[0]!.refunds.map((r) => [r.amountCents, r.status]);
    expect(refunds).toEqual([[300, "SUCCEEDED"], [1500, "SUCCEEDED"]]);
    expect(await gatewayRefundedCents(paymentId!)).toBe(1800);
  });

  it("refunds the seeded demo order like any other (its charge is in the gateway's ledger)", async () => {
    const seeded = await db().order.findFirstOrThrow({ where: { status: "PAID", user: { email: "alice@example.com" } }, include: { payments: true } });
    expect((await cancel(seeded.id)).status).toBe(200);
    expect(await gatewayRefundedCents(seeded.payments[0]!.id)).toBe(seeded.totalCents);
  });

  it("crashed after cancelling, before the refund: the retry with the same key refunds once", async () => {
    const { orderId, paymentId } = await order(true);
    const key = randomUUID();
    flowFaults.afterStep = (operation, step, phase) => {
      if (operation === "cancel_order" && step === "cancel_order" && phase === "committed") throw new SimulatedCrash(step);
    };
    expect((await cancel(orderId, { key })).status).toBe(500);
    flowFaults.afterStep = undefined;
    expect((await orderRow(orderId)).payments[0]!.refunds.map((r) => r.status)).toEqual(["PENDING"]);
    await db().idempotencyKey.updateMany({ where: { key }, data: { lockedUntil: new Date(Date.now() - 1) } });
    expect((await cancel(orderId, { key })).status).toBe(200);
    expect((await orderRow(orderId)).payments[0]!.refunds.map((r) => r.status)).toEqual(["SUCCEEDED"]);
    expect(await gatewayRefundedCents(paymentId!)).toBe(1800);
  });
});

describe("cancelOrder (GraphQL)", () => {
  const mutation = `mutation Cancel($id: ID!, $reason: String) { cancelOrder(orderId: $id, reason: $reason) { order { id status payments { status refundedCents } } replayed } }`;

  it("cancels as REST does", async () => {
    const { orderId, productId } = await order(true);
    const res = await server.gql(mutation, { id: String(orderId), reason: "gql" });
    expect(res.errors).toBeUndefined();
    expect(res.data.cancelOrder.order).toMatchObject({ status: "CANCELLED", payments: [{ status: "REFUNDED", refundedCents: 1800 }] });
    expect(await stockOf(productId)).toBe(STOCK);
  });

  it("answers a customer's paid order with ORDER_NOT_CANCELLABLE", async () => {
    const { orderId, token } = await order(true);
    const res = await server.request("/graphql", { method: "POST", as: token, json: { query: mutation, variables: { id: String(orderId) } } });
    expect((await res.json()).errors[0].extensions.code).toBe("ORDER_NOT_CANCELLABLE");
    expect((await orderRow(orderId)).status).toBe("PAID");
  });
});
