import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProduct } from "./helpers/factories.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** /metrics behind METRICS_TOKEN, and /health telling anonymous callers only whether it is up. */
const METRICS_TOKEN = "metrics-token-for-the-scraper";
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ METRICS_TOKEN, NODE_ENV: "production" });
});
afterAll(() => server.stop());

describe("GET /metrics with METRICS_TOKEN", () => {
  it("answers the scraper's bearer and nobody else, not even an admin token", async () => {
    expect((await server.request("/metrics", { as: "anonymous" })).status).toBe(401);
    const wrong = await server.request("/metrics", { as: "anonymous", headers: { authorization: "Bearer not-the-token-at-all" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    expect((await server.request("/metrics")).status).toBe(401);
    const scraped = await server.request("/metrics", { as: "anonymous", headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain("http_request_duration_seconds");
  });
});

describe("GET /health", () => {
  it("tells an anonymous caller only whether it is up, an admin the details", async () => {
    await createProduct();
    const anonymous = await server.request("/health", { as: "anonymous" });
    expect(await anonymous.json()).toEqual({ status: "ok" });
    const admin = await server.request("/health");
    expect(await admin.json()).toMatchObject({ status: "ok", version: expect.any(String), checks: { database: { status: "ok" } } });
  });
});

describe("production without METRICS_TOKEN", () => {
  let bare: TestServer;
  beforeAll(async () => {
    await server.stop();
    bare = await startTestServer({ NODE_ENV: "production" });
  });
  afterAll(async () => {
    await bare.stop();
    server = await startTestServer();
  });

  it("serves no metrics at all", async () => {
    expect((await bare.request("/metrics")).status).toBe(404);
  });
});
