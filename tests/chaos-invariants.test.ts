import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INVARIANTS, checkInvariants, stockSnapshot, type Expectations } from "../chaos/invariants.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";
import { uploadCsv, waitForJob } from "./helpers/bulk.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";

/**
 * The chaos harness's invariants (chaos/invariants.ts) checked on a real
 * shop's database: they hold after every kind of write the scenarios make,
 * and each one catches the bug planted for it.
 */
let server: TestServer;
const expected: Expectations = { initialStock: new Map(), checkouts: new Map(), imports: [] };
let state: { userId: number; productId: number; paidOrderId: number; fulfilledOrderId: number; couponId: number; prefix: string };

beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 1, EMAIL_FAILURE_RATE: 0 });
  const user = await createUser();
  const product = await createProduct({ priceCents: 1_500, stockQuantity: 50 });
  expected.initialStock = await stockSnapshot();
  const coupon = await (await server.request("/api/checkout/coupons", { method: "POST", json: { code: `CHAOS${Date.now()}`, type: "PERCENTAGE", percentOff: 10, maxRedemptions: 5 } })).json();
  const checkout = async (body: Record<string, unknown>) => {
    const key = randomUUID();
    const res = await server.request("/api/checkout", { method: "POST", headers: { "Idempotency-Key": key }, json: { userId: user.id, items: [{ productId: product.id, quantity: 2 }], ...body } });
    const { orderId } = await res.json();
    expected.checkouts.set(key, { userId: user.id, orderIds: new Set([orderId]) });
    return orderId as number;
  };
  const paidOrderId = await checkout({ paymentMethod: "credit_card", cardLast4: "4242", couponCode: coupon.code });
  const fulfilledOrderId = await checkout({ paymentMethod: "credit_card", cardLast4: "4242" });
  await checkout({}); // pay later, still PENDING
  expect((await server.request(`/api/orders/${fulfilledOrderId}/fulfill`, { method: "POST" })).status).toBe(200);
  while ((await server.runOutbox()) > 0);
  const prefix = `imp-${randomUUID().slice(0, 8)}-`;
  const csv = ["sku,name,price,stockQuantity", ...Array.from({ length: 30 }, (_, i) => `${prefix}${i},Imported ${i},${i + 1}.50,${i}`)].join("\n");
  const job = await (await uploadCsv(server, csv)).json();
  await waitForJob(server, job.id);
  expected.imports.push({ jobId: job.id, skuPrefix: prefix, rows: 30 });
  state = { userId: user.id, productId: product.id, paidOrderId, fulfilledOrderId, couponId: coupon.id, prefix };
});
afterAll(() => server.stop());

/** Plants a bug, checks that `invariant` (and only it) reports it, and undoes the bug. */
async function caught(invariant: keyof typeof INVARIANTS, plant: () => Promise<() => Promise<unknown>>, by = expected): Promise<string[]> {
  const undo = await plant();
  try {
    const found = await checkInvariants(by);
    expect(Object.keys(found)).toEqual([invariant]);
    return found[invariant]!;
  } finally {
    await undo();
  }
}

