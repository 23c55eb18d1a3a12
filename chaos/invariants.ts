import { postgresPool } from "../src/db/client.js";
import { readRows } from "../src/db/index.js";

/**
 * What must hold after any crash at any moment, read straight from the
 * database (docs/reliability.md). Each check returns its violations, one line
 * each; none means it holds. The chaos harness runs them after every scenario;
 * tests/chaos-invariants.test.ts plants a bug for each and sees it caught.
 */
export interface Expectations {
  /** Product id → its units when the scenario began, in stock or held by orders (`stockSnapshot`); products created later are not counted. */
  initialStock: Map<number, number>;
  /** What clients sent and heard: per checkout key, its user and every order id answered. */
  checkouts: Map<string, { userId: number; orderIds: Set<number> }>;
  /** An import that must have ended COMPLETED with exactly `rows` products under `skuPrefix`. */
  imports: { jobId: number; skuPrefix: string; rows: number }[];
}

export type Check = (expected: Expectations) => Promise<string[]>;

const rows = <T>(sql: string, params: unknown[] = []) => readRows<T>(sql, params);
const n = (value: unknown) => Number(value);
/** The failure code of a payment reconciliation marked REFUNDED for an orphan charge it refunded whole (no Refund rows). */
const ORPHAN_REFUNDED = "orphan_charge_refunded";

/** Each checkout key produced at most one order: one order id per key, and no user has more orders than keys it sent. */
export const oneOrderPerKey: Check = async ({ checkouts }) => {
  const violations: string[] = [];
  const keysPerUser = new Map<number, number>();
  for (const [key, { userId, orderIds }] of checkouts) {
    if (orderIds.size > 1) violations.push(`key ${key} answered ${orderIds.size} different orders: ${[...orderIds].join(", ")}`);
    keysPerUser.set(userId, (keysPerUser.get(userId) ?? 0) + 1);
  }
  for (const [userId, keys] of keysPerUser) {
    const [row] = await rows<{ count: unknown }>(`SELECT COUNT(*) AS "count" FROM "Order" WHERE "userId" = ?`, [userId]);
    if (n(row?.count) > keys) violations.push(`user ${userId} has ${n(row?.count)} orders from ${keys} checkout keys`);
  }
  return violations;
};

/** At most one charge per gateway key, and at most one charge kept (not refunded, whole or in parts adding up to it) per order. */
export const oneChargePerKeyAndOrder: Check = async () => {
  const perKey = await rows<{ key: string; count: unknown }>(
    `SELECT "idempotencyKey" AS "key", COUNT(*) AS "count" FROM "SimulatedGatewayCharge" GROUP BY "idempotencyKey" HAVING COUNT(*) > 1`,
  );
  const perOrder = await rows<{ orderId: number; count: unknown }>(
    `SELECT p."orderId" AS "orderId", COUNT(DISTINCT c."chargeId") AS "count" FROM "SimulatedGatewayCharge" c JOIN "Payment" p ON p."gatewayKey" = c."idempotencyKey"
     WHERE c."status" = 'succeeded' AND c."refundedAt" IS NULL
       AND c."amountCents" > (SELECT COALESCE(SUM(g."amountCents"), 0) FROM "SimulatedGatewayRefund" g WHERE g."chargeId" = c."chargeId")
     GROUP BY p."orderId" HAVING COUNT(DISTINCT c."chargeId") > 1`,
  );
  return [
    ...perKey.map((r) => `gateway key ${r.key} was charged ${n(r.count)} times`),
    ...perOrder.map((r) => `order ${r.orderId} holds ${n(r.count)} charges`),
  ];
};

/**
 * Every charge is a COMPLETED payment of a PAID-or-later order with equal amounts, or refunded with its payment REFUNDED:
 * in whole by reconciliation (an orphan), or by refunds adding up to it (whose amounts `refundsMatchGateway` checks).
 */
