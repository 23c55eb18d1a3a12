import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { createProduct, createUser } from "./helpers/factories.js";
import { ConfigError, loadConfig } from "../src/config.js";

/**
 * The public catalogue's response caches, each door's (lib/catalog-cache.ts): what they
 * serve is never another caller's, and never older than a write that was
 * acknowledged before the read. Hits are told apart by the request's summary
 * line: a hit runs no SQL statement.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ RESPONSE_CACHE_INSERTS_PER_MIN: 30 }, { captureLogs: true });
});
afterAll(() => server.stop());

const CATALOGUE = "query Catalogue { products(first: 5) { edges { node { id name stockQuantity priceCents } } } }";

async function ask(query: string, as: string | undefined, variables?: Record<string, unknown>) {
  const requestId = randomUUID();
  const res = await server.request("/graphql", { method: "POST", as, headers: { "x-request-id": requestId }, json: { query, variables } });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  await new Promise((resolve) => setImmediate(resolve));
  const line = server.logs.find((l) => l.requestId === requestId && l.msg === "request completed");
  return { body, statements: line?.dbQueries as number };
}

/**
 * Asks until an answer comes from the cache (no statement), at most three times: any write
 * committed meanwhile, the background workers' included (on PostgreSQL they take
 * transaction ids), rightly starts a new cache. Every answer must be the same.
 */
async function servedFromCache(query: string, as: string | undefined) {
  let answer = await ask(query, as);
  for (let i = 0; i < 2 && answer.statements > 0; i++) answer = await ask(query, as);
  return answer;
}

