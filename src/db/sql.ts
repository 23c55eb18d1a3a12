import { TransientError } from "../errors.js";
import { driverConnection, type DatabaseProvider } from "./client.js";
import { postgresTransaction } from "./sql-postgres.js";
import { sqliteTransaction } from "./sql-sqlite.js";

/**
 * A transaction on the driver: the hot write paths (checkout, payment,
 * idempotency keys) run here rather than through the ORM, whose query compiler
 * costs far more CPU per statement than a prepared statement (bench/README.md). SQL is written once for both engines: `?`
 * placeholders, quoted identifiers, `RETURNING`, and lives in one module per
 * aggregate (services/<aggregate>/sql.ts). Date and boolean parameters are
 * stored as Prisma stores them; rows come back as stored, decoded by the
 * module's column lists (./rows.ts).
 */
export interface Sql {
  readonly provider: DatabaseProvider;
  /** The rows of a SELECT, or of a write with RETURNING. */
  all<T>(text: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(text: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a write; returns how many rows it changed. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
  /** Runs fn in a savepoint: if it throws, only its writes are undone and the transaction goes on. */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs fn once the transaction has committed (never if it rolls back): for
   * notices to others, such as subscription events. A listener re-reads the
   * state, so a notice from a savepoint that was undone costs one read.
   */
  afterCommit(fn: () => void): void;
}

/** What each engine's transaction implements; `sqlTransaction` adds `afterCommit`. */
export type DriverSql = Omit<Sql, "afterCommit">;

/**
 * Runs fn in one short transaction on the driver, with the limits of
 * `transaction()`: SQLite waits at most DB_TRANSACTION_MAX_WAIT_MS for the
 * write lock and PostgreSQL DB_POOL_ACQUIRE_TIMEOUT_MS for a connection (then
 * 503); past DB_TRANSACTION_TIMEOUT_MS the next statement fails and the
 * transaction rolls back. Network calls inside are refused, as in `transaction()`.
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

export function expired(timeoutMs: number): TransientError {
  return new TransientError("DATABASE_UNAVAILABLE", `The database transaction ran past its ${timeoutMs} ms limit; retry shortly`, 1);
}

// Both -----------------------------------------------------------------------

export async function withSavepoint<T>(name: string, exec: (text: string) => unknown, body: () => Promise<T>): Promise<T> {
  await exec(`SAVEPOINT ${name}`);
  try {
    const result = await body();
    await exec(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await exec(`ROLLBACK TO SAVEPOINT ${name}`);
    await exec(`RELEASE SAVEPOINT ${name}`);
    throw error;
  }
}
