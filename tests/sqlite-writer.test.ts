import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import Database from "better-sqlite3";
import { readRows } from "../src/db/index.js";
import { mapDatabaseError } from "../src/db/errors.js";
import { ANONYMOUS } from "../src/auth/principal.js";
import { createLogger } from "../src/lib/logger.js";
import { requestContext, runWithRequestContext } from "../src/lib/request-context.js";
import { sqlTransaction } from "../src/db/sql.js";
import { startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";

/** Always SQLite (group commit and the checkpointer are SQLite's), in both passes of the suite. */
const file = join(TMP_DIR, `checkpoint-${randomUUID()}.db`);
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    DATABASE_URL: `file:${file}`,
    SEED_ON_START: false,
    SQLITE_CHECKPOINT_INTERVAL_MS: 50,
    SQLITE_BUSY_TIMEOUT_MS: 200,
  });
});
afterAll(() => server.stop());

const size = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;

async function metric(name: string): Promise<number> {
  const text = await (await server.request("/metrics")).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? 0);
}
const checkpointCount = () => metric("sqlite_wal_checkpoints_total");

it("commits concurrent transactions together, answering each only once its writes are committed", async () => {
  const before = { commits: await metric("db_group_commit_size_count"), members: await metric("db_group_commit_size_sum") };
  const email = (i: number) => `group-${i}-${randomUUID()}@example.test`;
  const emails = Array.from({ length: 20 }, (_, i) => email(i));
  const failing = new Set([6, 13]);
  const results = await Promise.allSettled(
    emails.map((address, i) =>
      sqlTransaction(async (sql) => {
        const now = new Date();
        await sql.run(`INSERT INTO "User" ("email", "name", "createdAt", "updatedAt") VALUES (?, 'Group', ?, ?)`, [address, now, now]);
        if (failing.has(i)) throw new Error(`member ${i} fails`);
        return address;
      }).then(async (address) => {
        // The read-only connection sees committed data only: answered means committed.
        const seen = await readRows<{ email: string }>(`SELECT "email" FROM "User" WHERE "email" = ?`, [address]);
        return seen.length;
      }),
    ),
  );
  results.forEach((result, i) => {
    if (failing.has(i)) expect(result).toMatchObject({ status: "rejected", reason: { message: `member ${i} fails` } });
    else expect(result).toEqual({ status: "fulfilled", value: 1 });
  });
  const stored = await readRows<{ email: string }>(`SELECT "email" FROM "User" WHERE "email" LIKE 'group-%'`, []);
  expect(stored.map((r) => r.email).sort()).toEqual(emails.filter((_, i) => !failing.has(i)).sort());
  // 18 transactions committed in fewer COMMITs than transactions.
  const commits = (await metric("db_group_commit_size_count")) - before.commits;
  expect((await metric("db_group_commit_size_sum")) - before.members).toBe(18);
  expect(commits).toBeGreaterThan(0);
  expect(commits).toBeLessThan(18);
});

it("runs each transaction of a shared batch in its caller's own request context", async () => {
  const logger = createLogger("silent");
  const seen = await Promise.all(
    ["r1", "r2", "r3", "r4"].map((requestId) =>
      runWithRequestContext({ requestId, logger, principal: ANONYMOUS, dbQueries: 0, dbTimeMs: 0 }, () =>
        sqlTransaction(async (sql) => {
          await sql.get(`SELECT 1 AS "one"`);
          return { requestId: requestContext()?.requestId, statements: requestContext()?.dbQueries };
        }),
      ),
    ),
  );
  expect(seen).toEqual(["r1", "r2", "r3", "r4"].map((requestId) => ({ requestId, statements: 1 })));
});

it("answers 503 when another process holds the database, without hanging, and recovers once it lets go", async () => {
  const other = new Database(file);
  other.pragma("busy_timeout = 0");
  other.exec("BEGIN IMMEDIATE");
  try {
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => sqlTransaction((sql) => sql.get(`SELECT 1 AS "one"`))));
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect(mapDatabaseError((result as PromiseRejectedResult).reason)).toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
    }
    // Each gives up after its 200 ms busy timeout; a hang is what this guards against, so the bound is generous.
    expect(performance.now() - started).toBeLessThan(10_000);
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  await expect(sqlTransaction((sql) => sql.get<{ one: number }>(`SELECT 1 AS "one"`))).resolves.toEqual({ one: 1 });
});

it("copies committed pages from the write-ahead log into the database file on its own thread", async () => {
  await sleep(200); // what migrations wrote is checkpointed by now
  const before = { db: size(file), checkpoints: await checkpointCount() };
  // About 1 MB: a few hundred pages, far below the 10,000-page autocheckpoint a commit would run.
  await sqlTransaction(async (sql) => {
    const now = new Date();
    for (let i = 0; i < 500; i++) {
      await sql.run(
        `INSERT INTO "Product" ("sku", "name", "description", "priceCents", "stockQuantity", "createdAt", "updatedAt") VALUES (?, ?, ?, 100, 1, ?, ?)`,
        [`CP-${i}`, `Checkpointed ${i}`, "x".repeat(2_000), now, now],
      );
    }
  });
  expect(size(`${file}-wal`)).toBeGreaterThan(1_000_000);

  // The file grows while the checkpoint runs; its count arrives when it ends.
  const done = async () => size(file) > before.db + 1_000_000 && (await checkpointCount()) > before.checkpoints;
  for (let waited = 0; !(await done()) && waited < 5_000; waited += 50) await sleep(50);
  expect(size(file)).toBeGreaterThan(before.db + 1_000_000);
  expect(await checkpointCount()).toBeGreaterThan(before.checkpoints);
});