describe("the public catalogue's response cache", () => {
  it("answers a repeated catalogue query from memory, for anyone, with the same answer", async () => {
    const customer = await server.tokenFor((await createUser()).id);
    await ask("query Me { me { sub } }", customer); // the edge looks a new customer's token up once
    const first = await ask(CATALOGUE, "anonymous");
    expect(first.body.errors).toBeUndefined();
    expect(first.statements).toBeGreaterThan(0);
    // The catalogue is the same whoever asks: anonymous, a customer and an admin are served the same entry.
    for (const as of ["anonymous", customer, undefined]) {
      const served = await servedFromCache(CATALOGUE, as);
      expect(served.body).toEqual(first.body);
      expect(served.statements).toBe(0);
    }
  });

  it("never serves a query about the caller from the cache: two customers and an admin each get their own", async () => {
    const alice = await createUser({ email: `alice-${randomUUID()}@example.com` });
    const bob = await createUser({ email: `bob-${randomUUID()}@example.com` });
    const mixed = "query Mixed { products(first: 1) { edges { node { id } } } me { sub } }";
    const tokens = [await server.tokenFor(alice.id), await server.tokenFor(bob.id)];
    for (let round = 0; round < 2; round++) {
      const [forAlice, forBob, forAdmin] = await Promise.all([ask(mixed, tokens[0]), ask(mixed, tokens[1]), ask(mixed, undefined)]);
      expect(forAlice.body.data.me.sub).toBe(String(alice.id));
      expect(forBob.body.data.me.sub).toBe(String(bob.id));
      expect(forAdmin.body.data.me.sub).toBe("test-admin");
    }
    // A user's own record, asked twice by its owner: read from the database both times.
    const own = "query Own($id: ID!) { products(first: 1) { edges { node { id } } } user(id: $id) { email } }";
    for (let i = 0; i < 2; i++) {
      const answer = await ask(own, tokens[0], { id: String(alice.id) });
      expect(answer.body.data.user.email).toBe(alice.email);
      expect(answer.statements).toBeGreaterThan(0);
    }
    expect((await ask(own, tokens[1], { id: String(alice.id) })).body.data?.user ?? null).toBeNull();
  });

  it("shows a write acknowledged before the read: a product created, stock taken by a checkout, a write behind the app's back", async () => {
    await ask(CATALOGUE, "anonymous");
    const created = await server.gql<{ createProduct: { product: { id: string } } }>(
      "mutation Create($input: CreateProductInput!) { createProduct(input: $input) { product { id } } }",
      { input: { name: "Cached-then-new lamp", priceCents: 1250, stockQuantity: 5 } },
    );
    const productId = created.data!.createProduct.product.id;
    const afterCreate = await ask(CATALOGUE, "anonymous");
    const node = afterCreate.body.data.products.edges.map((e: any) => e.node).find((n: any) => n.id === productId);
    expect(node).toMatchObject({ name: "Cached-then-new lamp", stockQuantity: 5 });

    await ask(CATALOGUE, "anonymous");
    const checkout = await server.request("/api/checkout", {
      method: "POST",
      headers: { "idempotency-key": randomUUID() },
      json: { userId: 1, items: [{ productId: Number(productId), quantity: 2 }], paymentMethod: "credit_card", cardLast4: "4242" },
    });
    expect(checkout.status).toBe(201);
    const afterCheckout = await ask(CATALOGUE, "anonymous");
    expect(afterCheckout.body.data.products.edges.find((e: any) => e.node.id === productId).node.stockQuantity).toBe(3);

    const cached = await ask("query One($id: ID!) { product(id: $id) { name } }", "anonymous", { id: productId });
    expect(cached.body.data.product.name).toBe("Cached-then-new lamp");
    await createProduct({ name: "Written by the ORM" });
    const afterOrm = await ask(CATALOGUE, "anonymous");
    expect(afterOrm.body.data.products.edges[0].node.name).toBe("Written by the ORM");
  });

  it("keeps nothing with errors, and no query that is not only the catalogue", async () => {
    const invalid = "query Bad { product(id: \"-1\") { name } }";
    for (let i = 0; i < 2; i++) expect((await ask(invalid, "anonymous")).body.errors).toBeDefined();
    const withUsers = "query People { products(first: 1) { edges { node { id } } } users(first: 1) { edges { node { id } } } }";
    const first = await ask(withUsers, undefined);
    expect(first.body.errors).toBeUndefined();
    const second = await ask(withUsers, undefined);
    expect(second.statements).toBeGreaterThan(0);
    expect(second.body).toEqual(first.body);
  });

  it("keeps at most a client's share of new answers a minute: past it, answers are served but not kept", async () => {
    const page = (n: number) => `query Page${n} { products(first: ${n}) { edges { node { id } } } }`;
    // This file's earlier tests stored some; 40 distinct pages from the same address go past the 30 a minute.
    for (let n = 1; n <= 40; n++) expect((await ask(page(n), "anonymous")).body.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const last = await ask(page(40), "anonymous");
    expect(last.statements).toBeGreaterThan(0);
    expect(last.body.data.products.edges.length).toBeGreaterThan(0);
  });
});

describe("the REST door's catalogue cache", () => {
  async function get(path: string, as: string | undefined, headers: Record<string, string> = {}) {
    const requestId = randomUUID();
    const res = await server.request(path, { as, headers: { "x-request-id": requestId, "accept-encoding": "identity", ...headers } });
    const body = await res.text();
    await new Promise((resolve) => setImmediate(resolve));
    const line = server.logs.find((l) => l.requestId === requestId && l.msg === "request completed");
    return { res, body, statements: line?.dbQueries as number };
  }
  /** As `servedFromCache`: at most three asks, a background write meanwhile rightly starts a new cache. */
  async function fromCache(path: string, as: string | undefined, headers: Record<string, string> = {}) {
    let answer = await get(path, as, headers);
    for (let i = 0; i < 2 && answer.statements > 0; i++) answer = await get(path, as, headers);
    return answer;
  }

  it("serves a repeated page from memory to anyone, the same bytes and validator, with each caller's own Cache-Control", async () => {
    const customer = await server.tokenFor((await createUser()).id);
    await get("/api/products?limit=2", customer); // the edge looks a new customer's token up once
    const first = await get("/api/products?limit=3", "anonymous");
    expect(first.res.status).toBe(200);
    const etag = first.res.headers.get("etag")!;
    const link = first.res.headers.get("link");
    for (const [as, policy] of [["anonymous", "public"], [customer, "private, no-store"], [undefined, "private, no-store"]] as const) {
      const served = await fromCache("/api/products?limit=3", as);
      expect(served.statements).toBe(0);
      expect(served.body).toBe(first.body);
      expect(served.res.headers.get("etag")).toBe(etag);
      expect(served.res.headers.get("link")).toBe(link);
      expect(served.res.headers.get("cache-control")).toContain(policy);
    }
    const revalidated = await fromCache("/api/products?limit=3", "anonymous", { "if-none-match": etag, "cache-control": "max-age=0" });
    expect(revalidated.res.status).toBe(304);
    expect(revalidated.statements).toBe(0);
  });

  it("shows a write acknowledged before the read: a product created over REST, stock taken by a checkout", async () => {
    await fromCache("/api/products?limit=3", "anonymous");
    const created = await server.request("/api/products", { method: "POST", json: { name: "REST-cached lamp", price: 12.5, stockQuantity: 4 } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const listed = JSON.parse((await get("/api/products?limit=3", "anonymous")).body) as { id: number; stockQuantity: number }[];
    expect(listed[0]).toMatchObject({ id, stockQuantity: 4 });
    await fromCache(`/api/products/${id}`, "anonymous");
    const checkout = await server.request("/api/checkout", {
      method: "POST",
      headers: { "idempotency-key": randomUUID() },
      json: { userId: 1, items: [{ productId: id, quantity: 3 }], paymentMethod: "credit_card", cardLast4: "4242" },
    });
    expect(checkout.status).toBe(201);
    expect(JSON.parse((await get(`/api/products/${id}`, "anonymous")).body)).toMatchObject({ id, stockQuantity: 1 });
  });

  it("keeps no error: a missing product is looked up every time", async () => {
    for (let i = 0; i < 2; i++) {
      const missing = await get("/api/products/999999", "anonymous");
      expect(missing.res.status).toBe(404);
      expect(missing.res.headers.get("cache-control")).toBe("no-store");
      expect(missing.statements).toBeGreaterThan(0);
    }
  });
});

describe("the response caches' settings", () => {
  it("refuses to start under the old GraphQL-only names, which would otherwise be ignored", () => {
    expect(() => loadConfig({ GRAPHQL_RESPONSE_CACHE_MAX_BYTES: "0" })).toThrow(ConfigError);
    expect(() => loadConfig({ GRAPHQL_RESPONSE_CACHE_MAX_BYTES: "0" })).toThrow(/GRAPHQL_RESPONSE_CACHE_MAX_BYTES is now RESPONSE_CACHE_MAX_BYTES/);
    expect(loadConfig({ RESPONSE_CACHE_MAX_BYTES: "0" }).RESPONSE_CACHE_MAX_BYTES).toBe(0);
  });
});
