import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { flowFaults, SimulatedCrash } from "../src/services/idempotency/index.js";
import { configureServices } from "../src/services/index.js";
import { reconcileGatewayCharges } from "../src/services/payments/reconcile.js";
import { settleStalledRefunds } from "../src/services/refunds/index.js";
import { createLogger } from "../src/lib/logger.js";
import { createProduct, createUser } from "./helpers/factories.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";

/**
 * Refunds (docs/refunds.md), on whichever engine the suite runs against:
 * partial refunds add up to at most the charge under any concurrency, a
 * replay answers the same, a gateway outage refunds nothing and a retry
 * continues, and a crash after any step ends with exactly one gateway refund.
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

const logger = createLogger("silent");
const key = () => `refund-${randomUUID()}`;

/** A customer's order of `cents`, placed and paid through checkout. */
async function paidOrder(cents = 2000) {
  const user = await createUser();
  const product = await createProduct({ priceCents: cents, stockQuantity: 5 });
  const token = await server.tokenFor(user.id);
  const res = await server.request("/api/checkout", {
    method: "POST",
    as: token,
    headers: { "Idempotency-Key": randomUUID() },
    json: { items: [{ productId: product.id, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" },
  });
  expect(res.status).toBe(201);
  const body = await res.json();
  return { orderId: body.orderId as number, paymentId: body.paymentId as number, token, userId: user.id };
}

function refund(paymentId: number, json: unknown = {}, idempotencyKey: string | null = key(), as?: string) {
  return server.request(`/api/payments/${paymentId}/refund`, { method: "POST", json, as, headers: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {} });
}

const paymentRow = (id: number) => db().payment.findUniqueOrThrow({ where: { id } });
const refundRows = (paymentId: number) => db().refund.findMany({ where: { paymentId }, orderBy: { id: "asc" } });
async function gatewayRefundedCents(paymentId: number): Promise<number> {
  const { gatewayChargeId } = await paymentRow(paymentId);
  const rows = await db().simulatedGatewayRefund.findMany({ where: { chargeId: gatewayChargeId! } });
  return rows.reduce((sum, r) => sum + r.amountCents, 0);
}

describe("POST /api/payments/:paymentId/refund", () => {
  it("refunds in parts that add up, then the payment is REFUNDED and refuses more", async () => {
    const { paymentId } = await paidOrder(2000);
    const first = await refund(paymentId, { amount: "5.00", reason: "damaged box" });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({
      refund: { paymentId, amountCents: 500, amount: 5, status: "SUCCEEDED", reason: "damaged box" },
      payment: { id: paymentId, status: "COMPLETED", amountCents: 2000, refundedCents: 500, refundedAmount: 5 },
    });
    const rest = await refund(paymentId, { reason: "changed their mind" });
    expect(rest.status).toBe(201);
    expect((await rest.json()).payment).toMatchObject({ status: "REFUNDED", refundedCents: 2000, refundedAmount: 20 });

    const more = await refund(paymentId, { amount: 1 });
    expect(more.status).toBe(409);
    expect(await more.json()).toMatchObject({ code: "PAYMENT_NOT_REFUNDABLE" });

    const read = await (await server.request(`/api/payments/${paymentId}`)).json();
    expect(read).toMatchObject({ status: "REFUNDED", refundedCents: 2000, refundedAmount: 20 });
    expect(read.refunds.map((r: { amountCents: number; status: string }) => [r.amountCents, r.status])).toEqual([[500, "SUCCEEDED"], [1500, "SUCCEEDED"]]);
    expect(await gatewayRefundedCents(paymentId)).toBe(2000);
  });

  it("answers a replay the same, with Idempotent-Replayed, and refunds once", async () => {
    const { paymentId } = await paidOrder(2000);
    const k = key();
    const first = await refund(paymentId, { amount: "7.50" }, k);
    const again = await refund(paymentId, { amount: "7.50" }, k);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect(await refundRows(paymentId)).toHaveLength(1);
    expect(await gatewayRefundedCents(paymentId)).toBe(750);
  });

  it("refuses more than remains with 409 REFUND_EXCEEDS_REMAINING and changes nothing", async () => {
    const { paymentId } = await paidOrder(2000);
    const res = await refund(paymentId, { amount: "20.01" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: "REFUND_EXCEEDS_REMAINING", details: { remainingCents: 2000, requestedCents: 2001 } });
    expect(await refundRows(paymentId)).toHaveLength(0);
    expect(await paymentRow(paymentId)).toMatchObject({ status: "COMPLETED", refundedCents: 0, refundPendingCents: 0 });
  });

  it("lets exactly one of 10 concurrent 15.00 refunds of a 20.00 payment through; the others are 409", async () => {
    const { paymentId } = await paidOrder(2000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => refund(paymentId, { amount: "15.00" })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of answers.filter((a) => a.status === 409)) expect((await r.json()).code).toBe("REFUND_EXCEEDS_REMAINING");
    expect(await paymentRow(paymentId)).toMatchObject({ refundedCents: 1500, refundPendingCents: 0 });
    expect(await gatewayRefundedCents(paymentId)).toBe(1500);
  });

  it("refuses a payment that is not COMPLETED with 409 PAYMENT_NOT_REFUNDABLE", async () => {
    const user = await createUser();
    const product = await createProduct({ priceCents: 1000 });
    const declined = await server.request("/api/checkout", {
      method: "POST",
      as: await server.tokenFor(user.id),
      headers: { "Idempotency-Key": randomUUID() },
      json: { items: [{ productId: product.id, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "0002" },
    });
    expect(declined.status).toBe(402);
    const failed = await db().payment.findFirstOrThrow({ where: { order: { userId: user.id } } });
    const res = await refund(failed.id, {});
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: "PAYMENT_NOT_REFUNDABLE", details: { status: "FAILED" } });
  });

  it("is for admins: a customer gets 403, an anonymous caller 401, and nothing changes", async () => {
    const { paymentId, token } = await paidOrder(2000);
    const asCustomer = await refund(paymentId, {}, key(), token);
    expect(asCustomer.status).toBe(403);
    expect((await refund(paymentId, {}, key(), "anonymous")).status).toBe(401);
    expect(await refundRows(paymentId)).toHaveLength(0);
    expect(await gatewayRefundedCents(paymentId)).toBe(0);
  });

  it("needs an Idempotency-Key and valid input, before anything runs", async () => {
    const { paymentId } = await paidOrder(2000);
    const noKey = await refund(paymentId, {}, null);
    expect(noKey.status).toBe(400);
    expect((await noKey.json()).code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    for (const body of [{ amount: "abc" }, { amount: 0 }, { amount: null }, { amount: "-1.00" }, { reason: "x".repeat(501) }, { amountCents: 100 }, { extra: true }]) {
      const res = await refund(paymentId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await refund(999_999, {})).status).toBe(404);
    expect(await refundRows(paymentId)).toHaveLength(0);
  });

  it("answers 502 REFUND_FAILED when the gateway cannot refund, records nothing as refunded, and a retry with the key continues", async () => {
    const { paymentId } = await paidOrder(2000);
    configureServices(loadConfig({}, { ...server.config, CARD_GATEWAY_REFUND_FAILURE_RATE: 1 }));
    const k = key();
    const failed = await refund(paymentId, { amount: "4.00" }, k);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ code: "REFUND_FAILED" });
    expect(await paymentRow(paymentId)).toMatchObject({ refundedCents: 0, refundPendingCents: 400 });
    expect(await gatewayRefundedCents(paymentId)).toBe(0);

    configureServices(server.config);
    const retried = await refund(paymentId, { amount: "4.00" }, k);
    expect(retried.status).toBe(201);
    const [only] = await refundRows(paymentId);
    expect((await retried.json()).refund.id).toBe(only!.id);
    expect(await paymentRow(paymentId)).toMatchObject({ refundedCents: 400, refundPendingCents: 0 });
    expect(await gatewayRefundedCents(paymentId)).toBe(400);
  });

  it("tells the customer once, through the outbox", async () => {
    const { paymentId } = await paidOrder(2000);
    await refund(paymentId, { amount: "3.00" });
    const events = await db().outboxEvent.findMany({ where: { type: "payment.refunded", payload: { contains: `"paymentId":${paymentId},` } } });
    expect(events).toHaveLength(1);
    await server.runOutbox();
    const delivered = await db().outboxEvent.findUniqueOrThrow({ where: { id: events[0]!.id } });
    expect(delivered.status).toBe("DELIVERED");
    expect(await db().simulatedSinkDelivery.count({ where: { dedupeKey: `outbox:${delivered.id}` } })).toBe(1);
  });

  it("is not taken for an orphan charge by reconciliation afterwards: the charge is never refunded again", async () => {
    const full = await paidOrder(2000);
    const part = await paidOrder(2000);
    expect((await refund(full.paymentId, {})).status).toBe(201);
    expect((await refund(part.paymentId, { amount: "5.00" })).status).toBe(201);
    const later = new Date(Date.now() + server.config.IDEMPOTENCY_LOCK_TIMEOUT_MS + 1_000);
    // Neither charge is an orphan: the pass finds nothing (a refusal by the gateway would hide a wrong decision).
    expect(await reconcileGatewayCharges(logger, later)).toMatchObject({ found: 0, refunded: 0, unfixed: 0 });
    for (const [{ paymentId }, cents] of [[full, 2000], [part, 500]] as const) {
      const { gatewayChargeId } = await paymentRow(paymentId);
      expect(await db().simulatedGatewayCharge.findUniqueOrThrow({ where: { chargeId: gatewayChargeId! } })).toMatchObject({ refundKey: null, refundedAt: null });
      expect(await gatewayRefundedCents(paymentId)).toBe(cents);
    }
    expect((await paymentRow(full.paymentId)).status).toBe("REFUNDED");
    expect((await paymentRow(part.paymentId)).status).toBe("COMPLETED");
  });

  it("writes an audit event with the admin and the reason", async () => {
    const { paymentId } = await paidOrder(2000);
    await refund(paymentId, { amount: "2.00", reason: "late delivery" });
    const [event] = await db().auditEvent.findMany({ where: { action: "payment.refund", subjectId: String(paymentId) } });
    expect(event).toMatchObject({ actor: "test-admin", subjectType: "Payment" });
    expect(JSON.parse(event!.details!)).toMatchObject({ amountCents: 200, reason: "late delivery" });
  });
});

describe("a refund after a crash at every step", () => {
  const points = ["open_refund:ran", "open_refund:committed", "gateway_refund:committed", "settle_refund:ran", "settle_refund:committed"];

  for (const point of points) {
    it(`crashed at ${point}: the retry with the same key ends with one refund of the amount`, async () => {
      const { paymentId } = await paidOrder(2000);
      const k = key();
      flowFaults.afterStep = (operation, step, phase) => {
        if (operation === "refund" && `${step}:${phase}` === point) throw new SimulatedCrash(point);
      };
      expect((await refund(paymentId, { amount: "6.00" }, k)).status).toBe(500);
      flowFaults.afterStep = undefined;
      await db().idempotencyKey.updateMany({ where: { key: k }, data: { lockedUntil: new Date(Date.now() - 1) } });
      const retried = await refund(paymentId, { amount: "6.00" }, k);
      expect(retried.status).toBe(201);
      expect((await refundRows(paymentId)).map((r) => [r.amountCents, r.status])).toEqual([[600, "SUCCEEDED"]]);
      expect(await paymentRow(paymentId)).toMatchObject({ refundedCents: 600, refundPendingCents: 0 });
      expect(await gatewayRefundedCents(paymentId)).toBe(600);
    });

    it(`crashed at ${point} and never retried: the reconciliation pass finishes it, once`, async () => {
      const { paymentId } = await paidOrder(2000);
      flowFaults.afterStep = (operation, step, phase) => {
        if (operation === "refund" && `${step}:${phase}` === point) throw new SimulatedCrash(point);
      };
      expect((await refund(paymentId, { amount: "6.00" })).status).toBe(500);
      flowFaults.afterStep = undefined;
      const later = new Date(Date.now() + server.config.IDEMPOTENCY_LOCK_TIMEOUT_MS + 1_000);
      await settleStalledRefunds(logger, later);
      await settleStalledRefunds(logger, later);
      const rows = await refundRows(paymentId);
      // Crashed inside open_refund's transaction, nothing was opened: nothing to finish.
      const expected = point === "open_refund:ran" ? 0 : 600;
      expect(rows.filter((r) => r.status === "SUCCEEDED").reduce((s, r) => s + r.amountCents, 0)).toBe(expected);
      expect(rows.every((r) => r.status !== "PENDING")).toBe(true);
      expect(await gatewayRefundedCents(paymentId)).toBe(expected);
      expect(await paymentRow(paymentId)).toMatchObject({ refundedCents: expected, refundPendingCents: 0 });
    });
  }
});

describe("refundPayment (GraphQL)", () => {
  const mutation = `mutation Refund($input: RefundPaymentInput!, $key: String!) {
    refundPayment(input: $input, idempotencyKey: $key) { refund { id amountCents status reason } payment { id status refundedCents refunds { amountCents } } replayed }
  }`;

  it("refunds and replays like REST", async () => {
    const { paymentId } = await paidOrder(2000);
    const k = key();
    const input = { paymentId: String(paymentId), amountCents: 250, reason: "gql" };
    const first = await server.gql(mutation, { input, key: k });
    expect(first.errors).toBeUndefined();
    expect(first.data.refundPayment).toMatchObject({ refund: { amountCents: 250, status: "SUCCEEDED", reason: "gql" }, payment: { refundedCents: 250, refunds: [{ amountCents: 250 }] }, replayed: false });
    const again = await server.gql(mutation, { input, key: k });
    expect(again.data.refundPayment).toMatchObject({ refund: { id: first.data.refundPayment.refund.id }, replayed: true });
  });

  it("is FORBIDDEN to a customer and changes nothing", async () => {
    const { paymentId, token } = await paidOrder(2000);
    const res = await server.request("/graphql", { method: "POST", as: token, json: { query: mutation, variables: { input: { paymentId: String(paymentId) }, key: key() } } });
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect(await refundRows(paymentId)).toHaveLength(0);
  });
});
