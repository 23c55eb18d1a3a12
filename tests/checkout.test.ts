import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { countGatewayCharges } from "../src/services/external/card-gateway.js";
import { flowFaults, SimulatedCrash } from "../src/services/idempotency/flow.js";
import { configureServices } from "../src/services/index.js";
import { gatewayKeyOf } from "./helpers/gateway.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";
import { createProduct, createUser } from "./helpers/factories.js";

let server: TestServer;
beforeAll(async () => {
  // The gateway is slow enough that concurrent duplicates overlap the first request.
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 150 });
});
afterAll(() => server.stop());

const key = () => `test-${randomUUID()}`;

function restCheckout(body: unknown, idempotencyKey?: string, as?: string) {
  return server.request("/api/checkout", {
    method: "POST",
    json: body,
    as,
    headers: idempotencyKey === undefined ? {} : { "Idempotency-Key": idempotencyKey },
  });
}

const CHECKOUT = `mutation Checkout($input: CheckoutInput!, $key: String!) {
  checkout(input: $input, idempotencyKey: $key) { replayed order { id status totalCents } payment { id status amountCents } }
}`;

function gqlCheckout(input: any, idempotencyKey: string) {
  return server.gql(CHECKOUT, {
    input: { ...input, userId: String(input.userId), items: input.items.map((i: any) => ({ ...i, productId: String(i.productId) })) },
    key: idempotencyKey,
  });
}

async function customerWithProduct(stockQuantity = 100, priceCents = 2500) {
  const user = await createUser();
  const product = await createProduct({ stockQuantity, priceCents });
  const body = { userId: user.id, items: [{ productId: product.id, quantity: 2 }], paymentMethod: "credit_card", cardLast4: "4242" };
  return { user, product, body };
}

async function ordersOf(userId: number) {
  return db().order.findMany({ where: { userId }, include: { payments: true, reservations: true } });
}

describe("a paid checkout", () => {
  it("places the order PAID with one COMPLETED payment equal to the total, stock reserved once", async () => {
    const { user, product, body } = await customerWithProduct(10, 2500);
    const res = await restCheckout(body, key());
    expect(res.status).toBe(201);
    const json = await res.json();
    expect(json).toMatchObject({ success: true, status: "PAID", total: 50, totalCents: 5000 });
    expect(res.headers.get("idempotent-replayed")).toBeNull();

    const [order] = await ordersOf(user.id);
    expect(order).toMatchObject({ id: json.orderId, status: "PAID", totalCents: 5000 });
    expect(order!.payments).toEqual([expect.objectContaining({ id: json.paymentId, status: "COMPLETED", amountCents: 5000 })]);
    expect(order!.reservations.map((r) => r.status)).toEqual(["COMMITTED"]);
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(8);
  });

  it("without a paymentMethod places an unpaid PENDING order with a reservation deadline", async () => {
    const { user, body } = await customerWithProduct();
    const res = await restCheckout({ userId: body.userId, items: body.items }, key());
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: "PENDING", paymentId: null });
    const [order] = await ordersOf(user.id);
    expect(order!.status).toBe("PENDING");
    expect(order!.reservedUntil!.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
  });
});

