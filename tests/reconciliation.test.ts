import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { refundCharge } from "../src/services/external/card-gateway.js";
import { flowFaults, SimulatedCrash } from "../src/services/idempotency/flow.js";
import { expireReservations } from "../src/services/orders/expiry.js";
import { reconcileGatewayCharges, settleOrphan } from "../src/services/payments/reconcile.js";
import { orphanCharges, RECONCILER_LOCK } from "../src/services/payments/reconcile-sql.js";
import { recordCharge } from "../src/services/payments/steps/index.js";
import { sqlTransaction } from "../src/db/sql.js";
import { createLogger } from "../src/lib/logger.js";
import { reconciliationMetrics } from "../src/lib/metrics.js";
import { createProduct, createUser } from "./helpers/factories.js";
import { engine } from "../src/db/index.js";
import { db, startTestServer, usingPostgres, type TestServer } from "./helpers/server.js";

/**
 * Orphan charges planted as a crash plants them: the gateway charged, the
 * process died before recording it, and no retry came. Reconciliation records
 * the charge while the order is payable, and refunds it once the order can no
 * longer take it (docs/idempotency.md).
 */
let server: TestServer;
const logger = createLogger("silent");
beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 1 });
});
afterAll(() => server.stop());
afterEach(() => {
  flowFaults.afterStep = undefined;
});

