import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TMP_DIR, TEST_AUTH_SECRET, freshDatabase, adminHeaders } from "./helpers/server.js";
import { signToken } from "../src/auth/sign.js";
import { createClient as createSseClient } from "graphql-sse";
import { queryOne, spawnServer, type ServerProcess } from "./helpers/process.js";

/**
 * PostgreSQL only: two gateway processes on one database. What must hold
 * across processes rests on the database (unique keys, conditional updates,
 * leases), so requests split across both behave like requests to one.
 */
let database: Awaited<ReturnType<typeof freshDatabase>>;
let a: ServerProcess;
let b: ServerProcess;
const env = () => ({
  DATABASE_URL: database.url,
  UPLOAD_DIR: join(TMP_DIR, `multi-${randomUUID()}`),
  CARD_GATEWAY_LATENCY_MS: "100",
  BULK_BATCH_SIZE: "2000",
  BULK_JOB_LEASE_MS: "1000",
  BULK_WORKER_POLL_MS: "100",
  RATE_LIMIT_CHECKOUT_PER_MIN: "6",
});

beforeAll(async () => {
  database = await freshDatabase();
  a = await spawnServer(env());
  b = await spawnServer(env());
}, 60_000);
afterAll(async () => {
  await a?.kill("SIGTERM");
  await b?.kill("SIGTERM");
  await database?.drop();
});

const checkout = async (server: ServerProcess, body: unknown, key: string) =>
  fetch(`${server.url}/api/checkout`, {
    method: "POST",
    headers: await adminHeaders({ "content-type": "application/json", "idempotency-key": key }),
    body: JSON.stringify(body),
  });

async function createProduct(stockQuantity: number): Promise<number> {
  const res = await fetch(`${a.url}/api/products`, {
    method: "POST",
    headers: await adminHeaders({ "content-type": "application/json" }),
    body: JSON.stringify({ name: `Multi ${randomUUID()}`, price: "10.00", stockQuantity }),
  });
  return ((await res.json()) as { id: number }).id;
}

