import type { Sql } from "../../db/sql.js";
import { memoized, valueRows } from "../../db/statements.js";
import { BulkUploadJobStatus } from "../../generated/sqlite/enums.js";
import type { Origin } from "../../lib/request-context.js";

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

/** QUEUED, or PROCESSING with its lease lapsed (its worker died): params QUEUED, PROCESSING, now. */
const CLAIMABLE = `("status" = ? OR ("status" = ? AND "leaseExpiresAt" < ?))`;
export const statements = {
  /** The batch's checkpoint, only while this worker still holds the job (status PROCESSING, its workerId). */
  checkpoint: `UPDATE "BulkUploadJob" SET "processedRows" = ?, "succeededRows" = ?, "failedRows" = ?, "checkpointByte" = ?,
    "checkpointLine" = ?, "leaseExpiresAt" = ?, "updatedAt" = ? WHERE "id" = ? AND "workerId" = ? AND "status" = ?`,
  insertJob: `INSERT INTO "BulkUploadJob" ("status", "filePath", "fileName", "fileSizeBytes", "dryRun", "allowZeroPrices", "requestId", "traceContext", "createdAt", "updatedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
  /** Fenced by the attempts read with the candidate and by the claimable condition: one taker. */
  claimJob: `UPDATE "BulkUploadJob" SET "status" = ?, "workerId" = ?, "attempts" = ?, "leaseExpiresAt" = ?, "startedAt" = ?, "updatedAt" = ?
    WHERE "id" = ? AND "attempts" = ? AND ${CLAIMABLE}`,
  giveUpJob: `UPDATE "BulkUploadJob" SET "status" = ?, "errorMessage" = ?, "finishedAt" = ?, "leaseExpiresAt" = NULL, "updatedAt" = ?
    WHERE "id" = ? AND "attempts" = ? AND ${CLAIMABLE}`,
  releaseLease: `UPDATE "BulkUploadJob" SET "leaseExpiresAt" = ?, "attempts" = "attempts" - 1, "updatedAt" = ?
    WHERE "id" = ? AND "workerId" = ? AND "status" = ?`,
  saveHeader: `UPDATE "BulkUploadJob" SET "columns" = ?, "checkpointByte" = ?, "checkpointLine" = ?, "updatedAt" = ? WHERE "id" = ? AND "workerId" = ?`,
  completeJob: `UPDATE "BulkUploadJob" SET "status" = ?, "totalRows" = ?, "finishedAt" = ?, "leaseExpiresAt" = NULL, "updatedAt" = ?
    WHERE "id" = ? AND "workerId" = ?`,
  failJob: `UPDATE "BulkUploadJob" SET "status" = ?, "errorMessage" = ?, "finishedAt" = ?, "leaseExpiresAt" = NULL, "updatedAt" = ? WHERE "id" = ?`,
};

export const samples = (): string[] => [
  insertProducts(1), insertProducts(ROWS_PER_STATEMENT), upsertProducts(1), upsertProducts(ROWS_PER_STATEMENT), insertRowErrors(1), insertRowErrors(3),
];

export type NewJob = { filePath: string; fileName: string | null; fileSizeBytes: number; dryRun: boolean; allowZeroPrices: boolean } & Origin;

/** Queues a bulk upload job; returns its id. */
export async function insertJob(sql: Sql, job: NewJob, now = new Date()): Promise<number> {
  const row = await sql.get<{ id: number }>(statements.insertJob, [
    BulkUploadJobStatus.QUEUED, job.filePath, job.fileName, job.fileSizeBytes, job.dryRun, job.allowZeroPrices, job.requestId, job.traceContext, now, now,
  ]);
  return row!.id;
}

const claimable = (now: Date) => [BulkUploadJobStatus.QUEUED, BulkUploadJobStatus.PROCESSING, now];

export type ClaimCandidate = { id: number; attempts: number; startedAt: Date | null };

/** Takes a claimable job for workerId unless another taker changed it since it was read: true when this one took it. */
export async function claimJob(sql: Sql, job: ClaimCandidate, workerId: string, leaseUntil: Date, now: Date): Promise<boolean> {
  const params = [BulkUploadJobStatus.PROCESSING, workerId, job.attempts + 1, leaseUntil, job.startedAt ?? now, now, job.id, job.attempts, ...claimable(now)];
  return (await sql.run(statements.claimJob, params)) === 1;
}

/** FAILs a claimable job whose attempts are spent, unless another taker changed it since it was read: true when it did. */
export async function giveUpJob(sql: Sql, job: { id: number; attempts: number }, errorMessage: string, now: Date): Promise<boolean> {
  const params = [BulkUploadJobStatus.FAILED, errorMessage, now, now, job.id, job.attempts, ...claimable(now)];
  return (await sql.run(statements.giveUpJob, params)) === 1;
}

/** A job this worker stopped on (a shutdown, not a failure) is immediately claimable by the next worker, its attempt given back. */
export async function releaseLease(sql: Sql, jobId: number, workerId: string, now: Date): Promise<void> {
  await sql.run(statements.releaseLease, [new Date(0), now, jobId, workerId, BulkUploadJobStatus.PROCESSING]);
}

/** Saves the header's columns with the checkpoint past it, while workerId holds the job: false when it no longer does. */
export async function saveHeader(sql: Sql, jobId: number, workerId: string, columns: string[], at: { byte: number; line: number }, now: Date): Promise<boolean> {
  return (await sql.run(statements.saveHeader, [JSON.stringify(columns), at.byte, at.line, now, jobId, workerId])) === 1;
}

export async function completeJob(sql: Sql, jobId: number, workerId: string, totalRows: number, now: Date): Promise<void> {
  await sql.run(statements.completeJob, [BulkUploadJobStatus.COMPLETED, totalRows, now, now, jobId, workerId]);
}

export async function failJob(sql: Sql, jobId: number, errorMessage: string, now: Date): Promise<void> {
  await sql.run(statements.failJob, [BulkUploadJobStatus.FAILED, errorMessage, now, now, jobId]);
}
