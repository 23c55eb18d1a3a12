import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminHeaders, db, freshDatabase, startTestServer, TMP_DIR, type TestServer } from "../helpers/server.js";
import { spawnServer } from "../helpers/process.js";
import { waitForJob } from "../helpers/bulk.js";
import { expectServedThroughout, slowestHealthDuring } from "./harness.js";

/** Poisonous imports: each fails its own job with a clear reason; the gateway keeps serving. */
const uploadDir = join(TMP_DIR, `uploads-${randomUUID()}`);
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ UPLOAD_DIR: uploadDir, BULK_WORKER_POLL_MS: 50, BULK_JOB_LEASE_MS: 1_000 });
});
afterAll(() => server.stop());

const upload = (body: Uint8Array | string) =>
  server.request("/api/products/bulk-upload", { method: "POST", headers: { "content-type": "text/csv" }, body: typeof body === "string" ? body : new Uint8Array(body) });

describe("poisonous CSV files", () => {
  it("fails a 40 MB file whose second line is 40 million commas, at its line, while /health stays fast", async () => {
    const poison = Buffer.concat([Buffer.from("sku,name,price,stockQuantity\nA1"), Buffer.alloc(40_000_000, ","), Buffer.from("\n")]);
    const products = await db().product.count();
    const { result: job, ...served } = await slowestHealthDuring(server, async () => {
      const res = await upload(poison);
      expect(res.status).toBe(202);
      return waitForJob(server, (await res.json()).id);
    });
    expect(job).toMatchObject({ status: "FAILED", processedRows: 0 });
    expect(job.errorMessage).toBe("Unreadable CSV: a record has more than 64 fields (line 2)");
    console.log(`40 MB poison file: /health polled ${served.polls} times, slowest ${served.slowestMs.toFixed(0)} ms of ${served.attackMs.toFixed(0)} ms`);
    expectServedThroughout(served);
    expect(await db().product.count()).toBe(products);
  });

  it("fails a file with one endless line, or an endless quoted field, without reading it into memory", async () => {
    for (const body of [`sku,name,price,stockQuantity\n${"x".repeat(5_000_000)}`, `sku,name,price,stockQuantity\n"${"y".repeat(5_000_000)}`]) {
      const res = await upload(body);
      const job = await waitForJob(server, (await res.json()).id);
      expect(job).toMatchObject({ status: "FAILED", errorMessage: "Unreadable CSV: a record is longer than 65536 bytes (line 2)" });
    }
  });

  it("gives up on a job that crashed its worker BULK_JOB_MAX_ATTEMPTS times: FAILED with the reason, never claimed again", async () => {
    const filePath = join(uploadDir, `crashed-${randomUUID()}.csv`);
    writeFileSync(filePath, "sku,name,price,stockQuantity\nOK-1,Fine,1.00,1\n");
    // What three crashed runs leave: PROCESSING, the last worker's lease lapsed, three attempts spent.
    const crashed = await db().bulkUploadJob.create({
      data: { status: "PROCESSING", filePath, fileSizeBytes: 44, attempts: 3, workerId: "dead", leaseExpiresAt: new Date(Date.now() - 1_000) },
    });
    const job = await waitForJob(server, crashed.id);
    expect(job).toMatchObject({ status: "FAILED", processedRows: 0 });
    expect(job.errorMessage).toMatch(/^Gave up after 3 attempts/);
    expect(await db().product.count({ where: { sku: "OK-1" } })).toBe(0);

    // One attempt left: the job is claimed, counted and completed.
    const retried = await db().bulkUploadJob.create({
      data: { status: "PROCESSING", filePath: filePath.replace("crashed", "retried"), fileSizeBytes: 44, attempts: 2, workerId: "dead", leaseExpiresAt: new Date(Date.now() - 1_000) },
    });
    writeFileSync(retried.filePath, "sku,name,price,stockQuantity\nOK-2,Fine,1.00,1\n");
    expect(await waitForJob(server, retried.id)).toMatchObject({ status: "COMPLETED", succeededRows: 1 });
    expect((await db().bulkUploadJob.findUniqueOrThrow({ where: { id: retried.id } })).attempts).toBe(3);
    expect((await (await server.request("/health", { as: "anonymous" })).json()).status).toBe("ok");
  });
});

describe("a gateway process after the poison upload", () => {
  it("is still up once the job failed, and a restart serves normally without taking the job again", async () => {
    const database = await freshDatabase();
    const env = { DATABASE_URL: database.url, UPLOAD_DIR: join(TMP_DIR, `uploads-${randomUUID()}`), BULK_WORKER_POLL_MS: "50" };
    let gateway = await spawnServer(env);
    try {
      const poison = Buffer.concat([Buffer.from("sku,name,price,stockQuantity\nA1"), Buffer.alloc(40_000_000, ","), Buffer.from("\n")]);
      const res = await fetch(`${gateway.url}/api/products/bulk-upload`, { method: "POST", headers: await adminHeaders({ "content-type": "text/csv" }), body: new Uint8Array(poison) });
      const { id } = (await res.json()) as { id: number };
      const status = async () => ((await (await fetch(`${gateway.url}/api/products/bulk-upload/${id}`, { headers: await adminHeaders() })).json()) as { status: string }).status;
      for (let i = 0; i < 600 && (await status()) !== "FAILED"; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await status()).toBe("FAILED");
      expect(gateway.child.exitCode).toBeNull();
      await gateway.kill("SIGKILL");
      gateway = await spawnServer(env);
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/api/products?limit=1`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(await status()).toBe("FAILED");
      expect(gateway.logs.filter((l) => l.msg === "bulk job claimed")).toEqual([]);
    } finally {
      await gateway.kill("SIGKILL");
      await database.drop();
    }
  }, 120_000);
});
