import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** PostgreSQL only (the suite's second pass): connections the server drops must not take the gateway down. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("idle PostgreSQL connections dropped by the server", () => {
  it("are replaced: the gateway keeps answering, with no uncaught error", async () => {
    // Fill both pools (Prisma's and the driver reads') with idle connections.
    await Promise.all(Array.from({ length: 8 }, () => server.request("/api/products?limit=5")));
    await Promise.all(Array.from({ length: 4 }, () => server.request("/health")));

    const database = new URL(server.config.DATABASE_URL).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [database],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect((await server.request("/health")).status).toBe(200);
    expect((await server.request("/api/products?limit=5")).status).toBe(200);
  });
});
