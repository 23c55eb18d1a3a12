import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { countGatewayCharges } from "../src/services/external/card-gateway.js";
import { flowFaults, SimulatedCrash } from "../src/services/idempotency/flow.js";
import { configureServices } from "../src/services/index.js";
import { gatewayKeyOf } from "./helpers/gateway.js";
import { createProduct, createUser } from "./helpers/factories.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";

/**
 * Checkout and payment killed after each step (inside its transaction, and
 * once it committed), then retried with the same key after the dead
 * attempt's lock and lease lapse: every retry finishes the same operation,
 * exactly once (docs/idempotency.md, "Crash points").
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 1 });
});
afterAll(() => server.stop());
afterEach(() => {
  flowFaults.afterStep = undefined;
});

/** Requests as the shopper whose order it is (customer tokens: the keys are scoped to them). */
const tokens = new Map<number, string>();
async function post(path: string, json: unknown, key: string): Promise<Response> {
  const userId = await ownerOf(json);
  if (!tokens.has(userId)) tokens.set(userId, await server.tokenFor(userId));
  return server.request(path, { method: "POST", json, headers: { "Idempotency-Key": key }, as: tokens.get(userId) });
}
async function ownerOf(body: unknown): Promise<number> {
  const { userId, orderId } = body as { userId?: number; orderId?: number };
  return userId ?? (await db().order.findUniqueOrThrow({ where: { id: orderId! } })).userId;
}

/** The points a normal run passes, in order: `<step>:ran` inside its transaction, `<step>:committed` after. */
async function pointsOf(operation: string, run: () => Promise<Response>): Promise<string[]> {
  const points: string[] = [];
  flowFaults.afterStep = (op, step, phase) => {
    if (op === operation) points.push(`${step}:${phase}`);
  };
  expect((await run()).ok).toBe(true);
  flowFaults.afterStep = undefined;
  return points;
}

function crashAt(operation: string, point: string): void {
  flowFaults.afterStep = (op, step, phase) => {
    if (op === operation && `${step}:${phase}` === point) throw new SimulatedCrash(point);
  };
}

/** A request killed at `point`, then (after its lock and lease lapse) retried with the same key. */
async function crashThenRetry(operation: string, point: string, path: string, body: unknown, key: string): Promise<Response> {
  crashAt(operation, point);
  expect((await post(path, body, key)).status).toBe(500);
  flowFaults.afterStep = undefined;
  await timePasses(key);
  return post(path, body, key);
}

/** The dead attempt's key lock and order lease lapse, as they would with time. */
async function timePasses(key: string): Promise<void> {
  const past = new Date(Date.now() - 1);
  await db().idempotencyKey.updateMany({ where: { key }, data: { lockedUntil: past } });
  await db().order.updateMany({ where: { paymentClaimedUntil: { not: null } }, data: { paymentClaimedUntil: past } });
}

async function shopper() {
  const user = await createUser();
  const product = await createProduct({ stockQuantity: 10, priceCents: 2500 });
  const coupon = await db().coupon.create({ data: { code: `C${randomUUID().slice(0, 8).toUpperCase()}`, type: "PERCENTAGE", percentOffBps: 1000 } });
  return { user, product, coupon };
}

