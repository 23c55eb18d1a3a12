import type { Sql } from "../../db/sql.js";
import { memoized, valueRows } from "../../db/statements.js";
import { BulkUploadJobStatus } from "../../generated/sqlite/enums.js";

/** Rows per multi-row INSERT: far fewer statement executions, well under SQLite's parameter limit. */
export const ROWS_PER_STATEMENT = 100;
export const PRODUCT_FIELDS = 7;

const INSERT_PRODUCTS = `INSERT INTO "Product" ("sku", "name", "description", "priceCents", "stockQuantity", "createdAt", "updatedAt") VALUES `;
const ON_SKU = ` ON CONFLICT ("sku") DO UPDATE SET "name" = excluded."name", "description" = excluded."description",
  "priceCents" = excluded."priceCents", "stockQuantity" = excluded."stockQuantity", "updatedAt" = excluded."updatedAt"`;

/** n product rows inserted; rows with a sku use `upsertProducts` (a later row for the same sku wins). */
export const insertProducts = memoized((n: number) => INSERT_PRODUCTS + valueRows(n, PRODUCT_FIELDS));
export const upsertProducts = memoized((n: number) => INSERT_PRODUCTS + valueRows(n, PRODUCT_FIELDS) + ON_SKU);
export const insertRowErrors = memoized((n: number) => `INSERT INTO "BulkUploadRowError" ("jobId", "row", "line", "column", "message") VALUES ${valueRows(n, 5)}`);

export const statements = {
  /** The batch's checkpoint, only while this worker still holds the job (status PROCESSING, its workerId). */
  checkpoint: `UPDATE "BulkUploadJob" SET "processedRows" = ?, "succeededRows" = ?, "failedRows" = ?, "checkpointByte" = ?,
    "checkpointLine" = ?, "leaseExpiresAt" = ?, "updatedAt" = ? WHERE "id" = ? AND "workerId" = ? AND "status" = ?`,
  insertJob: `INSERT INTO "BulkUploadJob" ("status", "filePath", "fileName", "fileSizeBytes", "dryRun", "allowZeroPrices", "requestId", "createdAt", "updatedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
};

export const samples = (): string[] => [
  insertProducts(1), insertProducts(ROWS_PER_STATEMENT), upsertProducts(1), upsertProducts(ROWS_PER_STATEMENT), insertRowErrors(1), insertRowErrors(3),
];

export type NewJob = { filePath: string; fileName: string | null; fileSizeBytes: number; dryRun: boolean; allowZeroPrices: boolean; requestId: string | null };

/** Queues a bulk upload job; returns its id. */
export async function insertJob(sql: Sql, job: NewJob, now = new Date()): Promise<number> {
  const row = await sql.get<{ id: number }>(statements.insertJob, [
    BulkUploadJobStatus.QUEUED, job.filePath, job.fileName, job.fileSizeBytes, job.dryRun, job.allowZeroPrices, job.requestId, now, now,
  ]);
  return row!.id;
}