export const everyChargeAccounted: Check = async () => {
  const charges = await rows<{ chargeId: string; amountCents: unknown; refundedAt: unknown; paymentStatus: string | null; paymentFailure: string | null; paymentAmount: unknown; orderStatus: string | null; orderTotal: unknown }>(
    `SELECT c."chargeId" AS "chargeId", c."amountCents" AS "amountCents", c."refundedAt" AS "refundedAt", p."status" AS "paymentStatus",
            p."failureCode" AS "paymentFailure", p."amountCents" AS "paymentAmount", o."status" AS "orderStatus", o."totalCents" AS "orderTotal"
     FROM "SimulatedGatewayCharge" c LEFT JOIN "Payment" p ON p."gatewayChargeId" = c."chargeId" LEFT JOIN "Order" o ON o."id" = p."orderId"
     WHERE c."status" = 'succeeded'`,
  );
  const violations: string[] = [];
  for (const c of charges) {
    const amount = n(c.amountCents);
    if (c.refundedAt !== null) {
      if (c.paymentStatus !== "REFUNDED") violations.push(`charge ${c.chargeId} was refunded but its payment is ${c.paymentStatus ?? "missing"}`);
    } else if (c.paymentStatus === "REFUNDED") {
      if (c.paymentFailure === ORPHAN_REFUNDED) violations.push(`charge ${c.chargeId}'s payment is REFUNDED as an orphan but the charge was never refunded`);
    } else if (c.paymentStatus !== "COMPLETED") {
      violations.push(`charge ${c.chargeId} (${amount} cents) has no completed payment (${c.paymentStatus ?? "none"}) and no refund`);
    } else if (!["PAID", "PROCESSING", "FULFILLED", "FAILED"].includes(c.orderStatus ?? "")) {
      violations.push(`charge ${c.chargeId} is recorded on an order that is ${c.orderStatus}`);
    } else if (n(c.paymentAmount) !== amount || n(c.orderTotal) !== amount) {
      violations.push(`charge ${c.chargeId} is ${amount} cents, its payment ${n(c.paymentAmount)}, its order ${n(c.orderTotal)}`);
    }
  }
  return violations;
};

const unitsSql = `SELECT p."id" AS "id", p."stockQuantity" AS "stock",
    (SELECT COALESCE(SUM(r."quantity"), 0) FROM "InventoryReservation" r WHERE r."productId" = p."id" AND r."status" IN ('ACTIVE', 'COMMITTED')) AS "held"
  FROM "Product" p`;

/** Each product's units now: in stock plus held by orders. */
export async function stockSnapshot(): Promise<Map<number, number>> {
  return new Map((await rows<{ id: number; stock: unknown; held: unknown }>(unitsSql)).map((p) => [n(p.id), n(p.stock) + n(p.held)]));
}

/** Units at the start = stock now + the units orders still hold (reservations ACTIVE or COMMITTED). */
export const stockConserved: Check = async ({ initialStock }) => {
  const violations: string[] = [];
  const now = await rows<{ id: number; stock: unknown; held: unknown }>(unitsSql);
  for (const product of now) {
    const initial = initialStock.get(n(product.id));
    if (initial === undefined) continue;
    const accounted = n(product.stock) + n(product.held);
    if (accounted !== initial) violations.push(`product ${product.id}: ${initial} at the start, ${n(product.stock)} in stock + ${n(product.held)} held = ${accounted}`);
  }
  const unreserved = await rows<{ id: number }>(
    `SELECT o."id" AS "id" FROM "Order" o JOIN "OrderItem" i ON i."orderId" = o."id"
     WHERE o."status" <> 'CANCELLED' AND NOT EXISTS (SELECT 1 FROM "InventoryReservation" r WHERE r."orderId" = o."id" AND r."productId" = i."productId" AND r."quantity" = i."quantity" AND r."status" IN ('ACTIVE', 'COMMITTED'))`,
  );
  return [...violations, ...unreserved.map((o) => `order ${o.id} has a line whose units no reservation holds`)];
};

/** A coupon's redemptions are the orders carrying it (cancelled ones gave theirs back), never above its limit. */
export const couponRedemptionsExact: Check = async () => {
  const coupons = await rows<{ code: string; redeemed: unknown; limit: unknown; orders: unknown }>(
    `SELECT c."code" AS "code", c."redemptionCount" AS "redeemed", c."maxRedemptions" AS "limit",
            (SELECT COUNT(*) FROM "Order" o WHERE o."couponId" = c."id" AND o."status" <> 'CANCELLED') AS "orders"
     FROM "Coupon" c`,
  );
  const violations: string[] = [];
  for (const c of coupons) {
    if (n(c.redeemed) !== n(c.orders)) violations.push(`coupon ${c.code}: ${n(c.redeemed)} redemptions counted, ${n(c.orders)} orders carry it`);
    if (c.limit !== null && n(c.orders) > n(c.limit)) violations.push(`coupon ${c.code}: ${n(c.orders)} orders over its limit of ${n(c.limit)}`);
  }
  return violations;
};

