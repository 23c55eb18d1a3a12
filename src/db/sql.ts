import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { TransientError } from "../errors.js";
import { driverConnection, emitQuery, instrumentTransaction, type DatabaseProvider } from "./index.js";

/**
 * A transaction on the driver: the hot write paths (checkout, payment,
 * idempotency keys) run here rather than through the ORM, whose query compiler
 * costs about 0.7 ms of CPU per statement against 0.02-0.06 ms for a prepared
 * statement (bench/README.md). SQL is written once for both engines: `?`
 * placeholders, quoted identifiers, `RETURNING`. Date and boolean parameters
 * are stored as Prisma stores them; timestamps read back may be text (SQLite)
 * or Date, booleans 0/1 or true/false: use `toDate` and truthiness.
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
}

export function toDate(value: unknown): Date;
export function toDate(value: unknown | null): Date | null;
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string);
}

/**
 * Runs fn in one short transaction on the driver, with the limits of
 * `transaction()`: SQLite waits at most DB_TRANSACTION_MAX_WAIT_MS for the
 * write lock and PostgreSQL DB_POOL_ACQUIRE_TIMEOUT_MS for a connection (then
 * 503); past DB_TRANSACTION_TIMEOUT_MS the next statement fails and the
 * transaction rolls back. Network calls inside are refused, as in `transaction()`.
 */
export function sqlTransaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const connection = driverConnection();
  const requestedAt = performance.now();
  if (connection.provider === "sqlite") {
    return connection.lock.run(
      () => instrumentTransaction(requestedAt, () => sqliteTransaction(connection.writer(), connection.timeoutMs, fn)),
      connection.maxWaitMs,
    );
  }
  return postgresTransaction(connection.pool, requestedAt, connection.timeoutMs, fn);
}

function expired(timeoutMs: number): TransientError {
  return new TransientError("DATABASE_UNAVAILABLE", `The database transaction ran past its ${timeoutMs} ms limit; retry shortly`, 1);
}

// SQLite ---------------------------------------------------------------------

const sqliteStatements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** Prisma's DateTime text on SQLite, so ISO comparisons in SQL and Prisma's reads both work. */
const sqliteTime = (d: Date) => d.toISOString().replace("Z", "+00:00");
const sqliteParams = (params: readonly unknown[]) =>
  params.map((p) => (p instanceof Date ? sqliteTime(p) : typeof p === "boolean" ? Number(p) : p));

async function sqliteTransaction<T>(conn: BetterSqlite3.Database, timeoutMs: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
  let statements = sqliteStatements.get(conn);
  if (!statements) sqliteStatements.set(conn, (statements = new Map()));
  const cache = statements;
  const deadline = performance.now() + timeoutMs;
  const prepared = (text: string) => {
    if (performance.now() > deadline) throw expired(timeoutMs);
    let statement = cache.get(text);
    if (!statement) cache.set(text, (statement = conn.prepare(text)));
    return statement;
  };
  const timed = <R>(text: string, run: () => R): R => {
    const started = performance.now();
    try {
      return run();
    } finally {
      emitQuery({ query: text, durationMs: performance.now() - started });
    }
  };
  let savepoints = 0;
  const sql: Sql = {
    provider: "sqlite",
    all: async <R>(text: string, params: readonly unknown[] = []) => {
      const statement = prepared(text);
      return timed(text, () => statement.all(...sqliteParams(params)) as R[]);
    },
    get: async <R>(text: string, params: readonly unknown[] = []) => {
      const statement = prepared(text);
      return timed(text, () => statement.get(...sqliteParams(params)) as R | undefined);
    },
    run: async (text, params = []) => {
      const statement = prepared(text);
      return timed(text, () => statement.run(...sqliteParams(params)).changes);
    },
    savepoint: (body) => withSavepoint(`sp_${++savepoints}`, (text) => conn.exec(text), body),
  };
  conn.exec("BEGIN IMMEDIATE");
  try {
    const result = await fn(sql);
    if (performance.now() > deadline) throw expired(timeoutMs);
    conn.exec("COMMIT");
    return result;
  } finally {
    if (conn.inTransaction) conn.exec("ROLLBACK");
  }
}

// PostgreSQL -----------------------------------------------------------------

/** `?` placeholders as `$n`, and a name per statement text, so each connection prepares it once. */
const postgresStatements = new Map<string, { name: string; text: string }>();

function postgresStatement(text: string): { name: string; text: string } {
  let statement = postgresStatements.get(text);
  if (!statement) {
    let n = 0;
    statement = { name: `shop_${postgresStatements.size + 1}`, text: text.replace(/\?/g, () => `$${++n}`) };
    postgresStatements.set(text, statement);
  }
  return statement;
}

/** ISO text: stored as UTC in the zone-less timestamp columns, as Prisma stores them. */
const postgresParams = (params: readonly unknown[]) => params.map((p) => (p instanceof Date ? p.toISOString() : p));

async function postgresTransaction<T>(pool: pg.Pool, requestedAt: number, timeoutMs: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
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
        provider: "postgresql",
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

// Both -----------------------------------------------------------------------

async function withSavepoint<T>(name: string, exec: (text: string) => unknown, body: () => Promise<T>): Promise<T> {
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