describe("idempotency keys", () => {
  it("20 concurrent identical checkouts with one key make one order, one payment, one gateway charge", async () => {
    const { user, product, body } = await customerWithProduct(100);
    const k = key();
    const as = await server.tokenFor(user.id);
    const responses = await Promise.all(Array.from({ length: 20 }, () => restCheckout(body, k, as)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses).toContain(201);
    for (const r of responses.filter((r) => r.status === 409)) {
      expect(r.headers.get("retry-after")).toBe("1");
      expect((await r.json()).code).toBe("IDEMPOTENCY_KEY_IN_USE");
    }
    const created = await Promise.all(responses.filter((r) => r.status === 201).map((r) => r.json()));
    expect(new Set(created.map((c) => c.orderId)).size).toBe(1);

    const orders = await ordersOf(user.id);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.payments.filter((p) => p.status === "COMPLETED")).toHaveLength(1);
    const gatewayKey = await gatewayKeyOf({ scope: `user:${user.id}`, operation: "checkout", key: k });
    expect(await countGatewayCharges({ idempotencyKeyPrefix: gatewayKey })).toBe(1);
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(98);

    const retry = await restCheckout(body, k, as);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await retry.json()).orderId).toBe(created[0].orderId);
  });

  it("10 concurrent duplicates across REST and GraphQL name the same operation", async () => {
    const { user, body } = await customerWithProduct(100);
    const k = key();
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        if (i % 2 === 0) {
          const res = await restCheckout(body, k);
          const json = await res.json();
          return { status: res.status, orderId: json.orderId as number | undefined, code: json.code as string | undefined };
        }
        const res = await gqlCheckout(body, k);
        const error = res.errors?.[0];
        return error
          ? { status: 409, orderId: undefined, code: error.extensions?.code }
          : { status: 201, orderId: Number(res.data.checkout.order.id), code: undefined };
      }),
    );
    for (const r of results) {
      if (r.status !== 201) expect(r.code).toBe("IDEMPOTENCY_KEY_IN_USE");
    }
    const orderIds = new Set(results.filter((r) => r.status === 201).map((r) => r.orderId));
    expect(orderIds.size).toBe(1);
    const orders = await ordersOf(user.id);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.payments).toHaveLength(1);

    const replay = await gqlCheckout(body, k);
    expect(replay.data.checkout).toMatchObject({ replayed: true, order: { id: String(orders[0]!.id), status: "PAID" } });
  });

  it("answers 422 IDEMPOTENCY_KEY_REUSED for the same key with different input, running nothing", async () => {
    const { user, body } = await customerWithProduct();
    const k = key();
    expect((await restCheckout(body, k)).status).toBe(201);
    const changed = await restCheckout({ ...body, items: [{ productId: body.items[0]!.productId, quantity: 3 }] }, k);
    expect(changed.status).toBe(422);
    expect((await changed.json()).code).toBe("IDEMPOTENCY_KEY_REUSED");
    const viaGraphQL = await gqlCheckout({ ...body, cardLast4: "1111" }, k);
    expect(viaGraphQL.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await ordersOf(user.id)).toHaveLength(1);
  });

  it("answers 400 IDEMPOTENCY_KEY_REQUIRED without a key and VALIDATION_FAILED for a malformed one", async () => {
    const { user, body } = await customerWithProduct();
    const missing = await restCheckout(body);
    expect(missing.status).toBe(400);
    const json = await missing.json();
    expect(json.code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    expect(json.error).toMatch(/Idempotency-Key header/);

    const tooLong = await restCheckout(body, "k".repeat(256));
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).details.fields[0].field).toBe("idempotencyKey");
    expect(await ordersOf(user.id)).toHaveLength(0);
  });

  it("stores deterministic failures and replays them", async () => {
    const { user, body } = await customerWithProduct();
    const k = key();
    const unknownProduct = { ...body, items: [{ productId: 999999, quantity: 1 }] };
    const first = await restCheckout(unknownProduct, k);
    expect(first.status).toBe(404);
    expect((await first.json()).code).toBe("NOT_FOUND");
    // The product appears now, but the key's outcome was decided: it replays.
    const second = await restCheckout(unknownProduct, k);
    expect(second.status).toBe(404);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await ordersOf(user.id)).toHaveLength(0);
  });

  it("replays the original charge after a crash between charging and recording", async () => {
    const { user, product, body } = await customerWithProduct(10, 1000);
    const k = key();
    const as = await server.tokenFor(user.id);
    // The process dies right after the gateway call: nothing is undone, the key stays locked.
    flowFaults.afterStep = (operation, step) => {
      if (operation === "checkout" && step === "charge") throw new SimulatedCrash(step);
    };
    try {
      expect((await restCheckout(body, k, as)).status).toBe(500);
    } finally {
      flowFaults.afterStep = undefined;
    }
    const whileLocked = await restCheckout(body, k, as);
    expect(whileLocked.status).toBe(409);
    expect(whileLocked.headers.get("retry-after")).toBeTruthy();

    // The key's lock and the order's payment lease time out (the crashed owner never comes back).
    await db().idempotencyKey.updateMany({ where: { key: k }, data: { lockedUntil: new Date(Date.now() - 1) } });
    await db().order.updateMany({ where: { userId: user.id }, data: { paymentClaimedUntil: new Date(Date.now() - 1) } });
    const retry = await restCheckout(body, k, as);
    expect(retry.status).toBe(201);
    const [order] = await ordersOf(user.id);
    expect(await retry.json()).toMatchObject({ orderId: order!.id, status: "PAID", totalCents: 2000 });

    const gatewayKey = await gatewayKeyOf({ scope: `user:${user.id}`, operation: "checkout", key: k });
    const charge = await db().simulatedGatewayCharge.findUniqueOrThrow({ where: { idempotencyKey: gatewayKey } });
    expect(await ordersOf(user.id)).toHaveLength(1);
    expect((await ordersOf(user.id))[0]!.payments).toEqual([expect.objectContaining({ status: "COMPLETED", gatewayChargeId: charge.chargeId })]);
    expect(await countGatewayCharges({ idempotencyKeyPrefix: gatewayKey })).toBe(1);
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(8);
  });

  it("releases the key after a transient failure so a retry completes the same order", async () => {
    const { user, body } = await customerWithProduct();
    const k = key();
    configureServices(loadConfig({}, { ...server.config, CARD_GATEWAY_TIMEOUT_MS: 20 }));
    try {
      const failed = await restCheckout(body, k);
      expect(failed.status).toBe(503);
      expect(failed.headers.get("retry-after")).toBeTruthy();
      expect((await failed.json()).code).toBe("PAYMENT_GATEWAY_UNAVAILABLE");
    } finally {
      configureServices(server.config);
    }
    const [pending] = await ordersOf(user.id);
    expect(pending!.status).toBe("PENDING");

    const retry = await restCheckout(body, k);
    expect(retry.status).toBe(201);
    expect((await retry.json()).orderId).toBe(pending!.id);
    const orders = await ordersOf(user.id);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.status).toBe("PAID");
  });

  it("purges expired keys; the same key then starts a new operation", async () => {
    const { user, body } = await customerWithProduct();
    const k = key();
    expect((await restCheckout({ userId: body.userId, items: body.items }, k)).status).toBe(201);
    await db().idempotencyKey.updateMany({ where: { key: k }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await server.runMaintenance();
    expect(await db().idempotencyKey.count({ where: { key: k } })).toBe(0);
    const again = await restCheckout({ userId: body.userId, items: body.items }, k);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await ordersOf(user.id)).toHaveLength(2);
  });
});

