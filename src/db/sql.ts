import { driverConnection } from "./client.js";
import type { DriverSql, Sql } from "./driver.js";
import { postgresTransaction } from "./sql-postgres.js";
import { sqliteTransaction } from "./sql-sqlite.js";

export type { Sql } from "./driver.js";

/**
 * Runs fn in one short transaction on the driver: every write of the gateway
 * runs in one (the ORM is for reads and migrations). SQLite waits at most DB_TRANSACTION_MAX_WAIT_MS for the
 * write lock and PostgreSQL DB_POOL_ACQUIRE_TIMEOUT_MS for a connection (then
 * 503); past DB_TRANSACTION_TIMEOUT_MS the next statement fails and the
 * transaction rolls back. Network calls inside are refused, and so is the ORM
 * (in development and tests it throws at once: ./client.ts).
 */
export async function sqlTransaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const connection = driverConnection();
  const requestedAt = performance.now();
  let committed: (() => void)[] | undefined;
  const body = (sql: DriverSql) =>
    fn(Object.assign(sql, { afterCommit: (hook: () => void) => void (committed ??= []).push(hook) }) as Sql);
  const result =
    connection.provider === "sqlite"
      ? await sqliteTransaction(connection, requestedAt, body)
      : await postgresTransaction(connection.pool, requestedAt, connection.timeoutMs, body);
  if (committed) for (const hook of committed) hook();
  return result;
}