describe("checkout killed after each step", async () => {
  const checkoutBody = (s: Awaited<ReturnType<typeof shopper>>) => ({
    userId: s.user.id,
    items: [{ productId: s.product.id, quantity: 2 }],
    paymentMethod: "credit_card",
    cardLast4: "4242",
    couponCode: s.coupon.code,
  });

  it("passes the points this test kills it at", async () => {
    const s = await shopper();
    const points = await pointsOf("checkout", () => post("/api/checkout", checkoutBody(s), randomUUID()));
    expect(points).toEqual([
      "place_order:ran",
      "place_order:committed",
      "fraud_check:committed",
      "open_payment:ran",
      "open_payment:committed",
      "charge:committed",
      "record_charge:ran",
      "record_charge:committed",
    ]);
  });

  for (const point of ["place_order:ran", "place_order:committed", "fraud_check:committed", "open_payment:ran", "open_payment:committed", "charge:committed", "record_charge:ran", "record_charge:committed"]) {
    it(`after ${point}: the retry places one order and charges once`, async () => {
      const s = await shopper();
      const key = randomUUID();
      const retry = await crashThenRetry("checkout", point, "/api/checkout", checkoutBody(s), key);
      expect(retry.status).toBe(201);
      const body = await retry.json();
      expect(body).toMatchObject({ status: "PAID", totalCents: 4500, discountCents: 500 });

      const orders = await db().order.findMany({ where: { userId: s.user.id }, include: { payments: true } });
      expect(orders).toHaveLength(1);
      expect(orders[0]).toMatchObject({ id: body.orderId, status: "PAID" });
      expect(orders[0]!.payments).toEqual([expect.objectContaining({ id: body.paymentId, status: "COMPLETED", amountCents: 4500 })]);
      expect(await countGatewayCharges({ idempotencyKeyPrefix: await gatewayKeyOf({ scope: `user:${s.user.id}`, operation: "checkout", key }) })).toBe(1);
      expect((await db().product.findUniqueOrThrow({ where: { id: s.product.id } })).stockQuantity).toBe(8);
      expect((await db().coupon.findUniqueOrThrow({ where: { id: s.coupon.id } })).redemptionCount).toBe(1);

      const again = await post("/api/checkout", checkoutBody(s), key);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await again.json()).toEqual(body);
    });
  }

  it("undoes the open payment on a gateway timeout and resumes from the placed order", async () => {
    const s = await shopper();
    const key = randomUUID();
    configureServices(loadConfig({}, { ...server.config, CARD_GATEWAY_LATENCY_MS: 200, CARD_GATEWAY_TIMEOUT_MS: 20 }));
    try {
      expect((await post("/api/checkout", checkoutBody(s), key)).status).toBe(503);
    } finally {
      configureServices(server.config);
    }
    const [order] = await db().order.findMany({ where: { userId: s.user.id }, include: { payments: true } });
    expect(order).toMatchObject({ status: "PENDING", paymentClaimedUntil: null });
    expect(order!.payments).toEqual([expect.objectContaining({ status: "FAILED", failureCode: "abandoned" })]);
    expect(await db().idempotencyKey.findFirst({ where: { key } })).toMatchObject({ status: "IN_PROGRESS", recoveryPoint: "place_order", resourceId: order!.id });

    const retry = await post("/api/checkout", checkoutBody(s), key);
    expect(retry.status).toBe(201);
    expect((await retry.json()).orderId).toBe(order!.id);
    const payments = await db().payment.findMany({ where: { orderId: order!.id }, orderBy: { id: "asc" } });
    expect(payments.map((p) => p.status)).toEqual(["FAILED", "COMPLETED"]);
    expect((await db().product.findUniqueOrThrow({ where: { id: s.product.id } })).stockQuantity).toBe(8);
    expect((await db().coupon.findUniqueOrThrow({ where: { id: s.coupon.id } })).redemptionCount).toBe(1);
  });
});

