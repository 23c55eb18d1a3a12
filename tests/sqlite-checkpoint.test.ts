import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sqlTransaction } from "../src/db/sql.js";
import { startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";

/** Always SQLite (the checkpointer is SQLite's), in both passes of the suite. */
const file = join(TMP_DIR, `checkpoint-${randomUUID()}.db`);
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ DATABASE_URL: `file:${file}`, SEED_ON_START: false, SQLITE_CHECKPOINT_INTERVAL_MS: 50 });
});
afterAll(() => server.stop());

const size = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;

async function checkpointCount(): Promise<number> {
  const text = await (await server.request("/metrics")).text();
  return Number(/^sqlite_wal_checkpoints_total (\d+)/m.exec(text)?.[1] ?? 0);
}

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
