import { randomUUID } from "node:crypto";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engine } from "../src/db/index.js";
import { notices } from "../src/services/events/index.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";
import { db, startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";

/** Live progress with the clients people use: graphql-sse (Server-Sent Events) and graphql-ws (WebSocket, over Node's built-in client). */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ UPLOAD_DIR: `${TMP_DIR}/uploads-${randomUUID()}`, BULK_BATCH_SIZE: 2_000, BULK_WORKER_POLL_MS: 50, CARD_GATEWAY_LATENCY_MS: 1, SHIPPING_LATENCY_MS: 1 });
});
afterAll(() => server.stop());

const bearer = async (userId?: number) => `Bearer ${await server.tokenFor(userId)}`;

/** Every result of a subscription until it completes (or fails). */
function collect<T>(subscribe: (sink: { next: (value: { data?: unknown; errors?: unknown }) => void; error: (error: unknown) => void; complete: () => void }) => () => void): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }[]> {
  return new Promise((resolve, reject) => {
    const results: { data?: T; errors?: never }[] = [];
    subscribe({ next: (value) => results.push(value as never), error: (error) => (Array.isArray(error) ? resolve(error.map((e) => ({ errors: [e] })) as never) : reject(error)), complete: () => resolve(results) });
  });
}

describe("subscriptions", () => {
  it("graphql-sse receives a running import's progress to its end", async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => `SSE-${i},Item ${i},${(i % 90) + 1}.00,5`).join("\n");
    const upload = await server.request("/api/products/bulk-upload", { method: "POST", headers: { "content-type": "text/csv" }, body: `sku,name,price,stockQuantity\n${rows}\n` });
    const { id } = await upload.json();
    const client = createSseClient({ url: `${server.url}/graphql`, headers: { authorization: await bearer() } });
    try {
      const results = await collect<{ bulkUploadJobProgress: { status: string; processedRows: number; succeededRows: number; progress: number } }>((sink) =>
        client.subscribe({ query: `subscription P($id: ID!) { bulkUploadJobProgress(id: $id) { status processedRows succeededRows progress } }`, variables: { id: String(id) } }, sink),
      );
      const states = results.map((r) => r.data!.bulkUploadJobProgress);
      expect(states.length).toBeGreaterThanOrEqual(2);
      expect(states.at(-1)).toEqual({ status: "COMPLETED", processedRows: 60_000, succeededRows: 60_000, progress: 1 });
      const processed = states.map((s) => s.processedRows);
      expect(processed).toEqual([...processed].sort((a, b) => a - b));
    } finally {
      client.dispose();
    }
  });

  it("graphql-ws follows an order from PENDING through payment and fulfilment to FULFILLED", async () => {
    const user = await createUser();
    const product = await createProduct({ stockQuantity: 10, priceCents: 1500 });
    const token = await server.tokenFor(user.id);
    // A pay-later checkout: the order holds its stock, so it can be fulfilled once paid.
    const placed = await server.request("/api/checkout", { method: "POST", as: token, json: { items: [{ productId: product.id, quantity: 1 }] }, headers: { "Idempotency-Key": randomUUID() } });
    const order = { id: ((await placed.json()) as { orderId: number }).orderId };
    const client = createWsClient({ url: server.url.replace("http", "ws") + "/graphql", webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` } });
    try {
      const seen: string[] = [];
      const done = collect<{ orderStatusChanged: { status: string } }>((sink) =>
        client.subscribe(
          { query: `subscription O($id: ID!) { orderStatusChanged(orderId: $id) { id status } }`, variables: { id: String(order.id) } },
          { ...sink, next: (value) => { seen.push((value.data as { orderStatusChanged: { status: string } }).orderStatusChanged.status); sink.next(value); } },
        ),
      );
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
      const paid = await server.request("/api/payments/process", { method: "POST", as: token, json: { orderId: order.id, paymentMethod: "credit_card", cardLast4: "4242" }, headers: { "Idempotency-Key": randomUUID() } });
      expect(paid.status).toBe(200);
      expect((await server.request(`/api/orders/${order.id}/fulfill`, { method: "POST" })).status).toBe(200);
      await done;
      expect(seen[0]).toBe("PENDING");
      expect(seen.at(-1)).toBe("FULFILLED");
      expect(seen).toContain("PAID");
    } finally {
      await client.dispose();
    }
  });

  it("reports a cancellation: the subscription sees CANCELLED and completes", async () => {
    const user = await createUser();
    const product = await createProduct({ stockQuantity: 10, priceCents: 1500 });
    const token = await server.tokenFor(user.id);
    const placed = await server.request("/api/checkout", { method: "POST", as: token, json: { items: [{ productId: product.id, quantity: 1 }] }, headers: { "Idempotency-Key": randomUUID() } });
    const orderId = ((await placed.json()) as { orderId: number }).orderId;
    const client = createWsClient({ url: server.url.replace("http", "ws") + "/graphql", webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` } });
    try {
      const seen: string[] = [];
      const done = collect<{ orderStatusChanged: { status: string } }>((sink) =>
        client.subscribe(
          { query: `subscription O($id: ID!) { orderStatusChanged(orderId: $id) { id status } }`, variables: { id: String(orderId) } },
          { ...sink, next: (value) => { seen.push((value.data as { orderStatusChanged: { status: string } }).orderStatusChanged.status); sink.next(value); } },
        ),
      );
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
      expect((await server.request(`/api/orders/${orderId}/cancel`, { method: "POST", as: token })).status).toBe(200);
      await done;
      expect(seen).toEqual(["PENDING", "CANCELLED"]);
    } finally {
      await client.dispose();
    }
  });

  it("reads each event anew: a product renamed between two events shows its new name", async () => {
    const user = await createUser();
    const product = await createProduct({ stockQuantity: 10, priceCents: 1500, name: "Old name" });
    const token = await server.tokenFor(user.id);
    const placed = await server.request("/api/checkout", { method: "POST", as: token, json: { items: [{ productId: product.id, quantity: 1 }] }, headers: { "Idempotency-Key": randomUUID() } });
    const orderId = ((await placed.json()) as { orderId: number }).orderId;
    const client = createWsClient({ url: server.url.replace("http", "ws") + "/graphql", webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` } });
    type Event = { orderStatusChanged: { status: string; items: { product: { name: string } }[] } };
    try {
      const seen: string[] = [];
      const done = collect<Event>((sink) =>
        client.subscribe(
          { query: `subscription O($id: ID!) { orderStatusChanged(orderId: $id) { status items { product { name } } } }`, variables: { id: String(orderId) } },
          { ...sink, next: (value) => { const { status, items } = (value.data as Event).orderStatusChanged; seen.push(`${status} ${items[0]!.product.name}`); sink.next(value); } },
        ),
      );
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
      await db().product.update({ where: { id: product.id }, data: { name: "New name" } });
      expect((await server.request(`/api/orders/${orderId}/cancel`, { method: "POST", as: token })).status).toBe(200);
      await done;
      expect(seen).toEqual(["PENDING Old name", "CANCELLED New name"]);
    } finally {
      await client.dispose();
    }
  });

  it("applies the queries' rules: another customer's order is NOT_FOUND, a customer may not watch imports", async () => {
    const owner = await createUser();
    const other = await createUser();
    const product = await createProduct();
    const order = await createOrder(owner.id, [{ productId: product.id, quantity: 1, unitPriceCents: 1000 }]);
    const client = createSseClient({ url: `${server.url}/graphql`, headers: { authorization: await bearer(other.id) } });
    try {
      const foreign = await collect((sink) => client.subscribe({ query: `subscription { orderStatusChanged(orderId: "${order.id}") { status } }` }, sink));
      expect(foreign[0]!.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      const imports = await collect((sink) => client.subscribe({ query: `subscription { bulkUploadJobProgress(id: "1") { status } }` }, sink));
      expect(imports[0]!.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    } finally {
      client.dispose();
    }
  });

  it("holds one pending notice per subscriber, however many arrive while it does not read", async () => {
    const [watched, marker] = [900_001, 900_002].map((id) => notices("order", id)[Symbol.asyncIterator]());
    try {
      // A client that stops reading while a large import reports every batch: the notices must not queue up.
      await Promise.all(Array.from({ length: 2_000 }, () => engine().publish("order:900001")));
      await engine().publish("order:900002");
      await marker!.next(); // relayed after every notice above (in commit order on PostgreSQL)
      expect(await watched!.next()).toEqual({ value: undefined, done: false });
      // The 2,000 were one notice: nothing else is due (a queued one would resolve before the next macrotask).
      const again = await Promise.race([watched!.next().then(() => "due"), new Promise((resolve) => setImmediate(() => resolve("none")))]);
      expect(again).toBe("none");
    } finally {
      await watched!.return!();
      await marker!.return!();
    }
  });
});
