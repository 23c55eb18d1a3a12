import type BetterSqlite3 from "better-sqlite3";
import { withSqliteConnection } from "../../db/index.js";
import type { FieldError, ProductRow } from "./rows.js";
import type { Checkpoint } from "./processor.js";

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

/** Rows per multi-row INSERT: far fewer statement executions, well under SQLite's parameter limit. */
const ROWS_PER_STATEMENT = 100;
const COLUMNS = `INSERT INTO "Product" (sku, name, description, priceCents, stockQuantity, createdAt, updatedAt) VALUES `;
const UPSERT = ` ON CONFLICT(sku) DO UPDATE SET name = excluded.name, description = excluded.description,
  priceCents = excluded.priceCents, stockQuantity = excluded.stockQuantity, updatedAt = excluded.updatedAt`;
const values = (rows: number) => Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?)").join(", ");

function prepare(conn: BetterSqlite3.Database) {
  return {
    upsert: conn.prepare(COLUMNS + values(1) + UPSERT),
    upsertMany: conn.prepare(COLUMNS + values(ROWS_PER_STATEMENT) + UPSERT),
    insert: conn.prepare(COLUMNS + values(1)),
    insertMany: conn.prepare(COLUMNS + values(ROWS_PER_STATEMENT)),
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
 * multi-row statements: rows with a sku upsert by sku, rows without insert, row errors
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
        // Rows with a sku upsert (a later row for the same sku wins); rows without insert.
        writeRows(batch.rows, true, s.upsertMany, s.upsert, now);
        writeRows(batch.rows, false, s.insertMany, s.insert, now);
      }
      for (const e of batch.errors) s.error.run(batch.jobId, e.row, e.line, e.column, e.message);
      const { processed, succeeded, failed } = batch.counts;
      const { byte, line } = batch.checkpoint;
      const moved = s.checkpoint.run(processed, succeeded, failed, byte, line, timestamp(batch.leaseUntil), now, batch.jobId, batch.workerId);
      if (moved.changes !== 1) throw new LeaseLostError(batch.jobId);
    })();
  });
}

const FIELDS = 7;
const params = new Array<unknown>(ROWS_PER_STATEMENT * FIELDS);

/** Writes the rows with (or without) a sku, 100 per statement, through one reused parameter array (no garbage per row). */
function writeRows(rows: Batch["rows"], withSku: boolean, many: BetterSqlite3.Statement, one: BetterSqlite3.Statement, now: string): void {
  let filled = 0;
  for (const r of rows) {
    if ((r.sku !== null) !== withSku) continue;
    const at = filled * FIELDS;
    params[at] = r.sku;
    params[at + 1] = r.name;
    params[at + 2] = r.description;
    params[at + 3] = r.priceCents;
    params[at + 4] = r.stockQuantity;
    params[at + 5] = now;
    params[at + 6] = now;
    if (++filled === ROWS_PER_STATEMENT) {
      many.run(params);
      filled = 0;
    }
  }
  for (let i = 0; i < filled; i++) one.run(params.slice(i * FIELDS, (i + 1) * FIELDS));
}
