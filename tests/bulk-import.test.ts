import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";
import { createProduct } from "./helpers/factories.js";
import { fixture, uploadCsv, waitForJob } from "./helpers/bulk.js";

let server: TestServer;
const uploadDir = `${TMP_DIR}/uploads-${randomUUID()}`;
beforeAll(async () => {
  server = await startTestServer({
    UPLOAD_DIR: uploadDir,
    BULK_BATCH_SIZE: 3,
    BULK_WORKER_POLL_MS: 50,
    BULK_UPLOAD_MAX_BYTES: 200_000,
  });
});
afterAll(() => server.stop());

async function importFile(content: Buffer | string, options: Parameters<typeof uploadCsv>[2] = {}) {
  const res = await uploadCsv(server, content, options);
  expect(res.status).toBe(202);
  const job = await res.json();
  expect(res.headers.get("location")).toBe(`/api/products/bulk-upload/${job.id}`);
  return waitForJob(server, job.id);
}

describe("bulk upload", () => {
  it("imports a valid file and answers 202 with the job at once", async () => {
    const res = await uploadCsv(server, fixture("valid.csv"));
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(queued).toMatchObject({ status: "QUEUED", fileName: "products.csv", processedRows: 0 });
    const job = await waitForJob(server, queued.id);
    expect(job).toMatchObject({ status: "COMPLETED", totalRows: 4, processedRows: 4, succeededRows: 4, failedRows: 0, progress: 1, errors: [] });
    expect(job.finishedAt).toBeTruthy();
    const one = await db().product.findUniqueOrThrow({ where: { sku: "FX-1" } });
    expect(one).toMatchObject({ name: "Fixture One", priceCents: 1000, stockQuantity: 5, description: "First" });
    expect((await db().product.findUniqueOrThrow({ where: { sku: "FX-4" } })).priceCents).toBe(100_000_000);
    const noSku = await db().product.findFirstOrThrow({ where: { name: "No Sku" } });
    expect(noSku).toMatchObject({ sku: null, priceCents: 123450, description: "Has, a comma" });
    // Rows written by the bulk path read back through Prisma and the API like any other.
    expect((await (await server.request(`/api/products/${one.id}`)).json()).price).toBe(10);
  });

  it("reports each bad row with its row, line and column, and still imports the good ones", async () => {
    const job = await importFile(fixture("bad-rows.csv"));
    expect(job).toMatchObject({ status: "COMPLETED", processedRows: 10, succeededRows: 2, failedRows: 8 });
    expect(job.errors.map((e: any) => [e.row, e.line, e.column])).toEqual([
      [2, 3, "name"],
      [3, 4, "price"],
      [4, 5, "price"],
      [5, 6, "price"],
      [6, 7, "stockQuantity"],
      [7, 8, "stockQuantity"],
      [8, 9, "sku"],
      [9, 10, null],
    ]);
    expect(job.errors[8 - 1].message).toMatch(/has 3 fields, the header has 5/);
    expect(await db().product.count({ where: { sku: { in: ["OK-1", "OK-2"] } } })).toBe(2);
    expect(await db().product.count({ where: { sku: { startsWith: "BAD-" } } })).toBe(0);
  });

  it("parses a BOM, CRLF, blank lines and quoted multiline fields, counting physical lines", async () => {
    const job = await importFile(fixture("bom-crlf-multiline.csv"));
    expect(job).toMatchObject({ status: "COMPLETED", processedRows: 4, succeededRows: 3, failedRows: 1 });
    expect(job.errors).toEqual([{ row: 4, line: 9, column: "name", message: "is required" }]);
    expect(await db().product.findUniqueOrThrow({ where: { sku: "ML-1" } })).toMatchObject({ name: "Multi\r\nline" });
    expect(await db().product.findUniqueOrThrow({ where: { sku: "ML-2" } })).toMatchObject({
      name: 'Quoted "name"',
      description: "line one\r\nline two\r\nline three",
    });
  });

  it("fails the job at once on a bad header, with a clear message", async () => {
    const job = await importFile(fixture("bad-header.csv"));
    expect(job.status).toBe("FAILED");
    expect(job.errorMessage).toMatch(/unknown column\(s\): colour; missing required column\(s\): stockQuantity/);
    expect(await db().product.count({ where: { sku: "X-1" } })).toBe(0);
  });

  it("upserts rows with a sku that exists instead of duplicating them", async () => {
    await createProduct({ sku: "UPS-1", name: "Old name", priceCents: 100, stockQuantity: 1 });
    const job = await importFile("sku,name,price,stockQuantity\nUPS-1,New name,2.50,9\nUPS-1,Newer name,3.00,8\n");
    expect(job.succeededRows).toBe(2);
    const products = await db().product.findMany({ where: { sku: "UPS-1" } });
    expect(products).toHaveLength(1);
    expect(products[0]).toMatchObject({ name: "Newer name", priceCents: 300, stockQuantity: 8 });
  });

  it("accepts a raw text/csv body", async () => {
    const res = await server.request("/api/products/bulk-upload", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "sku,name,price,stockQuantity\nRAW-1,Raw,1.00,1\n",
    });
    expect(res.status).toBe(202);
    expect(await waitForJob(server, (await res.json()).id)).toMatchObject({ status: "COMPLETED", succeededRows: 1 });
  });

  it("validates without writing on dryRun", async () => {
    const job = await importFile("sku,name,price,stockQuantity\nDRY-1,Dry,1.00,1\nDRY-2,,1.00,1\n", { query: "?dryRun=true" });
    expect(job).toMatchObject({ status: "COMPLETED", dryRun: true, succeededRows: 1, failedRows: 1 });
    expect(await db().product.count({ where: { sku: { startsWith: "DRY-" } } })).toBe(0);
  });

  it("refuses an oversize upload with 413, keeping neither a job nor a file", async () => {
    const jobs = await db().bulkUploadJob.count();
    const big = `sku,name,price,stockQuantity\n${"X,Big,1.00,1\n".repeat(20_000)}`;
    const res = await uploadCsv(server, big);
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await db().bulkUploadJob.count()).toBe(jobs);
    // Finished jobs delete their file and the refused upload left none behind.
    const kept = new Set((await db().bulkUploadJob.findMany({ where: { status: { in: ["QUEUED", "PROCESSING"] } } })).map((j) => j.filePath));
    expect(readdirSync(uploadDir).filter((f) => ![...kept].some((path) => path.endsWith(f)))).toEqual([]);
  });

  it("refuses a wrong content type with 415", async () => {
    const json = await server.request("/api/products/bulk-upload", { method: "POST", json: { rows: [] } });
    expect(json.status).toBe(415);
    expect((await json.json()).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const png = await uploadCsv(server, Buffer.from([0x89, 0x50, 0x4e, 0x47]), { type: "image/png", fileName: "x.png" });
    expect(png.status).toBe(415);
  });

  it("returns the same job for the same Idempotency-Key and file; 422 for another file", async () => {
    const key = randomUUID();
    const first = await uploadCsv(server, "sku,name,price,stockQuantity\nIDEM-1,Once,1.00,1\n", { key });
    const job = await first.json();
    const again = await uploadCsv(server, "sku,name,price,stockQuantity\nIDEM-1,Once,1.00,1\n", { key });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).id).toBe(job.id);
    const other = await uploadCsv(server, "sku,name,price,stockQuantity\nIDEM-2,Other,1.00,1\n", { key });
    expect(other.status).toBe(422);
    expect((await other.json()).code).toBe("IDEMPOTENCY_KEY_REUSED");
    await waitForJob(server, job.id);
    expect(await db().product.count({ where: { sku: { startsWith: "IDEM-" } } })).toBe(1);
  });

  it("streams every row error as CSV, and 404 for an unknown job", async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `ERR-${i},,no name,1.00,1`).join("\n");
    const job = await importFile(`sku,name,description,price,stockQuantity\n${rows}\n`);
    expect(job.failedRows).toBe(150);
    expect(job.errors).toHaveLength(100);
    const res = await server.request(`/api/products/bulk-upload/${job.id}/errors`);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines[0]).toBe("row,line,column,message");
    expect(lines).toHaveLength(151);
    expect(lines[150]).toBe("150,151,name,is required");
    expect((await server.request("/api/products/bulk-upload/999999/errors")).status).toBe(404);
  });

  it("uploads through GraphQL per the multipart request spec, idempotently", async () => {
    const key = randomUUID();
    const send = async () => {
      const form = new FormData();
      form.append(
        "operations",
        JSON.stringify({
          query: "mutation Upload($file: Upload!, $key: String) { bulkUploadProducts(file: $file, idempotencyKey: $key) { replayed job { id status } } }",
          variables: { file: null, key },
        }),
      );
      form.append("map", JSON.stringify({ 0: ["variables.file"] }));
      form.append("0", new Blob(["sku,name,price,stockQuantity\nGQL-1,Via GraphQL,4.20,3\n"], { type: "text/csv" }), "gql.csv");
      return (await server.request("/graphql", { method: "POST", body: form, headers: { "x-graphql-yoga-csrf": "1" } })).json();
    };
    const first = await send();
    expect(first.errors).toBeUndefined();
    const jobId = first.data.bulkUploadProducts.job.id;
    const second = await send();
    expect(second.data.bulkUploadProducts).toEqual({ replayed: true, job: { id: jobId, status: expect.any(String) } });
    await waitForJob(server, Number(jobId));
    const job = await server.gql(`query Job($id: ID!) { bulkUploadJob(id: $id) { status succeededRows progress } }`, { id: jobId });
    expect(job.data.bulkUploadJob).toEqual({ status: "COMPLETED", succeededRows: 1, progress: 1 });
    expect((await db().product.findUniqueOrThrow({ where: { sku: "GQL-1" } })).priceCents).toBe(420);
  });
});
