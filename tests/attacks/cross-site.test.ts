import { describe, expect, it } from "vitest";
import { serverAudits } from "graphql-http";
import { unchangedServer } from "./harness.js";

/**
 * Requests another site's page can make a browser send, and documents that
 * name one operation but hold several: each is refused or run as named, and
 * nothing changes.
 */
const SHOP = "https://shop.example.com";
const server = unchangedServer({ CORS_ORIGINS: [SHOP] });

const CREATE_COUPON = `mutation { createCoupon(input: { code: "CSRF100", type: PERCENTAGE, percentOff: 100 }) { coupon { id } } }`;

describe("CORS", () => {
  const preflight = (origin: string, path = "/graphql") =>
    server().request(path, { method: "OPTIONS", as: "anonymous", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization" } });

  it("gives an unlisted origin no CORS headers at all, on a preflight or a real request", async () => {
    for (const path of ["/graphql", "/api/checkout"]) {
      const res = await preflight("https://evil.example", path);
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    }
    const read = await server().request("/api/products", { as: "anonymous", headers: { origin: "https://evil.example" } });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    const gql = await server().request("/graphql", { method: "POST", as: "anonymous", json: { query: "{ __typename }" }, headers: { origin: "https://evil.example" } });
    expect(gql.status).toBe(200);
    expect(gql.headers.get("access-control-allow-origin")).toBeNull();
    expect(gql.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("lets a listed origin call with credentials, and says the answer varies by Origin", async () => {
    const res = await preflight(SHOP);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    expect(res.headers.get("vary")).toMatch(/Origin/i);
    const read = await server().request("/api/products", { as: "anonymous", headers: { origin: SHOP } });
    expect(read.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(read.headers.get("access-control-expose-headers")).toMatch(/x-next-cursor/);
    // A public GraphQL GET a shared cache may keep: its Vary names Origin too, beside GraphQL's own.
    for (const origin of [SHOP, undefined]) {
      const get = await server().request(`/graphql?query=${encodeURIComponent("{ products(first: 1) { edges { cursor } } }")}`, { as: "anonymous", headers: origin ? { origin } : {} });
      expect(get.status).toBe(200);
      expect(get.headers.get("cache-control")).toMatch(/^public/);
      expect(get.headers.get("vary")).toBe("Origin, Accept, Authorization, Accept-Encoding");
    }
  });
});

describe("CSRF: simple requests cannot change anything", () => {
  it("refuses a form-encoded GraphQL mutation, even one that carries a token", async () => {
    const body = new URLSearchParams({ query: CREATE_COUPON }).toString();
    const res = await server().request("/graphql", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe("CSRF_PREFLIGHT_REQUIRED");
  });

  it("refuses text/plain and body-type-less GraphQL POSTs, and lets the same mutation through as JSON", async () => {
    for (const headers of [{ "content-type": "text/plain" }, {}] as Record<string, string>[]) {
      const res = await server().request("/graphql", { method: "POST", headers, body: JSON.stringify({ query: "{ __typename }" }) });
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0].extensions.code).toBe("CSRF_PREFLIGHT_REQUIRED");
    }
    const json = await server().request("/graphql", { method: "POST", json: { query: "{ __typename }" } });
    expect(await json.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("serves queries over GET and refuses mutations over GET", async () => {
    const query = await server().request(`/graphql?query=${encodeURIComponent("{ __typename }")}`, { as: "anonymous" });
    expect(await query.json()).toEqual({ data: { __typename: "Query" } });
    const mutation = await server().request(`/graphql?query=${encodeURIComponent(CREATE_COUPON)}`);
    expect(mutation.status).toBe(405);
  });

  it("refuses REST state changes sent as forms or text without a token or preflight header", async () => {
    for (const [type, body] of [
      ["application/x-www-form-urlencoded", "code=CSRF&discount=100%25"],
      ["text/plain", JSON.stringify({ code: "CSRF", discount: "100%" })],
      ["multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nCSRF\r\n--x--\r\n"],
    ]) {
      const res = await server().request("/api/checkout/coupons", { method: "POST", as: "anonymous", headers: { "content-type": type! }, body });
      expect(res.status, type).toBe(400);
      expect((await res.json()).code, type).toBe("CSRF_PREFLIGHT_REQUIRED");
    }
    // A body-less POST without a token is simply unauthenticated.
    expect((await server().request("/api/orders/1/fulfill", { method: "POST", as: "anonymous" })).status).toBe(401);
  });
});

describe("operations run as named", () => {
  const DOC = `query A { a: products(first: 1) { edges { cursor } } } query B { b: __typename }`;
  const run = async (operationName?: string) => (await server().request("/graphql", { method: "POST", as: "anonymous", json: { query: DOC, operationName } })).json();

  it("runs the operation operationName names, whichever ran first (GraphiQL's request shape)", async () => {
    expect(await run("B")).toEqual({ data: { b: "Query" } });
    expect((await run("A")).data).toHaveProperty("a");
    expect(await run("B")).toEqual({ data: { b: "Query" } });
  });

  it("answers a missing or unknown name with a clean error", async () => {
    for (const name of [undefined, "C"]) {
      const body = await run(name);
      expect(body.data ?? null).toBeNull();
      expect(body.errors[0]).toMatchObject({ message: "Could not determine what operation to execute.", extensions: { code: "OPERATION_RESOLUTION_FAILURE" } });
    }
  });

  it("does not let a wrong name poison the compiled cache for a single-operation document", async () => {
    const single = `query Only { __typename }`;
    const wrong = await (await server().request("/graphql", { method: "POST", as: "anonymous", json: { query: single, operationName: "Other" } })).json();
    expect(wrong.errors[0].extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
    const right = await (await server().request("/graphql", { method: "POST", as: "anonymous", json: { query: single } })).json();
    expect(right).toEqual({ data: { __typename: "Query" } });
  });
});

describe("the GraphQL over HTTP audit (graphql-http)", () => {
  it("passes every MUST", async () => {
    const audits = serverAudits({ url: `${server().url}/graphql` });
    const failures: string[] = [];
    for (const audit of audits) {
      if (!audit.name.startsWith("MUST")) continue;
      const result = await audit.fn();
      if (result.status !== "ok") failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(failures).toEqual([]);
  });
});