/** A minute past the idempotency lock timeout: the dead attempt would have been retried by now, if ever. */
const later = () => new Date(Date.now() + server.config.IDEMPOTENCY_LOCK_TIMEOUT_MS + 60_000);
const counted = async (outcome: string) => (await reconciliationMetrics.orphanCharges.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

/** Pays a pending order, with the process "killed" right after the gateway charged: an orphan charge. */
async function orphanOn(orderTotal = 2_500) {
  const user = await createUser();
  const product = await createProduct({ priceCents: orderTotal, stockQuantity: 5 });
  const token = await server.tokenFor(user.id);
  const placed = await server.request("/api/checkout", { method: "POST", as: token, headers: { "Idempotency-Key": randomUUID() }, json: { items: [{ productId: product.id, quantity: 1 }] } });
  const { orderId } = await placed.json();
  flowFaults.afterStep = (op, step, phase) => {
    if (op === "payment" && step === "charge" && phase === "committed") throw new SimulatedCrash("charge");
  };
  const key = randomUUID();
  const paying = await server.request("/api/payments/process", { method: "POST", as: token, headers: { "Idempotency-Key": key }, json: { orderId, paymentMethod: "credit_card", cardLast4: "4242" } });
  expect(paying.status).toBe(500);
  flowFaults.afterStep = undefined;
  const payment = await db().payment.findFirstOrThrow({ where: { orderId }, orderBy: { id: "desc" } });
  const charge = await db().simulatedGatewayCharge.findUniqueOrThrow({ where: { idempotencyKey: payment.gatewayKey! } });
  // The dead attempt's lease lapses with time.
  await db().order.update({ where: { id: orderId }, data: { paymentClaimedUntil: new Date(Date.now() - 1) } });
  return { orderId, payment, charge, token, key, product };
}

describe("gateway reconciliation", () => {
  it("records an orphan charge while its order is still payable: the payment COMPLETED, the order PAID, and a retry gets the same success", async () => {
    const { orderId, payment, charge, token, key } = await orphanOn();
    expect(payment.status).toBe("PENDING");
    // Not before the lock timeout: the attempt (or its retry) may still record it.
    expect(await reconcileGatewayCharges(logger)).toMatchObject({ recorded: 0, refunded: 0 });
    const recorded = await counted("recorded");
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ found: 1, recorded: 1, refunded: 0, unfixed: 0 });
    expect(await counted("recorded")).toBe(recorded + 1);
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "COMPLETED", gatewayChargeId: charge.chargeId });
    expect((await db().order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("PAID");
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ found: 0 });

    await db().idempotencyKey.updateMany({ where: { key }, data: { lockedUntil: new Date(Date.now() - 1) } });
    const retry = await server.request("/api/payments/process", { method: "POST", as: token, headers: { "Idempotency-Key": key }, json: { orderId, paymentMethod: "credit_card", cardLast4: "4242" } });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ paymentId: payment.id, status: "COMPLETED", amountCents: charge.amountCents });
    expect(await db().simulatedGatewayCharge.count({ where: { idempotencyKey: payment.gatewayKey! } })).toBe(1);
  });

  it("refunds an orphan charge once its order expired (cancelled, stock back), records the payment REFUNDED, and never refunds twice", async () => {
    const { orderId, payment, charge, token, key, product } = await orphanOn();
    await db().order.update({ where: { id: orderId }, data: { reservedUntil: new Date(Date.now() - 1) } });
    expect(await expireReservations()).toBe(1);
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(5);
    const refunded = await counted("refunded");

    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ found: 1, recorded: 0, refunded: 1, unfixed: 0 });
    expect(await counted("refunded")).toBe(refunded + 1);
    const ledger = await db().simulatedGatewayCharge.findUniqueOrThrow({ where: { chargeId: charge.chargeId } });
    expect(ledger.refundKey).toBe(`refund_${charge.chargeId}`);
    expect(ledger.refundedAt).not.toBeNull();
    expect(await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: "REFUNDED", gatewayChargeId: charge.chargeId, failureCode: "orphan_charge_refunded" });
    expect((await db().order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("CANCELLED");
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ found: 0 });

    // The gateway's refund is keyed: the same key answers the same refund, another key is refused.
    await expect(refundCharge({ chargeId: charge.chargeId, idempotencyKey: `refund_${charge.chargeId}` })).resolves.toEqual({ refundedAt: ledger.refundedAt });
    await expect(refundCharge({ chargeId: charge.chargeId, idempotencyKey: "another" })).rejects.toMatchObject({ code: "DUPLICATE" });
    // The customer's retry learns the order was not paid, and nothing is charged again.
    await db().idempotencyKey.updateMany({ where: { key }, data: { lockedUntil: new Date(Date.now() - 1) } });
    const retry = await server.request("/api/payments/process", { method: "POST", as: token, headers: { "Idempotency-Key": key }, json: { orderId, paymentMethod: "credit_card", cardLast4: "4242" } });
    expect(retry.status).toBe(409);
    expect(await db().simulatedGatewayCharge.count({ where: { idempotencyKey: payment.gatewayKey! } })).toBe(1);
  });

  it("refunds an orphan charge whose order was paid by another payment meanwhile (a double charge)", async () => {
    const { orderId, charge, token } = await orphanOn();
    const other = await server.request("/api/payments/process", { method: "POST", as: token, headers: { "Idempotency-Key": randomUUID() }, json: { orderId, paymentMethod: "credit_card", cardLast4: "4242" } });
    expect(other.status).toBe(200);
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ found: 1, refunded: 1 });
    expect((await db().simulatedGatewayCharge.findUniqueOrThrow({ where: { chargeId: charge.chargeId } })).refundedAt).not.toBeNull();
    expect(await db().payment.count({ where: { orderId, status: "COMPLETED" } })).toBe(1);
  });

  it("leaves a charge alone while an attempt holds the order, and counts it unfixed", async () => {
    const { orderId } = await orphanOn();
    await db().order.update({ where: { id: orderId }, data: { paymentClaimedUntil: new Date(later().getTime() + 60_000) } });
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ found: 1, recorded: 0, refunded: 0, unfixed: 1 });
    expect((await reconciliationMetrics.unfixed.get()).values[0]?.value).toBe(1);
    await db().order.update({ where: { id: orderId }, data: { paymentClaimedUntil: null } });
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ recorded: 1, unfixed: 0 });
    expect((await reconciliationMetrics.unfixed.get()).values[0]?.value).toBe(0);
  });

  it("leaves alone a charge its own attempt recorded after the orphan list was read (the chaos harness caught a refund of a paid order)", async () => {
    const { orderId, charge, token, key } = await orphanOn();
    const [stale] = (await orphanCharges(later(), 100)).filter((c) => c.chargeId === charge.chargeId);
    expect(stale).toBeDefined();
    // The attempt finishes late: its retry records the charge.
    await db().idempotencyKey.updateMany({ where: { key }, data: { lockedUntil: new Date(Date.now() - 1) } });
    const retry = await server.request("/api/payments/process", { method: "POST", as: token, headers: { "Idempotency-Key": key }, json: { orderId, paymentMethod: "credit_card", cardLast4: "4242" } });
    expect(retry.status).toBe(200);
    expect(await settleOrphan(stale!, later())).toBe("late");
    expect((await db().simulatedGatewayCharge.findUniqueOrThrow({ where: { chargeId: charge.chargeId } })).refundedAt).toBeNull();
    expect((await db().order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("PAID");
  });

  it("marks the payment REFUNDED before refunding, so a late attempt cannot record the charge (its order's total changed)", async () => {
    const { orderId, payment, charge, product } = await orphanOn();
    await db().order.update({ where: { id: orderId }, data: { totalCents: product.priceCents - 100, discountCents: 100 } });
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ found: 1, refunded: 1 });
    const attempt = { orderId, paymentId: payment.id, amountCents: charge.amountCents, paymentMethod: "credit_card", cardLast4: "4242", gatewayKey: payment.gatewayKey!, fraudScore: null } as const;
    const late = sqlTransaction((sql) => recordCharge(sql, attempt as never, { chargeId: charge.chargeId, status: "succeeded", declineCode: null, amountCents: charge.amountCents }));
    await expect(late).rejects.toMatchObject({ code: "ORDER_NOT_PENDING" });
    expect((await db().order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("PENDING");
    expect((await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).status).toBe("REFUNDED");
  });

  it.runIf(usingPostgres)("runs on one PostgreSQL instance at a time: while another holds the reconciler's lock, a pass is skipped", async () => {
    const { payment } = await orphanOn();
    // The engine takes the lock on a connection of its own: another session, as another instance would be.
    const held = await engine().exclusive(RECONCILER_LOCK, async () => {
      expect(await reconcileGatewayCharges(logger, later())).toBeUndefined();
      expect((await db().payment.findUniqueOrThrow({ where: { id: payment.id } })).status).toBe("PENDING");
      return "held";
    });
    expect(held).toBe("held");
    expect(await reconcileGatewayCharges(logger, later())).toMatchObject({ recorded: 1 });
  });
});