describe("stock and payment outcomes", () => {
  it("completes a 0-cent checkout (100% off) as PAID without calling the card gateway", async () => {
    const { user, product, body } = await customerWithProduct(10, 1500);
    const code = `FREE${randomUUID().slice(0, 6).toUpperCase()}`;
    await db().coupon.create({ data: { code, type: "PERCENTAGE", percentOffBps: 10_000 } });
    const k = key();
    const res = await restCheckout({ ...body, couponCode: code }, k, await server.tokenFor(user.id));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: "PAID", paymentId: null, totalCents: 0, discountCents: 3000 });
    const [order] = await ordersOf(user.id);
    expect(order).toMatchObject({ status: "PAID", totalCents: 0 });
    expect(order!.payments).toEqual([]);
    expect(order!.reservations.map((r) => r.status)).toEqual(["COMMITTED"]);
    expect(await countGatewayCharges({ idempotencyKeyPrefix: await gatewayKeyOf({ scope: `user:${user.id}`, operation: "checkout", key: k }) })).toBe(0);
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(8);
  });

  it("sells exactly 5 of 5 in stock to 20 concurrent buyers; the rest get 409 INSUFFICIENT_STOCK", async () => {
    const product = await createProduct({ stockQuantity: 5, priceCents: 1000 });
    const buyers = await Promise.all(Array.from({ length: 20 }, () => createUser()));
    const responses = await Promise.all(
      buyers.map((b) => restCheckout({ userId: b.id, items: [{ productId: product.id, quantity: 1 }] }, key())),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(15);
    for (const r of responses.filter((r) => r.status === 409)) expect((await r.json()).code).toBe("INSUFFICIENT_STOCK");
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(0);
    expect(await db().order.count({ where: { items: { some: { productId: product.id } } } })).toBe(5);
  });

  it("declines card 0002 with 402: order stays PENDING with a FAILED payment, and the decline replays", async () => {
    const { user, body } = await customerWithProduct();
    const k = key();
    const res = await restCheckout({ ...body, cardLast4: "0002" }, k);
    expect(res.status).toBe(402);
    const json = await res.json();
    expect(json.code).toBe("PAYMENT_DECLINED");
    const [order] = await ordersOf(user.id);
    expect(order!.status).toBe("PENDING");
    expect(order!.payments.map((p) => p.status)).toEqual(["FAILED"]);
    expect(order!.reservations.map((r) => r.status)).toEqual(["ACTIVE"]);

    const replay = await restCheckout({ ...body, cardLast4: "0002" }, k);
    expect(replay.status).toBe(402);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await ordersOf(user.id))[0]!.payments).toHaveLength(1);
  });

  it("scores a customer's checkout for fraud: a high score is 402 FRAUD_REJECTED, the card is never charged, the order stays payable", async () => {
    // Over $5,000 the simulated fraud service scores 0.85, above the 0.8 threshold.
    const { user, body } = await customerWithProduct(10, 300_000);
    const k = key();
    const res = await restCheckout(body, k, await server.tokenFor(user.id));
    expect(res.status).toBe(402);
    const json = await res.json();
    expect(json).toMatchObject({ code: "FRAUD_REJECTED", details: { fraudScore: 0.85 } });
    const [order] = await ordersOf(user.id);
    expect(order).toMatchObject({ id: json.details.orderId, status: "PENDING", paymentClaimedUntil: null });
    expect(order!.payments).toEqual([expect.objectContaining({ status: "FAILED", failureCode: "fraud_rejected", fraudScore: 0.85 })]);
    expect(await countGatewayCharges({ idempotencyKeyPrefix: await gatewayKeyOf({ scope: `user:${user.id}`, operation: "checkout", key: k }) })).toBe(0);

    const replay = await restCheckout(body, k, await server.tokenFor(user.id));
    expect(replay.status).toBe(402);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await ordersOf(user.id)).toHaveLength(1);
  });

  it("charges nothing while the fraud service cannot answer (503); a retry with the key pays the same order", async () => {
    const { user, body } = await customerWithProduct();
    const k = key();
    configureServices(loadConfig({}, { ...server.config, FRAUD_CHECK_LATENCY_MS: 300, FRAUD_CHECK_TIMEOUT_MS: 20 }));
    try {
      const failed = await restCheckout(body, k);
      expect(failed.status).toBe(503);
      expect((await failed.json()).code).toBe("FRAUD_CHECK_UNAVAILABLE");
    } finally {
      configureServices(server.config);
    }
    const [pending] = await ordersOf(user.id);
    expect(pending).toMatchObject({ status: "PENDING", payments: [] });
    expect(await countGatewayCharges({ idempotencyKeyPrefix: await gatewayKeyOf({ scope: `admin:test-admin|user:${user.id}`, operation: "checkout", key: k }) })).toBe(0);

    const retry = await restCheckout(body, k);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ orderId: pending!.id, status: "PAID" });
    expect((await ordersOf(user.id))[0]!.payments).toEqual([expect.objectContaining({ status: "COMPLETED", fraudScore: 0.05 })]);
  });

  it("expires an unpaid order's reservation: stock returns and the order is CANCELLED", async () => {
    const { user, product, body } = await customerWithProduct(10);
    await restCheckout({ userId: body.userId, items: body.items }, key());
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(8);
    const [order] = await ordersOf(user.id);
    await db().order.update({ where: { id: order!.id }, data: { reservedUntil: new Date(Date.now() - 1000) } });

    await server.runMaintenance();
    const [cancelled] = await ordersOf(user.id);
    expect(cancelled!.status).toBe("CANCELLED");
    expect(cancelled!.reservations.map((r) => r.status)).toEqual(["RELEASED"]);
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(10);
  });

  it("does not expire a reservation while a payment for the order is in flight", async () => {
    const { user, body } = await customerWithProduct(10);
    await restCheckout({ userId: body.userId, items: body.items }, key());
    const [order] = await ordersOf(user.id);
    await db().order.update({
      where: { id: order!.id },
      data: { reservedUntil: new Date(Date.now() - 1000), paymentClaimedUntil: new Date(Date.now() + 60_000) },
    });
    await server.runMaintenance();
    expect((await ordersOf(user.id))[0]!.status).toBe("PENDING");
    await db().order.update({ where: { id: order!.id }, data: { paymentClaimedUntil: null } });
    await server.runMaintenance();
    expect((await ordersOf(user.id))[0]!.status).toBe("CANCELLED");
  });

  it.each([
    [{ items: [] }, "items"],
    [{ items: [{ productId: 1, quantity: 0 }] }, "items.0.quantity"],
    [{ items: [{ productId: 1, quantity: 1.5 }] }, "items.0.quantity"],
    [{ items: [{ productId: "x", quantity: 1 }] }, "items.0.productId"],
    [{ cardLast4: "42" }, "cardLast4"],
    [{ total: 1 }, ""],
  ])("rejects %j with 400 naming %s, writing nothing", async (patch, field) => {
    const { user, body } = await customerWithProduct();
    const res = await restCheckout({ ...body, ...patch }, key());
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.code).toBe("VALIDATION_FAILED");
    expect(json.details.fields.map((f: any) => f.field)).toContain(field);
    expect(await ordersOf(user.id)).toHaveLength(0);
  });

  it("prices from the database and applies a coupon through GraphQL", async () => {
    const { body } = await customerWithProduct(10, 2999);
    const res = await gqlCheckout({ ...body, couponCode: "save10" }, key());
    expect(res.errors).toBeUndefined();
    // 2 x 29.99 = 59.98; 10% = 5.998 -> 6.00; total 53.98
    expect(res.data.checkout).toMatchObject({ replayed: false, order: { status: "PAID", totalCents: 5398 }, payment: { amountCents: 5398 } });
  });
});
