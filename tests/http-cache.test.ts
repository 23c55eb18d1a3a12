import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { createHash } from "node:crypto";
import { createProduct, createUser } from "./helpers/factories.js";

/** HTTP caching of the public catalogue (edge/http-cache.ts): ETags, 304, and who may keep an answer. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CATALOG_CACHE_MAX_AGE_S: 5, CATALOG_CACHE_SWR_S: 30 });
});
afterAll(() => server.stop());

/**
 * An anonymous GET. A revalidation also says `Cache-Control: max-age=0`, as a browser's
 * does: fetch would otherwise add `no-cache`, which asks the origin for the whole answer.
 */
const anonymous = (path: string, headers: Record<string, string> = {}) =>
  server.request(path, {
    as: "anonymous",
    headers: { "accept-encoding": "identity", ...(headers["if-none-match"] && { "cache-control": "max-age=0" }), ...headers },
  });

describe("the public catalogue over HTTP", () => {
  it("answers an anonymous read with a strong ETag a shared cache may keep briefly, and 304 when it still matches", async () => {
    const first = await anonymous("/api/products?limit=5");
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers.get("cache-control")).toBe("public, max-age=5, stale-while-revalidate=30");
    expect(first.headers.get("vary")).toMatch(/Authorization.*Accept-Encoding/);
    const body = await first.text();

    const again = await anonymous("/api/products?limit=5", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("cache-control")).toContain("public");

    const other = await anonymous("/api/products?limit=5", { "if-none-match": '"somethingelse"' });
    expect(other.status).toBe(200);
    expect(await other.text()).toBe(body);
  });

  it("changes the ETag once the catalogue changes: the old one gets the new page, not a 304", async () => {
    const before = await anonymous("/api/products?limit=5");
    const etag = before.headers.get("etag")!;
    await createProduct({ name: "Freshly listed lamp" });
    const after = await anonymous("/api/products?limit=5", { "if-none-match": etag });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(etag);
    expect(JSON.stringify(await after.json())).toContain("Freshly listed lamp");
  });

  it("marks a signed-in caller's answer private and never stored", async () => {
    const token = await server.tokenFor(1);
    const res = await server.request("/api/products?limit=5", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("vary")).toMatch(/Authorization/);
  });

  it("gives a compressed answer a weak ETag (other bytes per encoding), still answered 304", async () => {
    const res = await anonymous("/api/products?limit=50", { "accept-encoding": "gzip" });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"[\w-]{27}"$/);
    expect((await anonymous("/api/products?limit=50", { "accept-encoding": "gzip", "if-none-match": etag })).status).toBe(304);
  });

  it("caches one product the same way, and never an error", async () => {
    const product = await createProduct();
    const res = await anonymous(`/api/products/${product.id}`);
    expect(res.headers.get("cache-control")).toContain("public");
    expect((await anonymous(`/api/products/${product.id}`, { "if-none-match": res.headers.get("etag")! })).status).toBe(304);
    for (const path of ["/api/products/999999", "/api/products/abc", "/api/products?limit=0"]) {
      const refused = await anonymous(path);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.headers.get("cache-control")).toBe("no-store");
    }
  });
});

describe("the public catalogue over GraphQL GET (persisted queries)", () => {
  const query = "query CatalogueByGet { products(first: 3) { edges { node { id name priceCents } } } }";
  const persisted = { persistedQuery: { version: 1, sha256Hash: createHash("sha256").update(query).digest("hex") } };
  const byGet = `/graphql?operationName=CatalogueByGet&extensions=${encodeURIComponent(JSON.stringify(persisted))}`;

  it("answers a persisted catalogue query with an ETag, 304 while it matches, and a new ETag after a write", async () => {
    const registered = await server.request("/graphql", { method: "POST", as: "anonymous", json: { query, extensions: persisted } });
    expect(registered.status).toBe(200);
    expect(registered.headers.get("etag")).toBeNull(); // a POST is never an HTTP-cacheable answer
    const first = await anonymous(byGet, { accept: "application/json" });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers.get("cache-control")).toBe("public, max-age=5, stale-while-revalidate=30");
    expect(first.headers.get("vary")).toMatch(/Accept\b.*Authorization.*Accept-Encoding/);
    expect((await first.json()).data.products.edges.length).toBeGreaterThan(0);

    const again = await anonymous(byGet, { accept: "application/json", "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");

    await createProduct({ name: "Lamp listed after the GET" });
    const after = await anonymous(byGet, { accept: "application/json", "if-none-match": etag });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(etag);
    expect(JSON.stringify(await after.json())).toContain("Lamp listed after the GET");
  });

  it("never lets a shared cache keep the same URL answered as an event stream, and tells JSON formats apart", async () => {
    const stream = await anonymous(byGet, { accept: "text/event-stream" });
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    expect(await stream.text()).toContain("products");
    expect(stream.headers.get("cache-control")).toBe("private, no-store");
    expect(stream.headers.get("etag")).toBeNull();
    const json = await anonymous(byGet, { accept: "application/json" });
    const graphqlJson = await anonymous(byGet, { accept: "application/graphql-response+json" });
    expect(graphqlJson.headers.get("cache-control")).toContain("public");
    expect(graphqlJson.headers.get("etag")).not.toBe(json.headers.get("etag"));
  });

  it("marks a signed-in caller's answer, a query about the caller and an error private and never stored", async () => {
    const token = await server.tokenFor((await createUser()).id);
    const signedIn = await server.request(`/graphql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get("cache-control")).toBe("private, no-store");
    expect(signedIn.headers.get("etag")).toMatch(/^"[\w-]{27}"$/);
    const aboutMe = await server.request(`/graphql?query=${encodeURIComponent("query Me { me { sub } }")}`, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
    expect((await aboutMe.json()).data.me.sub).toBeDefined();
    expect(aboutMe.headers.get("cache-control")).toBe("private, no-store");
    expect(aboutMe.headers.get("etag")).toBeNull();
    const failing = await anonymous(`/graphql?query=${encodeURIComponent('query Bad { product(id: "-1") { name } }')}`, { accept: "application/json" });
    expect((await failing.json()).errors).toBeDefined();
    expect(failing.headers.get("cache-control")).toBe("private, no-store");
    expect(failing.headers.get("etag")).toBeNull();
  });
});
