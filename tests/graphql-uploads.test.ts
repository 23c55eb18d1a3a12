import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";
import { uploadCsv, waitForJob } from "./helpers/bulk.js";

/**
 * A CSV upload is limited by BULK_UPLOAD_MAX_BYTES on both doors: GraphQL's
 * multipart requests are not held to the JSON body limit (1 MiB), and past
 * the upload limit both answer 413 PAYLOAD_TOO_LARGE and keep nothing.
 */
const MAX_UPLOAD = 8 * 1024 * 1024;
const uploadDir = `${TMP_DIR}/uploads-${randomUUID()}`;
let server: TestServer;
beforeAll(async () => {
  mkdirSync(uploadDir, { recursive: true });
  server = await startTestServer({ UPLOAD_DIR: uploadDir, BULK_UPLOAD_MAX_BYTES: MAX_UPLOAD, BULK_WORKER_POLL_MS: 50 });
});
afterAll(() => server.stop());

/** A valid CSV of `rows` products, SKUs prefixed with `prefix`. */
const csv = (prefix: string, rows: number) =>
  `sku,name,description,price,stockQuantity\n${Array.from({ length: rows }, (_, i) => `${prefix}-${i},Product ${i},${"d".repeat(40)},1.00,1\n`).join("")}`;

function graphqlUpload(content: string) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: "mutation Upload($file: Upload!) { bulkUploadProducts(file: $file) { job { id } } }", variables: { file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([content], { type: "text/csv" }), "products.csv");
  return server.request("/graphql", { method: "POST", body: form, headers: { "x-graphql-yoga-csrf": "1" } });
}

const storedFiles = () => readdirSync(uploadDir, { withFileTypes: true }).filter((f) => f.isFile()).map((f) => f.name);

describe("uploads through GraphQL", () => {
  it("imports a 7 MB file, past the 1 MiB JSON body limit", async () => {
    const content = csv("GQL7", 100_000);
    expect(content.length).toBeGreaterThan(6_000_000);
    const res = await graphqlUpload(content);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.errors).toBeUndefined();
    const job = await waitForJob(server, Number(body.data.bulkUploadProducts.job.id));
    expect(job).toMatchObject({ status: "COMPLETED", succeededRows: 100_000, failedRows: 0 });
    expect(await db().product.count({ where: { sku: { startsWith: "GQL7-" } } })).toBe(100_000);
  });

  it("refuses a file over BULK_UPLOAD_MAX_BYTES with 413 PAYLOAD_TOO_LARGE on both doors, keeping no job and no file", async () => {
    const content = csv("BIG", 150_000);
    expect(content.length).toBeGreaterThan(MAX_UPLOAD);
    const jobs = await db().bulkUploadJob.count();
    const products = await db().product.count();
    const files = storedFiles();

    const gql = await graphqlUpload(content);
    expect(gql.status).toBe(413);
    expect((await gql.json()).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");

    const rest = await uploadCsv(server, content);
    expect(rest.status).toBe(413);
    expect((await rest.json()).code).toBe("PAYLOAD_TOO_LARGE");

    expect(await db().bulkUploadJob.count()).toBe(jobs);
    expect(await db().product.count()).toBe(products);
    // No new file (the previous test's import may delete its own file meanwhile: that is not this test's concern).
    expect(storedFiles().filter((name) => !files.includes(name))).toEqual([]);
  });

  it("still holds a JSON body to the JSON limit", async () => {
    const res = await server.request("/graphql", { method: "POST", json: { query: `{ __typename } #${"x".repeat(2 * 1024 * 1024)}` } });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
  });
});