/** One shipment per fulfilled order, none for any other. */
export const oneShipmentPerFulfilledOrder: Check = async () => {
  const wrong = await rows<{ id: number; status: string; shipments: unknown }>(
    `SELECT o."id" AS "id", o."status" AS "status", (SELECT COUNT(*) FROM "Shipment" s WHERE s."orderId" = o."id") AS "shipments" FROM "Order" o
     WHERE (o."status" = 'FULFILLED') <> ((SELECT COUNT(*) FROM "Shipment" s WHERE s."orderId" = o."id") = 1)`,
  );
  return wrong.map((o) => `order ${o.id} is ${o.status} with ${n(o.shipments)} shipments`);
};

/** Every outbox event delivered, and applied once by its consumer (one ledger row per event, whatever the receipts). */
export const outboxDeliveredOnce: Check = async () => {
  const events = await rows<{ id: number; status: string; applied: unknown }>(
    `SELECT e."id" AS "id", e."status" AS "status", (SELECT COUNT(*) FROM "SimulatedSinkDelivery" d WHERE d."dedupeKey" = 'outbox:' || e."id") AS "applied" FROM "OutboxEvent" e`,
  );
  const violations = events.flatMap((e) =>
    e.status !== "DELIVERED" ? [`outbox event ${e.id} is ${e.status}`] : n(e.applied) !== 1 ? [`outbox event ${e.id} was applied ${n(e.applied)} times`] : [],
  );
  const strays = await rows<{ key: string }>(
    `SELECT d."dedupeKey" AS "key" FROM "SimulatedSinkDelivery" d WHERE NOT EXISTS (SELECT 1 FROM "OutboxEvent" e WHERE 'outbox:' || e."id" = d."dedupeKey")`,
  );
  return [...violations, ...strays.map((s) => `the consumers applied ${s.key}, which no outbox event holds`)];
};

/** An import ended COMPLETED with exactly its rows: every product once. */
export const importExact: Check = async ({ imports }) => {
  const violations: string[] = [];
  for (const { jobId, skuPrefix, rows: expected } of imports) {
    const [job] = await rows<{ status: string; processed: unknown; failed: unknown }>(
      `SELECT "status" AS "status", "processedRows" AS "processed", "failedRows" AS "failed" FROM "BulkUploadJob" WHERE "id" = ?`, [jobId],
    );
    const [products] = await rows<{ count: unknown; skus: unknown }>(
      `SELECT COUNT(*) AS "count", COUNT(DISTINCT "sku") AS "skus" FROM "Product" WHERE substr("sku", 1, ?) = ?`, [skuPrefix.length, skuPrefix],
    );
    if (job?.status !== "COMPLETED") violations.push(`import job ${jobId} is ${job?.status ?? "missing"}`);
    else if (n(job.processed) !== expected || n(job.failed) !== 0) violations.push(`import job ${jobId} processed ${n(job.processed)} rows (${n(job.failed)} failed) of ${expected}`);
    if (n(products?.count) !== expected || n(products?.skus) !== expected) violations.push(`import job ${jobId}: ${n(products?.count)} products (${n(products?.skus)} skus) for ${expected} rows`);
  }
  return violations;
};

/**
 * Per payment, what our SUCCEEDED refunds gave back is what the gateway refunded of its charge (its partial refunds,
 * plus the whole charge when it was refunded whole) and what the payment counts as refunded, and never more than the
 * charge. A payment reconciliation REFUNDED as an orphan has no refunds of ours: the gateway refunded it whole.
 */
