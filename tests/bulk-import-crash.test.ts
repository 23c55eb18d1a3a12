import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TMP_DIR, freshDatabase, adminHeaders } from "./helpers/server.js";
import { queryOne, spawnServer } from "./helpers/process.js";

const ROWS = 150_000;

async function jobStatus(url: string, id: number) {
  return (await fetch(`${url}/api/products/bulk-upload/${id}`, { headers: await adminHeaders() })).json();
}

describe("a bulk job whose server is killed mid-run", () => {
  it("is finished by the next server from its last checkpoint, with no row written twice", async () => {
    const database = await freshDatabase();
    const env = {
      DATABASE_URL: database.url,
      UPLOAD_DIR: join(TMP_DIR, `crash-uploads-${randomUUID()}`),
      BULK_BATCH_SIZE: "2000",
      BULK_JOB_LEASE_MS: "1000",
      BULK_WORKER_POLL_MS: "100",
    };
    // Rows without a sku are plain inserts: a replayed batch would duplicate them.
    const csv = `name,description,price,stockQuantity\n${Array.from({ length: ROWS }, (_, i) => `Crash item ${i + 1},,1.00,1`).join("\n")}\n`;

    const first = await spawnServer(env);
    const upload = await fetch(`${first.url}/api/products/bulk-upload`, {
      method: "POST",
      headers: await adminHeaders({ "content-type": "text/csv" }),
      body: csv,
    });
    expect(upload.status).toBe(202);
    const { id } = await upload.json();
    let seen: any;
    for (let i = 0; i < 400; i++) {
      seen = await jobStatus(first.url, id);
      if (seen.processedRows > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.kill("SIGKILL");
    expect(seen.status).toBe("PROCESSING");
    expect(seen.processedRows).toBeGreaterThan(0);
    expect(seen.processedRows).toBeLessThan(ROWS);

    const second = await spawnServer(env);
    try {
      let job: any;
      for (let i = 0; i < 600; i++) {
        job = await jobStatus(second.url, id);
        if (job.status === "COMPLETED" || job.status === "FAILED") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(job).toMatchObject({ status: "COMPLETED", totalRows: ROWS, succeededRows: ROWS, failedRows: 0 });
    } finally {
      await second.kill("SIGTERM");
    }
    const counts = await queryOne<{ total: number | string; unique_names: number | string }>(
      database.url,
      `SELECT COUNT(*) AS total, COUNT(DISTINCT "name") AS unique_names FROM "Product" WHERE "name" LIKE 'Crash item %'`,
    );
    await database.drop();
    expect(Number(counts.unique_names)).toBe(ROWS);
    expect(Number(counts.total)).toBe(ROWS);
  }, 120_000);
});
