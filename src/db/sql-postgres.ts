import type pg from "pg";
import { emitQuery } from "./query-events.js";
import { postgresParams } from "./rows.js";
import { postgresStatement } from "./pg-statements.js";
import { expired, instrumentTransaction, withSavepoint, type DriverSql as Sql } from "./driver.js";

export async function postgresTransaction<T>(pool: pg.Pool, requestedAt: number, timeoutMs: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    return await instrumentTransaction(requestedAt, async () => {
      const deadline = performance.now() + timeoutMs;
      const query = async <R>(text: string, params: readonly unknown[]) => {
        if (performance.now() > deadline) throw expired(timeoutMs);
        const started = performance.now();
        try {
          return await client.query<R & pg.QueryResultRow>({ ...postgresStatement(text), values: postgresParams(params) });
        } finally {
          emitQuery({ query: text, durationMs: performance.now() - started });
        }
      };
      let savepoints = 0;
      const sql: Sql = {
        all: async <R>(text: string, params: readonly unknown[] = []) => (await query<R>(text, params)).rows,
        get: async <R>(text: string, params: readonly unknown[] = []) => (await query<R>(text, params)).rows[0],
        run: async (text, params = []) => (await query(text, params)).rowCount ?? 0,
        savepoint: (body) => withSavepoint(`sp_${++savepoints}`, (text) => client.query(text), body),
      };
      await client.query("BEGIN");
      try {
        const result = await fn(sql);
        if (performance.now() > deadline) throw expired(timeoutMs);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        throw error;
      }
    });
  } finally {
    // A connection whose rollback failed is in an unknown state: the pool drops it.
    client.release(broken);
  }
}