/** The first page of products from one instance, and how many SQL statements that instance ran for it (0: from its response cache). */
async function restPage(server: ServerProcess): Promise<{ items: { id: number; stockQuantity: number }[]; statements: number }> {
  const requestId = randomUUID();
  const items = (await (await fetch(`${server.url}/api/products?limit=3`, { headers: { "x-request-id": requestId } })).json()) as { id: number; stockQuantity: number }[];
  for (let i = 0; i < 100; i++) {
    const line = server.logs.find((l) => l.requestId === requestId && l.msg === "request completed");
    if (line) return { items, statements: Number(line.dbQueries) };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no summary line for request ${requestId}`);
}

describe("two gateway processes on one PostgreSQL database", () => {
  it("20 duplicate checkouts split across both: one order, one charge", async () => {
    const productId = await createProduct(100);
    const key = randomUUID();
    const body = { userId: 1, items: [{ productId, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" };
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => checkout(i % 2 ? a : b, body, key)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const ids = new Set((await Promise.all(responses.filter((r) => r.status === 201).map((r) => r.json()))).map((j) => j.orderId));
    expect(ids.size).toBe(1);
    const orders = await queryOne<{ n: string }>(database.url, `SELECT COUNT(*) AS n FROM "OrderItem" WHERE "productId" = ${productId}`);
    expect(Number(orders.n)).toBe(1);
    const charges = await queryOne<{ n: string }>(
      database.url,
      `SELECT COUNT(*) AS n FROM "Payment" p JOIN "OrderItem" i ON i."orderId" = p."orderId" WHERE i."productId" = ${productId}`,
    );
    expect(Number(charges.n)).toBe(1);
    expect((await checkout(a, body, key)).headers.get("idempotent-replayed")).toBe("true");
  });

  it("holds a customer's rate limit across both: 6 checkouts a minute in all, not 6 on each", async () => {
    const productId = await createProduct(100);
    // Seeded user 2 (bob) as a customer; the admin token used elsewhere here is exempt.
    const token = await signToken(TEST_AUTH_SECRET, { sub: "2" }, "5m");
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fetch(`${(i % 2 ? a : b).url}/api/checkout`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": randomUUID(), authorization: `Bearer ${token}` },
          body: JSON.stringify({ items: [{ productId, quantity: 1 }] }),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    const orders = await queryOne<{ n: string }>(database.url, `SELECT COUNT(*) AS n FROM "OrderItem" WHERE "productId" = ${productId}`);
    expect(Number(orders.n)).toBe(6);
  });

  it("a client subscribed on one instance sees an order paid through the other (LISTEN/NOTIFY)", async () => {
    const productId = await createProduct(10);
    const token = await signToken(TEST_AUTH_SECRET, { sub: "3" }, "5m");
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const placed = await fetch(`${b.url}/api/checkout`, { method: "POST", headers: { ...headers, "idempotency-key": randomUUID() }, body: JSON.stringify({ items: [{ productId, quantity: 1 }] }) });
    const { orderId } = (await placed.json()) as { orderId: number };
    const client = createSseClient({ url: `${a.url}/graphql`, headers: { authorization: `Bearer ${token}` } });
    try {
      const seen: string[] = [];
      const paid = new Promise<void>((resolve, reject) =>
        client.subscribe<{ orderStatusChanged: { status: string } }>(
          { query: `subscription { orderStatusChanged(orderId: "${orderId}") { status } }` },
          {
            next: (value) => {
              seen.push(value.data!.orderStatusChanged.status);
              if (seen.includes("PAID")) resolve();
            },
            error: reject,
            complete: () => {},
          },
        ),
      );
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
      const pay = await fetch(`${b.url}/api/payments/process`, { method: "POST", headers: { ...headers, "idempotency-key": randomUUID() }, body: JSON.stringify({ orderId, paymentMethod: "credit_card", cardLast4: "4242" }) });
      expect(pay.status).toBe(200);
      await paid;
      expect(seen).toEqual(["PENDING", "PAID"]);
    } finally {
      client.dispose();
    }
  });

  it("sells exactly 5 of 5 in stock to 20 buyers across both", async () => {
    const productId = await createProduct(5);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => checkout(i % 2 ? a : b, { userId: 1 + (i % 3), items: [{ productId, quantity: 1 }] }, randomUUID())),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(15);
    const stock = await queryOne<{ stock: number }>(database.url, `SELECT "stockQuantity" AS stock FROM "Product" WHERE "id" = ${productId}`);
    expect(Number(stock.stock)).toBe(0);
  });

  it("never answers from one instance's response caches (GraphQL and REST) a catalogue older than a write acknowledged by the other", async () => {
    const catalogue = () =>
      fetch(`${b.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "query Catalogue { products(first: 3) { edges { node { id name stockQuantity } } } }" }),
      }).then(async (r) => ((await r.json()) as { data: { products: { edges: { node: { id: string; name: string; stockQuantity: number } }[] } } }).data.products.edges.map((e) => e.node));
    for (let round = 0; round < 5; round++) {
      await catalogue();
      await catalogue(); // cached on b now
      const productId = await createProduct(10 + round); // acknowledged by a
      const seen = await catalogue();
      expect(seen[0]).toMatchObject({ id: String(productId), stockQuantity: 10 + round });
      const sold = await checkout(a, { userId: 1, items: [{ productId, quantity: 1 }] }, randomUUID());
      expect(sold.status).toBe(201);
      expect((await catalogue()).find((p) => p.id === String(productId))?.stockQuantity).toBe(9 + round);
      // The REST door's cache likewise: served from memory on b (a background write may start a new cache: asked up to 4 times), then a write through a.
      let warm = await restPage(b);
      for (let i = 0; i < 3 && warm.statements > 0; i++) warm = await restPage(b);
      expect(warm.statements).toBe(0);
      expect(warm.items[0]).toMatchObject({ id: productId, stockQuantity: 9 + round });
      expect((await checkout(a, { userId: 1, items: [{ productId, quantity: 1 }] }, randomUUID())).status).toBe(201);
      expect((await restPage(b)).items[0]).toMatchObject({ id: productId, stockQuantity: 8 + round });
    }
  });

  it("finishes a bulk job whose instance is killed mid-run on the other, with no duplicate rows", async () => {
    const rows = 120_000;
    const csv = `name,description,price,stockQuantity\n${Array.from({ length: rows }, (_, i) => `Multi item ${i + 1},,1.00,1`).join("\n")}\n`;
    const upload = await fetch(`${a.url}/api/products/bulk-upload`, { method: "POST", headers: await adminHeaders({ "content-type": "text/csv" }), body: csv });
    expect(upload.status).toBe(202);
    const { id } = (await upload.json()) as { id: number };
    for (let i = 0; i < 400; i++) {
      const job = await queryOne<{ workerId: string | null; processedRows: number }>(
        database.url,
        `SELECT "workerId", "processedRows" FROM "BulkUploadJob" WHERE "id" = ${id}`,
      );
      if (job.processedRows > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // Kill whichever instance holds the job.
    const holder = await queryOne<{ workerId: string }>(database.url, `SELECT "workerId" FROM "BulkUploadJob" WHERE "id" = ${id}`);
    const victim = holder.workerId.includes(`:${a.child.pid}:`) ? a : b;
    const survivor = victim === a ? b : a;
    await victim.kill("SIGKILL");
    let job: { status: string; succeededRows: number } = { status: "", succeededRows: 0 };
    for (let i = 0; i < 600 && job.status !== "COMPLETED"; i++) {
      job = (await (await fetch(`${survivor.url}/api/products/bulk-upload/${id}`, { headers: await adminHeaders() })).json()) as typeof job;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(job).toMatchObject({ status: "COMPLETED", succeededRows: rows });
    const counts = await queryOne<{ total: string; unique_names: string }>(
      database.url,
      `SELECT COUNT(*) AS total, COUNT(DISTINCT "name") AS unique_names FROM "Product" WHERE "name" LIKE 'Multi item %'`,
    );
    expect(Number(counts.total)).toBe(rows);
    expect(Number(counts.unique_names)).toBe(rows);
    if (victim === a) a = await spawnServer(env());
    else b = await spawnServer(env());
  }, 90_000);
});