export const refundsMatchGateway: Check = async () => {
  const payments = await rows<{ id: number; failureCode: string | null; amountCents: unknown; refundedCents: unknown; chargeCents: unknown; refundedWhole: unknown; succeeded: unknown; parts: unknown }>(
    `SELECT p."id" AS "id", p."failureCode" AS "failureCode", p."amountCents" AS "amountCents", p."refundedCents" AS "refundedCents",
            c."amountCents" AS "chargeCents", c."refundedAt" AS "refundedWhole",
            (SELECT COALESCE(SUM(r."amountCents"), 0) FROM "Refund" r WHERE r."paymentId" = p."id" AND r."status" = 'SUCCEEDED') AS "succeeded",
            (SELECT COALESCE(SUM(g."amountCents"), 0) FROM "SimulatedGatewayRefund" g WHERE g."chargeId" = p."gatewayChargeId") AS "parts"
     FROM "Payment" p LEFT JOIN "SimulatedGatewayCharge" c ON c."chargeId" = p."gatewayChargeId"
     WHERE p."refundedCents" <> 0 OR c."refundedAt" IS NOT NULL OR EXISTS (SELECT 1 FROM "Refund" r WHERE r."paymentId" = p."id")
        OR EXISTS (SELECT 1 FROM "SimulatedGatewayRefund" g WHERE g."chargeId" = p."gatewayChargeId")`,
  );
  const violations: string[] = [];
  for (const p of payments) {
    const charged = p.chargeCents === null ? 0 : n(p.chargeCents);
    const gateway = n(p.parts) + (p.refundedWhole === null ? 0 : charged);
    const [succeeded, refunded] = [n(p.succeeded), n(p.refundedCents)];
    const orphan = p.failureCode === ORPHAN_REFUNDED;
    if (!orphan && succeeded !== gateway) violations.push(`payment ${p.id}: its SUCCEEDED refunds give back ${succeeded} cents, the gateway refunded ${gateway}`);
    if (succeeded !== refunded) violations.push(`payment ${p.id}: its SUCCEEDED refunds give back ${succeeded} cents, it counts ${refunded} refunded`);
    const most = Math.max(succeeded, gateway);
    if (most > Math.min(charged, n(p.amountCents))) violations.push(`payment ${p.id}: ${most} cents refunded of a ${charged}-cent charge (payment ${n(p.amountCents)})`);
  }
  return violations;
};

/**
 * Each refund the gateway made is recorded once: a partial one by exactly one SUCCEEDED refund of ours (same key, id,
 * amount and charge), a whole one by the orphan payment reconciliation REFUNDED; each SUCCEEDED refund names one the gateway made.
 */
export const gatewayRefundsRecordedOnce: Check = async () => {
  const made = await rows<{ refundId: string; chargeId: string; key: string; amountCents: unknown }>(
    `SELECT "refundId" AS "refundId", "chargeId" AS "chargeId", "idempotencyKey" AS "key", "amountCents" AS "amountCents" FROM "SimulatedGatewayRefund"`,
  );
  const ours = await rows<{ id: number; status: string; amountCents: unknown; gatewayKey: string; gatewayRefundId: string | null; chargeId: string | null }>(
    `SELECT r."id" AS "id", r."status" AS "status", r."amountCents" AS "amountCents", r."gatewayKey" AS "gatewayKey", r."gatewayRefundId" AS "gatewayRefundId",
            p."gatewayChargeId" AS "chargeId"
     FROM "Refund" r JOIN "Payment" p ON p."id" = r."paymentId"`,
  );
  const violations: string[] = [];
  for (const g of made) {
    const records = ours.filter((r) => r.gatewayRefundId === g.refundId || r.gatewayKey === g.key);
    if (records.length !== 1) {
      violations.push(`gateway refund ${g.refundId} (${n(g.amountCents)} cents of ${g.chargeId}) is recorded by ${records.length} refunds${records.length ? `: ${records.map((r) => r.id).join(", ")}` : ""}`);
      continue;
    }
    const [r] = records as [(typeof ours)[number]];
    if (r.status !== "SUCCEEDED" || r.gatewayRefundId !== g.refundId || r.gatewayKey !== g.key || n(r.amountCents) !== n(g.amountCents) || r.chargeId !== g.chargeId) {
      violations.push(`gateway refund ${g.refundId} (key ${g.key}, ${n(g.amountCents)} cents of ${g.chargeId}) is recorded by refund ${r.id} as ${r.status} ${r.gatewayRefundId ?? "without an id"} (key ${r.gatewayKey}, ${n(r.amountCents)} cents of ${r.chargeId})`);
    }
  }
  // A charge refunded whole is reconciliation's refund of an orphan: recorded by its payment marked REFUNDED as one, with no refunds of ours.
  const wholes = await rows<{ chargeId: string; key: string; paymentId: number | null; failureCode: string | null; refunds: unknown; parts: unknown }>(
    `SELECT c."chargeId" AS "chargeId", c."refundKey" AS "key", p."id" AS "paymentId", p."failureCode" AS "failureCode",
            (SELECT COUNT(*) FROM "Refund" r WHERE r."paymentId" = p."id") AS "refunds",
            (SELECT COUNT(*) FROM "SimulatedGatewayRefund" g WHERE g."chargeId" = c."chargeId") AS "parts"
     FROM "SimulatedGatewayCharge" c LEFT JOIN "Payment" p ON p."gatewayChargeId" = c."chargeId"
     WHERE c."refundedAt" IS NOT NULL`,
  );
  for (const w of wholes) {
    if (w.failureCode !== ORPHAN_REFUNDED || n(w.refunds) > 0 || n(w.parts) > 0) {
      violations.push(`charge ${w.chargeId} was refunded whole (${w.key}) for payment ${w.paymentId ?? "none"} (${w.failureCode ?? "no failure code"}), which has ${n(w.refunds)} refunds of ours; the gateway made ${n(w.parts)} partial refunds of it`);
    }
  }
  const known = new Set(made.map((g) => g.refundId));
  for (const r of ours) {
    if (r.status === "SUCCEEDED" && (r.gatewayRefundId === null || !known.has(r.gatewayRefundId))) {
      violations.push(`refund ${r.id} SUCCEEDED with gateway refund ${r.gatewayRefundId ?? "none"}, which the gateway never made`);
    }
  }
  return violations;
};

