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

/** At most one charge per gateway key, and at most one charge kept (not refunded) per order. */
export const oneChargePerKeyAndOrder: Check = async () => {
  const perKey = await rows<{ key: string; count: unknown }>(
    `SELECT "idempotencyKey" AS "key", COUNT(*) AS "count" FROM "SimulatedGatewayCharge" GROUP BY "idempotencyKey" HAVING COUNT(*) > 1`,
  );
  const perOrder = await rows<{ orderId: number; count: unknown }>(
    `SELECT p."orderId" AS "orderId", COUNT(DISTINCT c."chargeId") AS "count" FROM "SimulatedGatewayCharge" c JOIN "Payment" p ON p."gatewayKey" = c."idempotencyKey"
     WHERE c."status" = 'succeeded' AND c."refundedAt" IS NULL GROUP BY p."orderId" HAVING COUNT(DISTINCT c."chargeId") > 1`,
  );
  return [
    ...perKey.map((r) => `gateway key ${r.key} was charged ${n(r.count)} times`),
    ...perOrder.map((r) => `order ${r.orderId} holds ${n(r.count)} charges`),
  ];
};

/** Every charge is a COMPLETED payment of a PAID-or-later order with equal amounts, or refunded with its payment REFUNDED. */
export const everyChargeAccounted: Check = async () => {
  const charges = await rows<{ chargeId: string; amountCents: unknown; refundedAt: unknown; paymentStatus: string | null; paymentAmount: unknown; orderStatus: string | null; orderTotal: unknown }>(
    `SELECT c."chargeId" AS "chargeId", c."amountCents" AS "amountCents", c."refundedAt" AS "refundedAt",
            p."status" AS "paymentStatus", p."amountCents" AS "paymentAmount", o."status" AS "orderStatus", o."totalCents" AS "orderTotal"
     FROM "SimulatedGatewayCharge" c LEFT JOIN "Payment" p ON p."gatewayChargeId" = c."chargeId" LEFT JOIN "Order" o ON o."id" = p."orderId"
     WHERE c."status" = 'succeeded'`,
  );
  const violations: string[] = [];
  for (const c of charges) {
    const amount = n(c.amountCents);
    if (c.refundedAt !== null) {
      if (c.paymentStatus !== "REFUNDED") violations.push(`charge ${c.chargeId} was refunded but its payment is ${c.paymentStatus ?? "missing"}`);
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
