import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** Clients choose operation names and aliases: none of it may grow /metrics. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ GRAPHQL_METRIC_OPERATIONS: ["ShopOverview"] }, { captureLogs: true });
});
afterAll(() => server.stop());

const metricsText = async () => (await server.request("/metrics", { as: "anonymous" })).text();
const named = (name: string) =>
  server.request("/graphql", { method: "POST", as: "anonymous", json: { query: `query ${name} { ${name}: __typename }` } }).then((r) => r.text());

describe("bounded telemetry", () => {
  it("keeps /metrics the same size after 2,000 requests with random operation names and aliases", async () => {
    await named(`Op_${randomUUID().replaceAll("-", "")}`);
    const after1 = (await metricsText()).length;
    const names = Array.from({ length: 2_000 }, () => `Op_${randomUUID().replaceAll("-", "")}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map(named));
    const text = await metricsText();
    // Counts and sums grow by a few digits; no new label set may appear (one per
    // name would add some 2,000 x 1 KB of histogram lines).
    expect(text.length - after1).toBeLessThan(4 * 1024);
    expect(text).not.toContain(names[0]);
    expect(text).toMatch(/graphql_operation_duration_seconds_count\{operation="other",type="query"\} 2001/);
  });

  it("labels only the configured operation names, and anonymous operations as such", async () => {
    await server.request("/graphql", { method: "POST", as: "anonymous", json: { query: "query ShopOverview { __typename }" } });
    await server.request("/graphql", { method: "POST", as: "anonymous", json: { query: "{ __typename }" } });
    const text = await metricsText();
    expect(text).toMatch(/graphql_operation_duration_seconds_count\{operation="ShopOverview",type="query"\} 1/);
    expect(text).toMatch(/graphql_operation_duration_seconds_count\{operation="anonymous",type="query"\} 1/);
  });

  it("logs refused and malformed requests below error level: 4xx are the client's, not ours", async () => {
    const from = server.logs.length;
    await server.gql(`query { order(id: "999999") { id } }`);
    await server.gql(`mutation { createProduct(input: { name: "", priceCents: 1, stockQuantity: 1 }) { product { id } } }`);
    await server.gql(`query { productz }`);
    await server.request("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    await server.request("/api/products/abc");
    const lines = server.logs.slice(from);
    expect(lines.filter((l) => l.msg === "request completed")).toHaveLength(5);
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });

  it("clips client strings in the request summary line", async () => {
    const long = `Op_${"x".repeat(5_000)}`;
    await named(long);
    const line = server.logs.find((l) => l.msg === "request completed" && String(l.operation).startsWith("graphql:Op_xxx"));
    expect(line).toBeDefined();
    expect(String(line!.operation).length).toBeLessThanOrEqual(131);
  });
});
