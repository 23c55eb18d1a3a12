import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { createProduct } from "./helpers/factories.js";

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
