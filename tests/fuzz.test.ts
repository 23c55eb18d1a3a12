import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** Random JSON at every REST endpoint and random documents at GraphQL: never a 5xx, always the error body. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 1 });
});
afterAll(() => server.stop());

const ENDPOINTS = [
  "/api/products",
  "/api/checkout",
  "/api/checkout/coupons",
  "/api/checkout/2/apply-coupon",
  "/api/payments/process",
  "/api/payments/process-simple",
  "/api/orders/1/fulfill",
];

async function expectWellFormed(res: Response) {
  expect(res.status).toBeLessThan(500);
  const body = await res.json();
  if (res.status >= 400) {
    expect(typeof body.error).toBe("string");
    expect(typeof body.code).toBe("string");
    expect(typeof body.requestId).toBe("string");
  }
}

describe("fuzzing", () => {
  it.each(ENDPOINTS)("POST %s with random JSON never answers 5xx", async (path) => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
        const res = await server.request(path, {
          method: "POST",
          json: value,
          headers: { "Idempotency-Key": randomUUID() },
        });
        await expectWellFormed(res);
      }),
      { numRuns: 60 },
    );
  });

  it("random headers at the edge (content types and encodings, percent signs in paths, operation names, origins) never answer 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/api/checkout/coupons", "/graphql", "/api/products/bulk-upload", "/api/orders/%/fulfill", "/api/products/%E0%A4"),
        fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=z", "text/csv", "application/graphql", ""),
        fc.constantFrom("identity", "gzip", "deflate", "br", "zstd2", ""),
        fc.string({ maxLength: 40 }),
        fc.constantFrom(undefined, "https://evil.example", "null"),
        async (path, type, encoding, text, origin) => {
          const headers: Record<string, string> = { "Idempotency-Key": randomUUID() };
          if (type) headers["content-type"] = type;
          if (encoding) headers["content-encoding"] = encoding;
          if (origin) headers.origin = origin;
          const body = path === "/graphql" ? JSON.stringify({ query: "{ __typename }", operationName: text }) : text;
          const res = await server.request(path, { method: "POST", headers, body });
          expect(res.status).toBeLessThan(500);
          const json = await res.json();
          if (res.status >= 400) expect(typeof (json.code ?? json.errors?.[0]?.extensions?.code)).toBe("string");
          expect(res.headers.get("access-control-allow-origin")).toBeNull();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("GET endpoints with random path segments and query strings never answer 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/api/products/", "/api/orders/", "/api/orders/user/", "/api/payments/", "/api/products/bulk-upload/", "/api/products/sample-csv/"),
        fc.string({ maxLength: 12 }),
        fc.dictionary(fc.constantFrom("limit", "cursor", "invalidFraction"), fc.string({ maxLength: 8 })),
        async (prefix, segment, query) => {
          const res = await server.request(`${prefix}${encodeURIComponent(segment)}?${new URLSearchParams(query)}`);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(typeof (await res.json()).code).toBe("string");
          else await res.arrayBuffer();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("random GraphQL documents and variables never answer 5xx", async () => {
    const token = fc.constantFrom(
      "query", "mutation", "fragment", "on", "{", "}", "(", ")", ":", "...", "$x", "!", "[", "]", "=",
      "products", "product", "users", "user", "orders", "order", "edges", "node", "id", "name", "first", "after",
      "checkout", "input", "createProduct", "priceCents", "1", "100", "-1", "\"x\"", "true", "null", "@skip", "@include(if: true)",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }), async (tokens, variables) => {
        const res = await server.request("/graphql", {
          method: "POST",
          json: { query: tokens.join(" "), variables: typeof variables === "object" && !Array.isArray(variables) ? variables : undefined },
        });
        expect(res.status).toBeLessThan(500);
        const body = await res.json();
        expect(body.data !== undefined || Array.isArray(body.errors)).toBe(true);
        for (const error of body.errors ?? []) expect(typeof error.extensions?.code).toBe("string");
      }),
      { numRuns: 200 },
    );
    expect((await server.request("/health")).status).toBe(200);
  });
});
