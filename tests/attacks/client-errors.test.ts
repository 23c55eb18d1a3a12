import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { unchangedServer } from "./harness.js";

/** Malformed requests are the client's error: a 4xx with a code, never a 500. */
const server = unchangedServer({});

const codeOf = async (res: Response) => {
  const body = await res.json();
  return body.code ?? body.errors?.[0]?.extensions?.code;
};

describe("client errors answer 4xx", () => {
  it("a bad percent-escape in the path", async () => {
    for (const path of ["/api/products/%E0%A4%A", "/api/orders/%", "/api/products/%zz"]) {
      const res = await server().request(path);
      expect(res.status, path).toBe(400);
      expect(await codeOf(res), path).toBe("VALIDATION_FAILED");
    }
  });

  it("a body that claims gzip and is not, or an unknown encoding", async () => {
    const bad = await server().request("/api/checkout/coupons", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: "not gzip at all" });
    expect(bad.status).toBe(400);
    expect(await codeOf(bad)).toBe("VALIDATION_FAILED");
    const unknown = await server().request("/api/checkout/coupons", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "br2" }, body: "{}" });
    expect(unknown.status).toBe(415);
    expect(await codeOf(unknown)).toBe("UNSUPPORTED_MEDIA_TYPE");
    const gql = await server().request("/graphql", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: "nope" });
    expect(gql.status).toBe(400);
    expect(await codeOf(gql)).toBe("VALIDATION_FAILED");
    // A real gzip body is read.
    const good = await server().request("/graphql", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gzipSync(JSON.stringify({ query: "{ __typename }" })) });
    expect(await good.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("a broken multipart upload, on either door", async () => {
    const broken = "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nsku,name";
    const rest = await server().request("/api/products/bulk-upload", { method: "POST", headers: { "content-type": "multipart/form-data; boundary=x" }, body: broken });
    expect(rest.status).toBe(400);
    expect(await codeOf(rest)).toBe("VALIDATION_FAILED");
    const noBoundary = await server().request("/api/products/bulk-upload", { method: "POST", headers: { "content-type": "multipart/form-data" }, body: "x" });
    expect(noBoundary.status).toBe(400);
    const gql = await server().request("/graphql", { method: "POST", headers: { "content-type": "multipart/form-data; boundary=x", "x-graphql-yoga-csrf": "1" }, body: "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{not json\r\n--x--\r\n" });
    expect(gql.status).toBe(400);
    expect(await codeOf(gql)).toBe("VALIDATION_FAILED");
  });

  it("a scalar that does not parse", async () => {
    for (const [query, variables] of [
      ["query Q($id: ID!) { product(id: $id) { id } }", { id: { nested: true } }],
      ["query Q($after: String) { products(first: 1, after: $after) { edges { cursor } } }", { after: "not-a-cursor!!" }],
      ["mutation U { bulkUploadProducts(file: \"inline\") { job { id } } }", {}],
      ["mutation M($e: DateTime) { createCoupon(input: { code: \"D\", type: PERCENTAGE, percentOff: 5, expiresAt: $e }) { coupon { id } } }", { e: "tomorrow" }],
    ] as const) {
      const res = await server().request("/graphql", { method: "POST", json: { query, variables } });
      expect(res.status, query).toBeLessThan(500);
      const body = await res.json();
      expect(body.errors?.[0]?.extensions?.code, query).toMatch(/^(GRAPHQL_)?VALIDATION_FAILED$/);
    }
  });
});