/** Once the gateway has reconciled, no refund is left PENDING and no payment holds an amount for one. */
export const refundsSettled: Check = async () => {
  const pending = await rows<{ id: number; paymentId: number; amountCents: unknown }>(
    `SELECT "id" AS "id", "paymentId" AS "paymentId", "amountCents" AS "amountCents" FROM "Refund" WHERE "status" = 'PENDING'`,
  );
  const held = await rows<{ id: number; held: unknown }>(`SELECT "id" AS "id", "refundPendingCents" AS "held" FROM "Payment" WHERE "refundPendingCents" <> 0`);
  return [
    ...pending.map((r) => `refund ${r.id} (${n(r.amountCents)} cents of payment ${r.paymentId}) is still PENDING`),
    ...held.map((p) => `payment ${p.id} still holds ${n(p.held)} cents for refunds`),
  ];
};

/** A payment is REFUNDED exactly when refunds gave all of it back (reconciliation's orphan refunds aside: no Refund rows). */
export const refundedOnlyInFull: Check = async () => {
  const wrong = await rows<{ id: number; status: string; amountCents: unknown; refundedCents: unknown }>(
    `SELECT "id" AS "id", "status" AS "status", "amountCents" AS "amountCents", "refundedCents" AS "refundedCents" FROM "Payment"
     WHERE ("status" = 'REFUNDED' AND "refundedCents" <> "amountCents" AND ("failureCode" IS NULL OR "failureCode" <> ?))
        OR ("status" <> 'REFUNDED' AND "refundedCents" > 0 AND "refundedCents" = "amountCents")`,
    [ORPHAN_REFUNDED],
  );
  return wrong.map((p) => `payment ${p.id} is ${p.status} with ${n(p.refundedCents)} of ${n(p.amountCents)} cents refunded`);
};

/** The database file is intact (SQLite's integrity check; PostgreSQL has its own guarantees). */
export const databaseIntact: Check = async () => {
  if (postgresPool()) return [];
  const result = await rows<{ integrity_check: string }>("PRAGMA integrity_check");
  return result.map((r) => r.integrity_check).filter((line) => line !== "ok").map((line) => `integrity check: ${line}`);
};

export const INVARIANTS: Record<string, Check> = {
  databaseIntact,
  oneOrderPerKey,
  oneChargePerKeyAndOrder,
  everyChargeAccounted,
  stockConserved,
  couponRedemptionsExact,
  oneShipmentPerFulfilledOrder,
  outboxDeliveredOnce,
  importExact,
  refundsMatchGateway,
  gatewayRefundsRecordedOnce,
  refundsSettled,
  refundedOnlyInFull,
};

/** Every invariant's violations, by name (only those with any). */
export async function checkInvariants(expected: Expectations): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const [name, check] of Object.entries(INVARIANTS)) {
    const violations = await check(expected);
    if (violations.length > 0) found[name] = violations;
  }
  return found;
}
