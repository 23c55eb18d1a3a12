import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, type TestServer } from "./helpers/server.js";
import { createProduct } from "./helpers/factories.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("GET /api/products", () => {
  it("lists products newest first with decimal prices and their cent twins", async () => {
    const res = await server.request("/api/products");
    expect(res.status).toBe(200);
    const products = await res.json();
    expect(products).toHaveLength(8);
    expect(products[0].name).toBe("Phone Stand");
    const headphones = products.find((p: any) => p.name === "Wireless Headphones");
    expect(headphones).toMatchObject({ price: 199.99, priceCents: 19999, stockQuantity: 50 });
    expect(res.headers.get("x-next-cursor")).toBeNull();
  });

  it("prints timestamps as ISO 8601 UTC, exactly the instants stored", async () => {
    const products: { id: number; createdAt: string; updatedAt: string }[] = await (await server.request("/api/products")).json();
    const stored = await db().product.findMany({ select: { id: true, createdAt: true, updatedAt: true } });
    expect(products).toHaveLength(stored.length);
    for (const p of products) {
      const row = stored.find((s) => s.id === p.id)!;
      expect(p.createdAt).toBe(row.createdAt.toISOString());
      expect(p.updatedAt).toBe(row.updatedAt.toISOString());
      expect(p.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const one = await (await server.request(`/api/products/${products[0]!.id}`)).json();
    expect(one.createdAt).toBe(products[0]!.createdAt);
  });

  it("pages with limit and the cursor from X-Next-Cursor / Link, without overlap", async () => {
    const first = await server.request("/api/products?limit=3");
    const cursor = first.headers.get("x-next-cursor");
    expect(cursor).toBeTruthy();
    expect(first.headers.get("link")).toBe(`</api/products?limit=3&cursor=${cursor}>; rel="next"`);
    const seen = (await first.json()).map((p: any) => p.id);

    let next: string | null = cursor;
    while (next) {
      const res = await server.request(`/api/products?limit=3&cursor=${next}`);
      seen.push(...(await res.json()).map((p: any) => p.id));
      next = res.headers.get("x-next-cursor");
      // The next link replaces the cursor sent and keeps the other parameters.
      if (next) expect(res.headers.get("link")).toBe(`</api/products?limit=3&cursor=${next}>; rel="next"`);
    }
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=abc", "limit"],
    ["cursor=not-a-cursor", "cursor"],
    // A well-formed cursor past the id columns' range (PostgreSQL's int4 would refuse it with a 500).
    [`cursor=${Buffer.from("id:3000000000").toString("base64url")}`, "cursor"],
  ])("rejects %s with 400 naming the field", async (query, field) => {
    const res = await server.request(`/api/products?${query}`);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.code).toBe("VALIDATION_FAILED");
    expect(body.details.fields.map((f: any) => f.field)).toContain(field);
    expect(body.requestId).toBeTruthy();
  });
});

describe("GET /api/products/:productId", () => {
  it("returns one product", async () => {
    const product = await createProduct({ name: "Cable", priceCents: 999, sku: "CABLE-1" });
    const res = await server.request(`/api/products/${product.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: product.id, name: "Cable", price: 9.99, priceCents: 999, sku: "CABLE-1" });
  });

  it("answers 404 NOT_FOUND for an unknown id and 400 for a malformed one", async () => {
    const missing = await server.request("/api/products/999999");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "NOT_FOUND", error: "Product 999999 not found" });

    const malformed = await server.request("/api/products/abc");
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).details.fields[0].field).toBe("productId");
  });
});

describe("POST /api/products", () => {
  it("creates a product from the storefront's body, parsing the decimal price exactly", async () => {
    const res = await server.request("/api/products", {
      method: "POST",
      json: { name: "Monitor Arm", description: "Gas spring", price: 89.9, stockQuantity: 12, sku: "ARM-1" },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ name: "Monitor Arm", price: 89.9, priceCents: 8990, stockQuantity: 12, sku: "ARM-1" });
    expect(res.headers.get("location")).toBe(`/api/products/${body.id}`);
    const stored = await db().product.findUniqueOrThrow({ where: { id: body.id } });
    expect(stored.priceCents).toBe(8990);
  });

  it("accepts the price as a decimal string", async () => {
    const res = await server.request("/api/products", {
      method: "POST",
      json: { name: "Strap", price: "19.99", stockQuantity: 1 },
    });
    expect(res.status).toBe(201);
    expect((await res.json()).priceCents).toBe(1999);
  });

  const invalidBodies: [string, unknown, string][] = [
    ["missing name", { price: 1, stockQuantity: 1 }, "name"],
    ["blank name", { name: "   ", price: 1, stockQuantity: 1 }, "name"],
    ["three decimals", { name: "X", price: 10.999, stockQuantity: 1 }, "price"],
    ["exponent string", { name: "X", price: "1e3", stockQuantity: 1 }, "price"],
    ["negative price", { name: "X", price: -1, stockQuantity: 1 }, "price"],
    ["huge price", { name: "X", price: 1e12, stockQuantity: 1 }, "price"],
    ["price as boolean", { name: "X", price: true, stockQuantity: 1 }, "price"],
    ["fractional stock", { name: "X", price: 1, stockQuantity: 1.5 }, "stockQuantity"],
    ["negative stock", { name: "X", price: 1, stockQuantity: -3 }, "stockQuantity"],
    ["stock as string", { name: "X", price: 1, stockQuantity: "5" }, "stockQuantity"],
    ["unknown field", { name: "X", price: 1, stockQuantity: 1, color: "red" }, ""],
    ["bad sku", { name: "X", price: 1, stockQuantity: 1, sku: "has spaces" }, "sku"],
  ];

  it.each(invalidBodies)("rejects %s with 400 and writes nothing", async (_label, json, field) => {
    const before = await db().product.count();
    const res = await server.request("/api/products", { method: "POST", json });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.code).toBe("VALIDATION_FAILED");
    expect(body.details.fields.map((f: any) => f.field)).toContain(field);
    expect(await db().product.count()).toBe(before);
  });

  it("answers 409 DUPLICATE for a sku that exists", async () => {
    await createProduct({ sku: "DUP-1" });
    const res = await server.request("/api/products", {
      method: "POST",
      json: { name: "Again", price: 1, stockQuantity: 1, sku: "DUP-1" },
    });
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe("DUPLICATE");
  });

  it("answers 400 for malformed JSON and 415 for a body that is not JSON", async () => {
    const malformed = await server.request("/api/products", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name": "X",',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "VALIDATION_FAILED" });

    const form = await server.request("/api/products", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=X&price=1",
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
  });

  it("answers 413 for a body over the JSON limit", async () => {
    const res = await server.request("/api/products", {
      method: "POST",
      json: { name: "X", description: "y".repeat(server.config.JSON_BODY_LIMIT_BYTES + 10), price: 1, stockQuantity: 1 },
    });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe("PAYLOAD_TOO_LARGE");
  });
});
