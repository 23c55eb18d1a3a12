import { engine } from "../../db/index.js";
import { BulkUploadJobStatus } from "../../generated/sqlite/enums.js";
import type { ProductRow } from "./rows.js";
import { insertProducts, insertRowErrors, PRODUCT_FIELDS, ROWS_PER_STATEMENT, statements, upsertProducts } from "./sql.js";

export interface Batch {
  jobId: number;
  workerId: string;
  dryRun: boolean;
  rows: ProductRow[];
  errors: { column: string | null; message: string; row: number; line: number }[];
  /** Where the job stands once this batch is committed. */
  checkpoint: { byte: number; line: number };
  counts: { processed: number; succeeded: number; failed: number };
  leaseUntil: Date;
}

export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`bulk job ${jobId}: another worker took it over`);
  }
}

/**
 * Writes one batch and its checkpoint in one bulk write (the engine's
 * `writeBatch`: prepared statements, 100 rows each): rows with a sku upsert
 * by sku, rows without insert, row errors are stored, and the job's progress
 * moves, all or nothing. A crash before the commit leaves the previous
 * checkpoint, so no row is ever written twice.
 */
export function writeProductBatch(batch: Batch): Promise<void> {
  const now = new Date();
  return engine().writeBatch(async (writer) => {
    if (!batch.dryRun) {
      for (let i = 0; i < batch.rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = batch.rows.slice(i, i + ROWS_PER_STATEMENT);
        // PostgreSQL refuses one statement touching a row twice: within a statement the last row per sku wins.
        const withSku = [...new Map(chunk.filter((r) => r.sku !== null).map((r) => [r.sku, r])).values()];
        const withoutSku = chunk.filter((r) => r.sku === null);
        if (withSku.length) await writer.run(upsertProducts(withSku.length), productParams(withSku, now));
        if (withoutSku.length) await writer.run(insertProducts(withoutSku.length), productParams(withoutSku, now));
      }
    }
    for (let i = 0; i < batch.errors.length; i += ROWS_PER_STATEMENT) {
      const chunk = batch.errors.slice(i, i + ROWS_PER_STATEMENT);
      await writer.run(insertRowErrors(chunk.length), chunk.flatMap((e) => [batch.jobId, e.row, e.line, e.column, e.message]));
    }
    const { processed, succeeded, failed } = batch.counts;
    const moved = await writer.run(statements.checkpoint, [
      processed, succeeded, failed, batch.checkpoint.byte, batch.checkpoint.line, batch.leaseUntil, now,
      batch.jobId, batch.workerId, BulkUploadJobStatus.PROCESSING,
    ]);
    if (moved !== 1) throw new LeaseLostError(batch.jobId);
  });
}

/** The rows' parameters, in one array filled in place (a million rows make no garbage per row). */
function productParams(rows: readonly ProductRow[], now: Date): unknown[] {
  const params = new Array<unknown>(rows.length * PRODUCT_FIELDS);
  let i = 0;
  for (const r of rows) {
    params[i++] = r.sku;
    params[i++] = r.name;
    params[i++] = r.description;
    params[i++] = r.priceCents;
    params[i++] = r.stockQuantity;
    params[i++] = now;
    params[i++] = now;
  }
  return params;
}
