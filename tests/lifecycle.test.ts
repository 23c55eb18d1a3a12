import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { loadConfig, ConfigError } from "../src/config.js";
import { closeDatabase, db } from "../src/db/index.js";
import { createLogger } from "../src/lib/logger.js";
import { conveniences, startServer } from "../src/server.js";
import { TMP_DIR, TEST_AUTH_SECRET, adminHeaders } from "./helpers/server.js";
import { spawnServer } from "./helpers/process.js";
import { rmSync } from "node:fs";

function captureLogs() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).trim().split("\n")) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger("info", stream) };
}

const testConfig = (overrides = {}) =>
  loadConfig({}, { PORT: 0, HOST: "127.0.0.1", DATABASE_URL: `file:${join(TMP_DIR, `life-${randomUUID()}.db`)}`, AUTH_JWT_SECRET: TEST_AUTH_SECRET, ...overrides });

describe("config", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 4000, HOST: "127.0.0.1", DATABASE_URL: "file:./data/shop.db", LOG_LEVEL: "info" });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("simulates a fraud service that answers well within its timeout; the incident's slow one is one setting away", () => {
    const normal = loadConfig({});
    expect(normal.FRAUD_CHECK_LATENCY_MS + normal.FRAUD_CHECK_JITTER_MS).toBeLessThan(normal.FRAUD_CHECK_TIMEOUT_MS / 5);
    expect(normal.FRAUD_CHECK_SLOW_RATE).toBe(0);
    expect(loadConfig({ FRAUD_CHECK_PROFILE: "incident" })).toMatchObject({ FRAUD_CHECK_LATENCY_MS: 2_000, FRAUD_CHECK_JITTER_MS: 3_000, FRAUD_CHECK_SLOW_RATE: 0.1 });
    expect(loadConfig({ FRAUD_CHECK_PROFILE: "incident", FRAUD_CHECK_SLOW_RATE: "0" }).FRAUD_CHECK_SLOW_RATE).toBe(0);
  });

  it("keeps development conveniences on this machine, and lists them; production switches each on by its own setting", () => {
    const development = loadConfig({});
    expect(development.HOST).toBe("127.0.0.1");
    expect(conveniences(development)).toEqual(["graphiql", "introspection", "field-suggestions", "demo-seeding", "open-metrics", "dev-signing-secret (./data/auth-secret)"]);
    const production = loadConfig({ NODE_ENV: "production", AUTH_JWT_SECRET: TEST_AUTH_SECRET });
    expect(production.HOST).toBe("0.0.0.0");
    expect(conveniences(production)).toEqual([]);
    const opted = loadConfig({ NODE_ENV: "production", AUTH_JWT_SECRET: TEST_AUTH_SECRET, GRAPHIQL_ENABLED: "true", SEED_ON_START: "true", HOST: "10.0.0.5" });
    expect(opted.HOST).toBe("10.0.0.5");
    expect(conveniences(opted)).toEqual(["graphiql", "demo-seeding"]);
  });

  it("refuses a bad environment, naming every bad variable", () => {
    expect(() => loadConfig({ PORT: "http", DATABASE_URL: "mysql://x" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "http", DATABASE_URL: "mysql://x" })).toThrow(/PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/);
  });
});

describe("server lifecycle", () => {
  it("logs one summary line per request carrying the request id", async () => {
    const { lines, logger } = captureLogs();
    const running = await startServer(testConfig(), logger);
    try {
      await fetch(`${running.url}/api/products?limit=1`, { headers: { "x-request-id": "trace-me-1" } });
    } finally {
      await running.stop();
    }
    const summary = lines.find((l) => l.msg === "request completed" && l.requestId === "trace-me-1");
    expect(summary).toMatchObject({ method: "GET", route: "/api/products", status: 200 });
    expect(summary.dbQueries).toBeGreaterThan(0);
  });

  it("answers /health with 503 when the database is gone", async () => {
    const { logger } = captureLogs();
    const running = await startServer(testConfig(), logger);
    try {
      await closeDatabase();
      const res = await fetch(`${running.url}/health`, { headers: await adminHeaders() });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unavailable", checks: { database: { status: "error" } } });
    } finally {
      await running.stop();
    }
  });

  it("finishes in-flight requests on stop and then refuses new connections", async () => {
    const { logger } = captureLogs();
    const running = await startServer(testConfig(), logger);
    // Headers received: the response is streaming when shutdown begins.
    const res = await fetch(`${running.url}/api/products/sample-csv/100000`, { headers: await adminHeaders() });
    const stopped = running.stop();
    const body = await res.text();
    await stopped;
    expect(body.trimEnd().split("\n")).toHaveLength(100001);
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
    expect(() => db()).toThrow(/not open/);
  });

  it("stops on SIGTERM with exit code 0, its last log lines written out", async () => {
    const file = join(TMP_DIR, `sigterm-${randomUUID()}.db`);
    const server = await spawnServer({ DATABASE_URL: `file:${file}` });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await server.kill("SIGTERM")).toBe(0);
    expect(server.logs.map((l) => l.msg).slice(-2)).toEqual(["shutting down", "stopped"]);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  });

  it("does not seed a database that already has data, nor when seeding is off", async () => {
    const config = testConfig({ SEED_ON_START: false });
    const { logger } = captureLogs();
    const running = await startServer(config, logger);
    try {
      expect(await db().user.count()).toBe(0);
    } finally {
      await running.stop();
    }
  });
});