describe("the chaos invariants", () => {
  it("hold on a shop after checkouts (paid, with a coupon, pay-later), a fulfilment with its outbox delivered, and an import", async () => {
    expect(await checkInvariants(expected)).toEqual({});
  });

  it("catch a key that produced a second order", async () => {
    const violations = await caught("oneOrderPerKey", async () => {
      const order = await createOrder(state.userId, []);
      return () => db().order.delete({ where: { id: order.id } });
    });
    expect(violations).toEqual([expect.stringMatching(/^user \d+ has 4 orders from 3 checkout keys$/)]);
    const [key] = expected.checkouts.keys();
    const twice = { ...expected, checkouts: new Map([...expected.checkouts].map(([k, v]) => [k, k === key ? { ...v, orderIds: new Set([...v.orderIds, 999_999]) } : v])) };
    expect(await caught("oneOrderPerKey", async () => async () => {}, twice)).toEqual([expect.stringContaining("answered 2 different orders")]);
  });

  it("catch a charge without its key's payment (money taken, nothing recorded)", async () => {
    const violations = await caught("everyChargeAccounted", async () => {
      const charge = await db().simulatedGatewayCharge.create({ data: { chargeId: `ch_planted_${randomUUID()}`, idempotencyKey: `planted_${randomUUID()}`, amountCents: 2_700, status: "succeeded" } });
      return () => db().simulatedGatewayCharge.delete({ where: { id: charge.id } });
    });
    expect(violations).toEqual([expect.stringMatching(/has no completed payment \(none\) and no refund/)]);
  });

  it("catch an order charged twice, even with both charges recorded", async () => {
    const violations = await caught("oneChargePerKeyAndOrder", async () => {
      const key = `planted_${randomUUID()}`;
      const { totalCents } = await db().order.findUniqueOrThrow({ where: { id: state.paidOrderId } });
      const charge = await db().simulatedGatewayCharge.create({ data: { chargeId: `ch_${randomUUID()}`, idempotencyKey: key, amountCents: totalCents, status: "succeeded" } });
      const payment = await db().payment.create({
        data: { orderId: state.paidOrderId, status: "COMPLETED", amountCents: totalCents, paymentMethod: "credit_card", gatewayKey: key, gatewayChargeId: charge.chargeId },
      });
      return async () => {
        await db().payment.delete({ where: { id: payment.id } });
        await db().simulatedGatewayCharge.delete({ where: { id: charge.id } });
      };
    });
    expect(violations).toEqual([`order ${state.paidOrderId} holds 2 charges`]);
  });

  it("catch a double stock decrement", async () => {
    const violations = await caught("stockConserved", async () => {
      await db().product.update({ where: { id: state.productId }, data: { stockQuantity: { decrement: 2 } } });
      return () => db().product.update({ where: { id: state.productId }, data: { stockQuantity: { increment: 2 } } });
    });
    expect(violations).toEqual([`product ${state.productId}: 50 at the start, 42 in stock + 6 held = 48`]);
  });

  it("catch a coupon redemption counted twice", async () => {
    const violations = await caught("couponRedemptionsExact", async () => {
      await db().coupon.update({ where: { id: state.couponId }, data: { redemptionCount: { increment: 1 } } });
      return () => db().coupon.update({ where: { id: state.couponId }, data: { redemptionCount: { decrement: 1 } } });
    });
    expect(violations).toEqual([expect.stringMatching(/2 redemptions counted, 1 orders carry it/)]);
  });

  it("catch a shipment for an order that is not fulfilled", async () => {
    const violations = await caught("oneShipmentPerFulfilledOrder", async () => {
      const shipment = await db().shipment.create({ data: { orderId: state.paidOrderId, carrier: "planted", trackingNumber: `T${randomUUID()}` } });
      return () => db().shipment.delete({ where: { id: shipment.id } });
    });
    expect(violations).toEqual([`order ${state.paidOrderId} is PAID with 1 shipments`]);
  });

  it("catch an outbox event its consumer never applied", async () => {
    const violations = await caught("outboxDeliveredOnce", async () => {
      const [delivery] = await db().simulatedSinkDelivery.findMany({ take: 1 });
      await db().simulatedSinkDelivery.delete({ where: { id: delivery!.id } });
      return () => db().simulatedSinkDelivery.create({ data: delivery! });
    });
    expect(violations).toEqual([expect.stringMatching(/^outbox event \d+ was applied 0 times$/)]);
  });

  it("catch an import row written twice or lost", async () => {
    const violations = await caught("importExact", async () => {
      const product = await db().product.findFirstOrThrow({ where: { sku: `${state.prefix}7` } });
      await db().product.delete({ where: { id: product.id } });
      return () => db().product.create({ data: product });
    });
    expect(violations).toEqual([expect.stringMatching(/: 29 products \(29 skus\) for 30 rows$/)]);
  });
});
