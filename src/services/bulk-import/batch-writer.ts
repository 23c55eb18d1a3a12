import type BetterSqlite3 from "better-sqlite3";
import { postgresPool, withSqliteConnection } from "../../db/index.js";
import { postgresStatement } from "../../db/pg-statements.js";
import { sqliteTimestamp } from "../../db/rows.js";
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
 * Writes one batch and its checkpoint in one transaction on the driver:
 * rows with a sku upsert by sku, rows without insert, row errors are stored,
 * and the job's progress moves, all or nothing. A crash before the commit
 * leaves the previous checkpoint, so no row is ever written twice.
 */
export function writeProductBatch(batch: Batch): Promise<void> {
  return postgresPool() ? writeBatchPostgres(batch) : writeBatchSqlite(batch);
}

const prepared = new WeakMap<BetterSqlite3.Database, ReturnType<typeof prepare>>();

function prepare(conn: BetterSqlite3.Database) {
  return {
    upsert: conn.prepare(upsertProducts(1)),
    upsertMany: conn.prepare(upsertProducts(ROWS_PER_STATEMENT)),
    insert: conn.prepare(insertProducts(1)),
    insertMany: conn.prepare(insertProducts(ROWS_PER_STATEMENT)),
    error: conn.prepare(insertRowErrors(1)),
    checkpoint: conn.prepare(statements.checkpoint),
  };
}

/** SQLite: prepared statements on the raw writer, synchronous, under the lock the ORM shares. */
function writeBatchSqlite(batch: Batch): Promise<void> {
  return withSqliteConnection((conn) => {
    let s = prepared.get(conn);
    if (!s) prepared.set(conn, (s = prepare(conn)));
    const now = sqliteTimestamp(new Date());
    conn.transaction(() => {
      if (!batch.dryRun) {
        writeRows(batch.rows, true, s.upsertMany, s.upsert, now);
        writeRows(batch.rows, false, s.insertMany, s.insert, now);
      }
      for (const e of batch.errors) s.error.run(batch.jobId, e.row, e.line, e.column, e.message);
      const { processed, succeeded, failed } = batch.counts;
      const { byte, line } = batch.checkpoint;
      const leaseUntil = sqliteTimestamp(batch.leaseUntil);
      const moved = s.checkpoint.run(processed, succeeded, failed, byte, line, leaseUntil, now, batch.jobId, batch.workerId, BulkUploadJobStatus.PROCESSING);
      if (moved.changes !== 1) throw new LeaseLostError(batch.jobId);
    })();
  });
}

const params = new Array<unknown>(ROWS_PER_STATEMENT * PRODUCT_FIELDS);

/** Writes the rows with (or without) a sku, 100 per statement, through one reused parameter array (no garbage per row). */
function writeRows(rows: Batch["rows"], withSku: boolean, many: BetterSqlite3.Statement, one: BetterSqlite3.Statement, now: string): void {
  let filled = 0;
  for (const r of rows) {
    if ((r.sku !== null) !== withSku) continue;
    const at = filled * PRODUCT_FIELDS;
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
  for (let i = 0; i < filled; i++) one.run(params.slice(i * PRODUCT_FIELDS, (i + 1) * PRODUCT_FIELDS));
}

/**
 * PostgreSQL: the same statements in one transaction on the driver pool.
 * PostgreSQL refuses one statement touching a row twice, so within a
 * statement the last row per sku wins.
 */
async function writeBatchPostgres(batch: Batch): Promise<void> {
  const client = await postgresPool()!.connect();
  const run = (text: string, values: unknown[]) => client.query({ ...postgresStatement(text), values });
  // ISO text: stored as UTC in the zone-less timestamp columns, as Prisma stores them.
  const now = new Date().toISOString();
  try {
    await client.query("BEGIN");
    if (!batch.dryRun) {
      for (let i = 0; i < batch.rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = batch.rows.slice(i, i + ROWS_PER_STATEMENT);
        const withSku = [...new Map(chunk.filter((r) => r.sku).map((r) => [r.sku, r])).values()];
        const withoutSku = chunk.filter((r) => !r.sku);
        if (withSku.length) await run(upsertProducts(withSku.length), withSku.flatMap((r) => productParams(r, now)));
        if (withoutSku.length) await run(insertProducts(withoutSku.length), withoutSku.flatMap((r) => productParams(r, now)));
      }
    }
    for (let i = 0; i < batch.errors.length; i += ROWS_PER_STATEMENT) {
      const chunk = batch.errors.slice(i, i + ROWS_PER_STATEMENT);
      await run(insertRowErrors(chunk.length), chunk.flatMap((e) => [batch.jobId, e.row, e.line, e.column, e.message]));
    }
    const { processed, succeeded, failed } = batch.counts;
    const moved = await run(statements.checkpoint, [
      processed, succeeded, failed, batch.checkpoint.byte, batch.checkpoint.line, batch.leaseUntil.toISOString(), now,
      batch.jobId, batch.workerId, BulkUploadJobStatus.PROCESSING,
    ]);
    if (moved.rowCount !== 1) throw new LeaseLostError(batch.jobId);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const productParams = (r: ProductRow, now: string) => [r.sku, r.name, r.description, r.priceCents, r.stockQuantity, now, now];
