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
let state: {
  userId: number;
  productId: number;
  paidOrderId: number;
  fulfilledOrderId: number;
  couponId: number;
  prefix: string;
  /** Paid 27.00, 5.00 refunded. */
  partlyRefunded: { orderId: number; paymentId: number };
  /** Paid 27.00 and cancelled by an admin: refunded in full. */
  cancelled: { orderId: number; paymentId: number };
};

beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 1, EMAIL_FAILURE_RATE: 0 });
  const user = await createUser();
  const product = await createProduct({ priceCents: 1_500, stockQuantity: 50 });
  const buyer = await createUser();
  const refundable = await createProduct({ priceCents: 2_700, stockQuantity: 10 });
  expected.initialStock = await stockSnapshot();
  const coupon = await (await server.request("/api/checkout/coupons", { method: "POST", json: { code: `CHAOS${Date.now()}`, type: "PERCENTAGE", percentOff: 10, maxRedemptions: 5 } })).json();
  const checkout = async (body: Record<string, unknown>, userId = user.id, items = [{ productId: product.id, quantity: 2 }]) => {
    const key = randomUUID();
    const res = await server.request("/api/checkout", { method: "POST", headers: { "Idempotency-Key": key }, json: { userId, items, ...body } });
    const { orderId, paymentId } = await res.json();
    expected.checkouts.set(key, { userId, orderIds: new Set([orderId]) });
    return { orderId: orderId as number, paymentId: paymentId as number };
  };
  const paid = { paymentMethod: "credit_card", cardLast4: "4242" };
  const { orderId: paidOrderId } = await checkout({ ...paid, couponCode: coupon.code });
  const { orderId: fulfilledOrderId } = await checkout(paid);
  await checkout({}); // pay later, still PENDING
  expect((await server.request(`/api/orders/${fulfilledOrderId}/fulfill`, { method: "POST" })).status).toBe(200);
  const refundOne = (paymentId: number, json: unknown) => server.request(`/api/payments/${paymentId}/refund`, { method: "POST", headers: { "Idempotency-Key": randomUUID() }, json });
  const partlyRefunded = await checkout(paid, buyer.id, [{ productId: refundable.id, quantity: 1 }]);
  expect((await refundOne(partlyRefunded.paymentId, { amount: "5.00" })).status).toBe(201);
  const wholly = await checkout(paid, buyer.id, [{ productId: refundable.id, quantity: 1 }]);
  expect((await refundOne(wholly.paymentId, { amount: "10.00" })).status).toBe(201);
  expect((await refundOne(wholly.paymentId, {})).status).toBe(201);
  const cancelled = await checkout(paid, buyer.id, [{ productId: refundable.id, quantity: 1 }]);
  expect((await server.request(`/api/orders/${cancelled.orderId}/cancel`, { method: "POST", json: { reason: "out of stock" } })).status).toBe(200);
  while ((await server.runOutbox()) > 0);
  const prefix = `imp-${randomUUID().slice(0, 8)}-`;
  const csv = ["sku,name,price,stockQuantity", ...Array.from({ length: 30 }, (_, i) => `${prefix}${i},Imported ${i},${i + 1}.50,${i}`)].join("\n");
  const job = await (await uploadCsv(server, csv)).json();
  await waitForJob(server, job.id);
  expected.imports.push({ jobId: job.id, skuPrefix: prefix, rows: 30 });
  state = { userId: user.id, productId: product.id, paidOrderId, fulfilledOrderId, couponId: coupon.id, prefix, partlyRefunded, cancelled };
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
  it("hold on a shop after checkouts (paid, with a coupon, pay-later), a fulfilment with its outbox delivered, an import, refunds (partial, in parts to the whole) and a paid order cancelled", async () => {
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

  it("catch a payment counting more refunded than its refunds gave back", async () => {
    const { paymentId } = state.partlyRefunded;
    const violations = await caught("refundsMatchGateway", async () => {
      await db().payment.update({ where: { id: paymentId }, data: { refundedCents: { increment: 100 } } });
      return () => db().payment.update({ where: { id: paymentId }, data: { refundedCents: { decrement: 100 } } });
    });
    expect(violations).toEqual([`payment ${paymentId}: its SUCCEEDED refunds give back 500 cents, it counts 600 refunded`]);
  });

  it("catch a refund the gateway made that was never recorded (the customer refunded more than we count)", async () => {
    const { paymentId } = state.partlyRefunded;
    const { gatewayChargeId } = await db().payment.findUniqueOrThrow({ where: { id: paymentId } });
    const stray = await db().simulatedGatewayRefund.create({ data: { refundId: `re_planted_${randomUUID()}`, chargeId: gatewayChargeId!, idempotencyKey: `rf_planted_${randomUUID()}`, amountCents: 2_300 } });
    try {
      expect(await checkInvariants(expected)).toEqual({
        refundsMatchGateway: [
          `payment ${paymentId}: its SUCCEEDED refunds give back 500 cents, the gateway refunded 2800`,
          `payment ${paymentId}: 2800 cents refunded of a 2700-cent charge (payment 2700)`,
        ],
        gatewayRefundsRecordedOnce: [`gateway refund ${stray.refundId} (2300 cents of ${gatewayChargeId}) is recorded by 0 refunds`],
      });
    } finally {
      await db().simulatedGatewayRefund.delete({ where: { id: stray.id } });
    }
  });

  it("catch a charge refunded in full by refunds, then refunded whole again (as by reconciliation taking it for an orphan)", async () => {
    const { paymentId } = state.cancelled;
    const { gatewayChargeId } = await db().payment.findUniqueOrThrow({ where: { id: paymentId } });
    await db().simulatedGatewayCharge.update({ where: { chargeId: gatewayChargeId! }, data: { refundKey: `refund_${gatewayChargeId}`, refundedAt: new Date() } });
    try {
      expect(await checkInvariants(expected)).toEqual({
        refundsMatchGateway: [
          `payment ${paymentId}: its SUCCEEDED refunds give back 2700 cents, the gateway refunded 5400`,
          `payment ${paymentId}: 5400 cents refunded of a 2700-cent charge (payment 2700)`,
        ],
        gatewayRefundsRecordedOnce: [
          `charge ${gatewayChargeId} was refunded whole (refund_${gatewayChargeId}) for payment ${paymentId} (no failure code), which has 1 refunds of ours; the gateway made 1 partial refunds of it`,
        ],
      });
    } finally {
      await db().simulatedGatewayCharge.update({ where: { chargeId: gatewayChargeId! }, data: { refundKey: null, refundedAt: null } });
    }
  });

  it("catch a refund recorded under a gateway refund the gateway never made", async () => {
    const [refund] = await db().refund.findMany({ where: { paymentId: state.partlyRefunded.paymentId } });
    const violations = await caught("gatewayRefundsRecordedOnce", async () => {
      await db().refund.update({ where: { id: refund!.id }, data: { gatewayRefundId: "re_planted" } });
      return () => db().refund.update({ where: { id: refund!.id }, data: { gatewayRefundId: refund!.gatewayRefundId } });
    });
    expect(violations).toEqual([
      expect.stringMatching(new RegExp(`^gateway refund ${refund!.gatewayRefundId} \\(key ${refund!.gatewayKey}, 500 cents of \\S+\\) is recorded by refund ${refund!.id} as SUCCEEDED re_planted`)),
      `refund ${refund!.id} SUCCEEDED with gateway refund re_planted, which the gateway never made`,
    ]);
  });

  it("catch a refund left PENDING with its amount held", async () => {
    const { paymentId } = state.partlyRefunded;
    const violations = await caught("refundsSettled", async () => {
      const refund = await db().refund.create({ data: { paymentId, amountCents: 100, actor: "planted", gatewayKey: `rf_planted_${randomUUID()}` } });
      await db().payment.update({ where: { id: paymentId }, data: { refundPendingCents: { increment: 100 } } });
      return async () => {
        await db().payment.update({ where: { id: paymentId }, data: { refundPendingCents: { decrement: 100 } } });
        await db().refund.delete({ where: { id: refund.id } });
      };
    });
    expect(violations).toEqual([expect.stringMatching(new RegExp(`^refund \\d+ \\(100 cents of payment ${paymentId}\\) is still PENDING$`)), `payment ${paymentId} still holds 100 cents for refunds`]);
  });

  it("catch a payment REFUNDED with part of it refunded, but not an orphan charge reconciliation refunded whole", async () => {
    const { paymentId } = state.partlyRefunded;
    const violations = await caught("refundedOnlyInFull", async () => {
      await db().payment.update({ where: { id: paymentId }, data: { status: "REFUNDED" } });
      return () => db().payment.update({ where: { id: paymentId }, data: { status: "COMPLETED" } });
    });
    expect(violations).toEqual([`payment ${paymentId} is REFUNDED with 500 of 2700 cents refunded`]);

    const orphan = await plantOrphanRefunded(new Date());
    try {
      expect(await checkInvariants(expected)).toEqual({});
    } finally {
      await orphan();
    }
  });

  it("catch an orphan charge's payment marked REFUNDED while the charge was never refunded", async () => {
    const violations = await caught("everyChargeAccounted", () => plantOrphanRefunded(null));
    expect(violations).toEqual([expect.stringMatching(/^charge ch_orphan_\S+'s payment is REFUNDED as an orphan but the charge was never refunded$/)]);
  });
});

/** What reconciliation leaves for a charge made for the cancelled order but never recorded: its payment REFUNDED as an orphan (no Refund rows), the charge refunded at `refundedAt`. */
async function plantOrphanRefunded(refundedAt: Date | null): Promise<() => Promise<unknown>> {
  const key = `planted_${randomUUID()}`;
  const charge = await db().simulatedGatewayCharge.create({
    data: { chargeId: `ch_orphan_${randomUUID()}`, idempotencyKey: key, amountCents: 2_700, status: "succeeded", refundKey: refundedAt && `refund_${key}`, refundedAt },
  });
  const payment = await db().payment.create({
    data: { orderId: state.cancelled.orderId, status: "REFUNDED", amountCents: 2_700, paymentMethod: "credit_card", gatewayKey: key, gatewayChargeId: charge.chargeId, failureCode: "orphan_charge_refunded" },
  });
  return async () => {
    await db().payment.delete({ where: { id: payment.id } });
    await db().simulatedGatewayCharge.delete({ where: { id: charge.id } });
  };
}
