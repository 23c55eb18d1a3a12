import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db, startTestServer, TMP_DIR } from "./helpers/server.js";
import { uploadCsv, waitForJob } from "./helpers/bulk.js";

describe("large batches", () => {
  it("writes multi-row statements: 1,000 rows, duplicate skus resolved in file order, rows without sku kept", async () => {
    const big = await startTestServer({ UPLOAD_DIR: `${TMP_DIR}/uploads-${randomUUID()}`, BULK_WORKER_POLL_MS: 50 });
    try {
      const lines = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `MANY-${i % 100},Name ${i},,1.00,${i}` : `,Plain ${i},,2.00,1`));
      const res = await uploadCsv(big, `sku,name,description,price,stockQuantity\n${lines.join("\n")}\n`);
      const job = await waitForJob(big, (await res.json()).id);
      expect(job).toMatchObject({ status: "COMPLETED", succeededRows: 1000 });
      expect(await db().product.count({ where: { name: { startsWith: "Plain " } } })).toBe(500);
      expect(await db().product.count({ where: { sku: { startsWith: "MANY-" } } })).toBe(50);
      // MANY-1 appears at i = 1, 101, ..., 901: the last one wins.
      expect(await db().product.findUniqueOrThrow({ where: { sku: "MANY-1" } })).toMatchObject({ name: "Name 901", stockQuantity: 901 });
    } finally {
      await big.stop();
    }
  });
});