describe("checkout resumed, then failing or overtaken", () => {
  const body = (s: Awaited<ReturnType<typeof shopper>>) => ({
    userId: s.user.id,
    items: [{ productId: s.product.id, quantity: 1 }],
    paymentMethod: "credit_card",
    cardLast4: "4242",
  });
  const withGatewayTimeout = async <T>(fn: () => Promise<T>) => {
    configureServices(loadConfig({}, { ...server.config, CARD_GATEWAY_LATENCY_MS: 200, CARD_GATEWAY_TIMEOUT_MS: 20 }));
    try {
      return await fn();
    } finally {
      configureServices(server.config);
    }
  };

  it("a resumed attempt that fails undoes what it took over: the lease is free and the next retry pays at once", async () => {
    const s = await shopper();
    const key = randomUUID();
    crashAt("checkout", "open_payment:committed");
    expect((await post("/api/checkout", body(s), key)).status).toBe(500);
    flowFaults.afterStep = undefined;
    await timePasses(key);
    expect((await withGatewayTimeout(() => post("/api/checkout", body(s), key))).status).toBe(503);

    const [order] = await db().order.findMany({ where: { userId: s.user.id }, include: { payments: true } });
    expect(order).toMatchObject({ status: "PENDING", paymentClaimedUntil: null });
    expect(order!.payments).toEqual([expect.objectContaining({ status: "FAILED", failureCode: "abandoned" })]);
    expect(await db().idempotencyKey.findFirst({ where: { key } })).toMatchObject({ recoveryPoint: "place_order", resourceId: order!.id });
    const retry = await post("/api/checkout", body(s), key);
    expect(retry.status).toBe(201);
    expect((await retry.json()).orderId).toBe(order!.id);
  });

  it("resumes keys the previous code left at its own recovery point names", async () => {
    const s = await shopper();
    const key = randomUUID();
    crashAt("checkout", "open_payment:committed");
    expect((await post("/api/checkout", body(s), key)).status).toBe(500);
    flowFaults.afterStep = undefined;
    // What the previous code stored after placing the order: "order_placed", the order's id, no payment yet.
    const [order] = await db().order.findMany({ where: { userId: s.user.id } });
    await db().payment.deleteMany({ where: { orderId: order!.id } });
    await db().idempotencyKey.updateMany({ where: { key }, data: { recoveryPoint: "order_placed", resourceId: order!.id } });
    await timePasses(key);

    const retry = await post("/api/checkout", body(s), key);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ orderId: order!.id, status: "PAID" });
    expect(await db().payment.count({ where: { orderId: order!.id, status: "COMPLETED" } })).toBe(1);
  });

  it("an attempt that stalls past its lock while a retry finishes changes nothing when it wakes up", async () => {
    const s = await shopper();
    const key = randomUUID();
    let wake!: () => void;
    const stalled = new Promise<void>((resolve) => (wake = resolve));
    let paused!: () => void;
    const pausedAt = new Promise<void>((resolve) => (paused = resolve));
    flowFaults.afterStep = (op, step, phase) => {
      if (op !== "checkout" || step !== "charge" || phase !== "committed") return;
      flowFaults.afterStep = undefined;
      paused();
      return stalled;
    };
    const first = post("/api/checkout", body(s), key);
    await pausedAt;
    await timePasses(key);
    const retry = await post("/api/checkout", body(s), key);
    expect(retry.status).toBe(201);
    const answer = await retry.json();

    wake();
    const late = await first;
    expect(late.status).toBe(409);
    expect((await late.json()).code).toBe("IDEMPOTENCY_KEY_IN_USE");

    const replay = await post("/api/checkout", body(s), key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(answer);
    const order = await db().order.findUniqueOrThrow({ where: { id: answer.orderId }, include: { payments: true } });
    expect(order.status).toBe("PAID");
    expect(order.payments).toEqual([expect.objectContaining({ status: "COMPLETED" })]);
  });
});

describe("payment killed after each step", () => {
  async function unpaidOrder() {
    const s = await shopper();
    const placed = await post("/api/checkout", { userId: s.user.id, items: [{ productId: s.product.id, quantity: 1 }] }, randomUUID());
    expect(placed.status).toBe(201);
    return { ...s, orderId: (await placed.json()).orderId as number };
  }
  const payBody = (orderId: number) => ({ orderId, paymentMethod: "credit_card", cardLast4: "4242" });

  it("passes the points this test kills it at", async () => {
    const { orderId } = await unpaidOrder();
    const points = await pointsOf("payment", () => post("/api/payments/process", payBody(orderId), randomUUID()));
    expect(points).toEqual([
      "lease_order:ran",
      "lease_order:committed",
      "fraud_check:committed",
      "open_payment:ran",
      "open_payment:committed",
      "charge:committed",
      "record_charge:ran",
      "record_charge:committed",
    ]);
  });

  for (const point of ["lease_order:ran", "lease_order:committed", "fraud_check:committed", "open_payment:ran", "open_payment:committed", "charge:committed", "record_charge:ran", "record_charge:committed"]) {
    it(`after ${point}: the retry pays the order once`, async () => {
      const { user, orderId } = await unpaidOrder();
      const key = randomUUID();
      const retry = await crashThenRetry("payment", point, "/api/payments/process", payBody(orderId), key);
      expect(retry.status).toBe(200);
      const body = await retry.json();
      expect(body).toMatchObject({ success: true, status: "COMPLETED", amountCents: 2500 });

      const order = await db().order.findUniqueOrThrow({ where: { id: orderId }, include: { payments: true } });
      expect(order.status).toBe("PAID");
      expect(order.payments).toEqual([expect.objectContaining({ id: body.paymentId, status: "COMPLETED" })]);
      expect(await countGatewayCharges({ idempotencyKeyPrefix: await gatewayKeyOf({ scope: `user:${user.id}`, operation: "payment", key }) })).toBe(1);

      const again = await post("/api/payments/process", payBody(orderId), key);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await again.json()).toEqual(body);
    });
  }
});
