import type BetterSqlite3 from "better-sqlite3";
import { withSqliteConnection } from "../../db/index.js";
import type { FieldError, ProductRow } from "./rows.js";
import type { Checkpoint } from "./parser.js";

export interface Batch {
  jobId: number;
  workerId: string;
  dryRun: boolean;
  rows: ProductRow[];
  errors: (FieldError & { row: number; line: number })[];
  /** Where the job stands once this batch is committed. */
  checkpoint: Checkpoint;
  counts: { processed: number; succeeded: number; failed: number };
  leaseUntil: Date;
}

export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`bulk job ${jobId}: another worker took it over`);
  }
}

/** The adapter's DateTime text format, so Prisma reads these rows like its own. */
const timestamp = (d: Date) => d.toISOString().replace("Z", "+00:00");

const statements = new WeakMap<BetterSqlite3.Database, ReturnType<typeof prepare>>();

function prepare(conn: BetterSqlite3.Database) {
  return {
    upsert: conn.prepare(
      `INSERT INTO "Product" (sku, name, description, priceCents, stockQuantity, createdAt, updatedAt)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(sku) DO UPDATE SET name = excluded.name, description = excluded.description,
         priceCents = excluded.priceCents, stockQuantity = excluded.stockQuantity, updatedAt = excluded.updatedAt`,
    ),
    insert: conn.prepare(
      `INSERT INTO "Product" (sku, name, description, priceCents, stockQuantity, createdAt, updatedAt)
       VALUES (NULL, ?, ?, ?, ?, ?, ?)`,
    ),
    error: conn.prepare(`INSERT INTO "BulkUploadRowError" (jobId, row, line, "column", message) VALUES (?, ?, ?, ?, ?)`),
    checkpoint: conn.prepare(
      `UPDATE "BulkUploadJob" SET processedRows = ?, succeededRows = ?, failedRows = ?, checkpointByte = ?,
         checkpointLine = ?, leaseExpiresAt = ?, updatedAt = ?
       WHERE id = ? AND workerId = ? AND status = 'PROCESSING'`,
    ),
  };
}

/**
 * Writes one batch and its checkpoint in one SQLite transaction with prepared
 * statements: rows with a sku upsert by sku, rows without insert, row errors
 * are stored, and the job's progress moves, all or nothing. A crash before the
 * commit leaves the previous checkpoint, so no row is ever written twice.
 */
export function writeBatchSqlite(batch: Batch): Promise<void> {
  return withSqliteConnection((conn) => {
    let s = statements.get(conn);
    if (!s) statements.set(conn, (s = prepare(conn)));
    const now = timestamp(new Date());
    conn.transaction(() => {
      if (!batch.dryRun) {
        for (const r of batch.rows) {
          if (r.sku) s.upsert.run(r.sku, r.name, r.description, r.priceCents, r.stockQuantity, now, now);
          else s.insert.run(r.name, r.description, r.priceCents, r.stockQuantity, now, now);
        }
      }
      for (const e of batch.errors) s.error.run(batch.jobId, e.row, e.line, e.column, e.message);
      const { processed, succeeded, failed } = batch.counts;
      const { byte, line } = batch.checkpoint;
      const moved = s.checkpoint.run(processed, succeeded, failed, byte, line, timestamp(batch.leaseUntil), now, batch.jobId, batch.workerId);
      if (moved.changes !== 1) throw new LeaseLostError(batch.jobId);
    })();
  });
}
