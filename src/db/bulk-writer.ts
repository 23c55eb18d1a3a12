import type BetterSqlite3 from "better-sqlite3";
import { postgresPool, withSqliteConnection } from "./index.js";

export interface ProductRow {
  sku: string | null;
  name: string;
  description: string | null;
  priceCents: number;
  stockQuantity: number;
}

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
export function writeProductBatch(batch: Batch): Promise<void> {
  return postgresPool() ? writeBatchPostgres(batch) : writeBatchSqlite(batch);
}

function writeBatchSqlite(batch: Batch): Promise<void> {
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

/**
 * The same batch on PostgreSQL, in one transaction on the driver pool:
 * multi-row INSERT ... ON CONFLICT ("sku") DO UPDATE. PostgreSQL refuses one
 * statement touching a row twice, so within a statement the last row per sku wins.
 */
async function writeBatchPostgres(batch: Batch): Promise<void> {
  const client = await postgresPool()!.connect();
  // ISO text: stored as UTC in the zone-less timestamp columns, as Prisma stores them.
  const now = new Date().toISOString();
  try {
    await client.query("BEGIN");
    if (!batch.dryRun) {
      for (let i = 0; i < batch.rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = batch.rows.slice(i, i + ROWS_PER_STATEMENT);
        const withSku = [...new Map(chunk.filter((r) => r.sku).map((r) => [r.sku, r])).values()];
        const withoutSku = chunk.filter((r) => !r.sku);
        if (withSku.length) await client.query(pgInsert(withSku.length) + PG_UPSERT, withSku.flatMap((r) => pgParams(r, now)));
        if (withoutSku.length) await client.query(pgInsert(withoutSku.length), withoutSku.flatMap((r) => pgParams(r, now)));
      }
    }
    for (let i = 0; i < batch.errors.length; i += ROWS_PER_STATEMENT) {
      const chunk = batch.errors.slice(i, i + ROWS_PER_STATEMENT);
      const values = chunk.map((_, k) => `($${k * 5 + 1}, $${k * 5 + 2}, $${k * 5 + 3}, $${k * 5 + 4}, $${k * 5 + 5})`).join(", ");
      await client.query(
        `INSERT INTO "BulkUploadRowError" ("jobId", "row", "line", "column", "message") VALUES ${values}`,
        chunk.flatMap((e) => [batch.jobId, e.row, e.line, e.column, e.message]),
      );
    }
    const { processed, succeeded, failed } = batch.counts;
    const moved = await client.query(
      `UPDATE "BulkUploadJob" SET "processedRows" = $1, "succeededRows" = $2, "failedRows" = $3, "checkpointByte" = $4,
         "checkpointLine" = $5, "leaseExpiresAt" = $6, "updatedAt" = $7
       WHERE "id" = $8 AND "workerId" = $9 AND "status" = 'PROCESSING'`,
      [processed, succeeded, failed, batch.checkpoint.byte, batch.checkpoint.line, batch.leaseUntil.toISOString(), now, batch.jobId, batch.workerId],
    );
    if (moved.rowCount !== 1) throw new LeaseLostError(batch.jobId);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const pgInsert = (rows: number) =>
  `INSERT INTO "Product" ("sku", "name", "description", "priceCents", "stockQuantity", "createdAt", "updatedAt") VALUES ` +
  Array.from({ length: rows }, (_, k) => `(${Array.from({ length: FIELDS }, (_, f) => `$${k * FIELDS + f + 1}`).join(", ")})`).join(", ");
const PG_UPSERT = ` ON CONFLICT ("sku") DO UPDATE SET "name" = excluded."name", "description" = excluded."description",
  "priceCents" = excluded."priceCents", "stockQuantity" = excluded."stockQuantity", "updatedAt" = excluded."updatedAt"`;
const pgParams = (r: ProductRow, now: string) => [r.sku, r.name, r.description, r.priceCents, r.stockQuantity, now, now];
