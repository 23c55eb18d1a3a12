import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlTransaction } from "../src/db/index.js";
import { db, startTestServer, usingPostgres, type TestServer } from "./helpers/server.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";
import { measureReads } from "./helpers/load.js";

/**
 * The incident, as a test: payments wait on a 2 s fraud service while other
 * requests run. With network calls outside transactions the reads stay fast;
 * the pre-incident shape (fraud call inside the transaction) is re-created by
 * a test double below, and the same measurement catches it.
 */
const FRAUD_LATENCY_MS = 2000;
/**
 * What separates the two shapes: reads that wait behind a held transaction
 * take the transaction wait limit (1 s) or the fraud check's 2 s; reads beside
 * isolated payments take milliseconds (about 20 ms at p99 on a quiet 2-core
 * machine). Half a second sits far from both, so a busy machine cannot blur it.
 */
const STALL_MS = 500;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    FRAUD_CHECK_LATENCY_MS: FRAUD_LATENCY_MS,
    FRAUD_CHECK_JITTER_MS: 0,
    FRAUD_CHECK_SLOW_RATE: 0,
    FRAUD_CHECK_TIMEOUT_MS: 5000,
    // PostgreSQL: a small pool, so the old shape's held connections exhaust it.
    DB_POOL_SIZE: 3,
  });
});
afterAll(() => server.stop());

const reads = () => [
  () => server.request("/health"),
  () => server.request("/api/products?limit=20"),
  () => server.request("/graphql", { method: "POST", json: { query: "query Products { products(first: 20) { edges { node { id name priceCents } } } }" } }),
];

async function pendingOrders(n: number) {
  const user = await createUser();
  const product = await createProduct({ priceCents: 1000, stockQuantity: 1000 });
  return Promise.all(Array.from({ length: n }, () => createOrder(user.id, [{ productId: product.id, quantity: 1, unitPriceCents: 1000 }])));
}

/** The old shape: the fraud call awaited while the payment's transaction holds the database. */
function legacyPayment(orderId: number) {
  return sqlTransaction(async (sql) => {
    await sql.get(`SELECT "id" FROM "Order" WHERE "id" = ?`, [orderId]);
    await sleep(FRAUD_LATENCY_MS); // the fraud check, inside the transaction
    await sql.run(`UPDATE "Order" SET "status" = 'PAID', "paidAt" = ? WHERE "id" = ?`, [new Date(), orderId]);
  });
}

describe("a slow fraud service only slows payments", () => {
  it("keeps read p99 far below a stall while 30 payments wait on a 2 s fraud check", async () => {
    const orders = await pendingOrders(30);
    const payments = Promise.all(
      orders.map((o) =>
        server.request("/api/payments/process", {
          method: "POST",
          json: { orderId: o.id, paymentMethod: "credit_card", cardLast4: "4242" },
          headers: { "Idempotency-Key": randomUUID() },
        }),
      ),
    );
    const stats = await measureReads(reads(), payments);
    const responses = await payments;
    console.log(`reads during 30 payments: n=${stats.count} p50=${stats.p50.toFixed(1)}ms p99=${stats.p99.toFixed(1)}ms`);
    expect(responses.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(stats.count).toBeGreaterThan(50);
    expect(stats.statuses.every((s) => s === 200)).toBe(true);
    expect(stats.p99).toBeLessThan(STALL_MS);
    expect(await db().order.count({ where: { id: { in: orders.map((o) => o.id) }, status: "PAID" } })).toBe(30);
  });

  it("the same measurement catches the old shape: reads stall behind the held transaction", async () => {
    // SQLite has one writer: two held transactions stall everything. PostgreSQL reads
    // past a held transaction (MVCC), so the old shape shows as pool exhaustion instead.
    const orders = await pendingOrders(usingPostgres ? 6 : 2);
    // The second one may fail to even start (P2028) once the wait limit passes: that is the point.
    const legacy = Promise.allSettled(orders.map((o) => legacyPayment(o.id)));
    const stats = await measureReads(reads(), legacy);
    console.log(`reads during ${orders.length} legacy payments: n=${stats.count} p50=${stats.p50.toFixed(1)}ms p99=${stats.p99.toFixed(1)}ms`);
    expect(stats.p99).toBeGreaterThan(STALL_MS);
    // Fail fast: queued requests give up with 503 after DB_TRANSACTION_MAX_WAIT_MS instead of hanging.
    expect(stats.statuses).toContain(503);
  });
});
