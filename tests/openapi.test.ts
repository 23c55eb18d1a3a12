import { readFileSync } from "node:fs";
import { get } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPENAPI_FILE, printedOpenApi } from "../src/cli/print-openapi.js";
import { loadConfig } from "../src/config.js";
import { developmentToken } from "../src/graphql/graphiql.js";
import type { Authenticator } from "../src/auth/index.js";
import { createUser } from "./helpers/factories.js";
import { OpenApiContract } from "./helpers/openapi-contract.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  headers: new Headers({ "content-type": "application/json; charset=utf-8", "x-request-id": "req-1", ...headers }),
  body: JSON.stringify(body),
});
/** A public read's answer carries its validator and caching policy (edge/http-cache.ts). */
const cachedJson = (body: unknown) => json(body, { etag: '"abc"', "cache-control": "public, max-age=5, stale-while-revalidate=30" });

describe("the OpenAPI document", () => {
  it("is served at /openapi.json, to anyone, and the committed openapi.json is the same document (run `npm run openapi:print`)", async () => {
    const res = await server.request("/openapi.json", { as: "anonymous" });
    expect(res.status).toBe(200);
    const served = await res.json();
    expect(served.openapi).toBe("3.1.0");
    expect(readFileSync(OPENAPI_FILE, "utf8")).toBe(printedOpenApi());
    expect(served).toEqual(JSON.parse(printedOpenApi()));
  });

  it("has exactly the routes the server mounts under /api", async () => {
    const mounted: string[] = (await (await server.request("/")).json()).endpoints.filter((e: string) => e.includes(" /api/"));
    const documented = Object.entries(JSON.parse(printedOpenApi()).paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    expect(documented.sort()).toEqual(mounted.sort());
  });

  it("takes its request schemas from the routes' validators: the configured limits show in it", () => {
    const doc = OpenApiContract.for(loadConfig({}, { MAX_PAGE_SIZE: 37, MAX_CHECKOUT_ITEMS: 3 })).doc as any;
    const limit = doc.paths["/api/products"].get.parameters.find((p: any) => p.name === "limit");
    expect(limit.schema.maximum).toBe(37);
    expect(doc.paths["/api/checkout"].post.requestBody.content["application/json"].schema.properties.items.maxItems).toBe(3);
    const product = doc.paths["/api/products"].post.requestBody.content["application/json"].schema;
    expect(product.required).toEqual(expect.arrayContaining(["name", "price", "stockQuantity"]));
    expect(product.properties).not.toHaveProperty("priceCents");
  });
});

describe("the contract check every REST answer of the suite passes", () => {
  const contract = OpenApiContract.for(loadConfig({}));
  const product = { id: 1, sku: null, name: "Mug", description: null, price: 12.5, priceCents: 1250, stockQuantity: 3, createdAt: "2026-11-30T10:00:00.000Z", updatedAt: "2026-11-30T10:00:00+00:00" };
  const url = (path: string) => `http://127.0.0.1:1${path}`;

  it("accepts a conforming answer", () => {
    expect(contract.check({ method: "GET", url: url("/api/products/1"), status: 200, ...cachedJson(product) })).toEqual([]);
    expect(contract.check({ method: "GET", url: url("/api/products?limit=1"), status: 200, ...cachedJson([product]) })).toEqual([]);
  });

  it("catches a body that departs from its schema: a missing field, money as text, an extra field", () => {
    const { priceCents: _, ...withoutCents } = product;
    expect(contract.check({ method: "GET", url: url("/api/products/1"), status: 200, ...cachedJson(withoutCents) })).toEqual([expect.stringContaining("priceCents")]);
    expect(contract.check({ method: "GET", url: url("/api/products/1"), status: 200, ...cachedJson({ ...product, price: "12.50" }) })).toEqual([expect.stringContaining("/price must be number")]);
    expect(contract.check({ method: "GET", url: url("/api/products/1"), status: 200, ...cachedJson({ ...product, cost: 1 }) })).toEqual([expect.stringContaining("additional properties")]);
  });

  it("catches an undocumented status, a missing Location or Retry-After, an unknown error code and a 2xx on a route the document lacks", () => {
    expect(contract.check({ method: "GET", url: url("/api/products/1"), status: 202, ...json(product) })).toEqual([expect.stringContaining("status not documented")]);
    const created = { method: "POST", url: url("/api/products"), status: 201, ...json(product) };
    expect(contract.check(created)).toEqual([expect.stringContaining("required header Location missing")]);
    created.headers.set("location", "/api/products/1");
    expect(contract.check(created)).toEqual([]);
    const limited = { method: "POST", url: url("/api/checkout"), status: 429, ...json({ error: "Slow down", code: "RATE_LIMITED", requestId: "req-1" }) };
    expect(contract.check(limited)).toEqual([expect.stringContaining("required header Retry-After missing")]);
    const unknownCode = { method: "GET", url: url("/api/orders/1"), status: 404, ...json({ error: "Gone", code: "GONE", requestId: "req-1" }) };
    expect(contract.check(unknownCode)).toEqual([expect.stringContaining("/code must be equal to one of the allowed values")]);
    expect(contract.check({ method: "GET", url: url("/api/refunds"), status: 200, ...json([]) })).toEqual([expect.stringContaining("not in the OpenAPI document")]);
  });
});

describe("the interactive reference at /docs", () => {
  it("works offline: the page loads Swagger UI from this server only, sent compressed", async () => {
    const page = await server.request("/docs", { as: "anonymous" });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
    const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(["/docs/swagger-ui-bundle.js", "/docs/init.js"]);
    const bundle = await onTheWire("/docs/swagger-ui-bundle.js", { "accept-encoding": "br, gzip" });
    expect(bundle).toMatchObject({ status: 200, encoding: "br" });
    expect(bundle.bytes).toBeLessThan(600_000); // 1.7 MB uncompressed
    expect((await server.request("/docs/init.js", { as: "anonymous" })).status).toBe(200);
    const other = await server.request("/docs/package.json", { as: "anonymous" });
    expect(other.status).toBe(404);
    expect((await other.json()).code).toBe("NOT_FOUND");
  });

  it("is signed in as the demo customer in development, with a token the API takes", async () => {
    const alice = (await db().user.findUnique({ where: { email: "alice@example.com" } })) ?? (await createUser({ email: "alice@example.com" }));
    const page = await (await server.request("/docs", { as: "anonymous" })).text();
    const token = /<script type="application\/json" id="docs-options">\{"token":"(ey[\w-]+\.[\w-]+\.[\w-]+)"\}<\/script>/.exec(page)?.[1];
    expect(token).toBeDefined();
    // The script any site may load holds no token.
    expect(await (await server.request("/docs/init.js", { as: "anonymous" })).text()).not.toMatch(/ey[\w-]+\.[\w-]+\./);
    expect((await server.request(`/api/orders/user/${alice.id}`, { as: token })).status).toBe(200);
    for (const overrides of [{ NODE_ENV: "production" as const }, { NODE_ENV: "test" as const }]) {
      const config = loadConfig({}, { ...server.config, ...overrides });
      expect(developmentToken(config, { signingSecret: config.AUTH_JWT_SECRET } as Authenticator)).toBeUndefined();
    }
  });
});

function onTheWire(path: string, headers: Record<string, string>): Promise<{ status: number; bytes: number; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(`${server.url}${path}`, { headers }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () => resolve({ status: res.statusCode!, bytes, encoding: res.headers["content-encoding"] }));
    }).on("error", reject);
  });
}
