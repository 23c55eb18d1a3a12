import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PrismaClient, Prisma } from "../generated/sqlite/client.js";
import type { Config } from "../config.js";
import BetterSqlite3 from "better-sqlite3";
import { SerializedSqliteAdapterFactory, sqlitePragmas } from "./sqlite-adapter.js";
import type { Mutex } from "../lib/mutex.js";
import { dbMetrics } from "../lib/metrics.js";

export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;
export type DbClient = Db | Tx;
export { Prisma };

export type DatabaseProvider = "sqlite" | "postgresql";

export interface QueryEvent {
  query: string;
  durationMs: number;
}

interface Database {
  client: Db;
  /** SQLite only: the raw connection for bulk writes, and the lock it shares with the client. */
  sqlite?: {
    file: string;
    lock: Mutex;
    busyTimeoutMs: number;
    raw?: BetterSqlite3.Database;
    reader?: { conn: BetterSqlite3.Database; statements: Map<string, BetterSqlite3.Statement> };
  };
  provider: DatabaseProvider;
  transactionOptions: { maxWait: number; timeout: number };
}

let current: Database | undefined;
const queryListeners = new Set<(event: QueryEvent) => void>();
const openTransaction = new AsyncLocalStorage<{ startedAt: number }>();

export function databaseProvider(url: string): DatabaseProvider {
  return url.startsWith("file:") ? "sqlite" : "postgresql";
}

/** The file an SQLite `file:` URL points at, resolved against the working directory. */
export function sqliteFilePath(url: string): string {
  return resolve(url.slice("file:".length).replace(/\?.*$/, ""));
}

/** Opens the process-wide client. Everything else reaches it through `db()`. */
export function openDatabase(config: Config): Db {
  if (current) throw new Error("database already open");
  const provider = databaseProvider(config.DATABASE_URL);
  if (provider !== "sqlite") {
    throw new Error("PostgreSQL is not supported yet: set DATABASE_URL to a file: URL");
  }
  const file = sqliteFilePath(config.DATABASE_URL);
  mkdirSync(dirname(file), { recursive: true });
  const adapter = new SerializedSqliteAdapterFactory(`file:${file}`, {
    busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS,
    // A statement waits for an open transaction at most this long, then fails fast (503).
    queueTimeoutMs: config.DB_TRANSACTION_MAX_WAIT_MS,
  });
  const client = new PrismaClient({
    adapter,
    log: [{ emit: "event", level: "query" }],
  });
  client.$on("query", (e) => emitQuery({ query: e.query, durationMs: e.duration }));
  current = {
    client,
    provider,
    sqlite: { file, lock: adapter.lock, busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS },
    transactionOptions: {
      maxWait: config.DB_TRANSACTION_MAX_WAIT_MS,
      timeout: config.DB_TRANSACTION_TIMEOUT_MS,
    },
  };
  return client;
}

export function db(): Db {
  if (!current) throw new Error("database not open: call openDatabase(config) first");
  return current.client;
}

export async function closeDatabase(): Promise<void> {
  const closing = current;
  current = undefined;
  if (closing?.sqlite?.raw) await closing.sqlite.lock.run(async () => closing.sqlite!.raw!.close());
  closing?.sqlite?.reader?.conn.close();
  await closing?.client.$disconnect();
}

/**
 * Hot read paths (the storefront's product list) skip the ORM: Prisma's query
 * compiler costs about 0.8 ms per findMany here, a prepared statement 0.06 ms
 * (bench/README.md). A read-only connection in WAL mode sees only committed
 * data, so it needs no lock. SQL must be portable; dates come back as text.
 */
export function readRows<T>(sql: string, params: unknown[]): T[] {
  const sqlite = current?.sqlite;
  if (!sqlite) throw new Error("readRows needs an open SQLite database");
  if (!sqlite.reader) {
    const conn = new BetterSqlite3(sqlite.file, { readonly: true });
    conn.pragma(`busy_timeout = ${sqlite.busyTimeoutMs}`);
    sqlite.reader = { conn, statements: new Map() };
  }
  let statement = sqlite.reader.statements.get(sql);
  if (!statement) sqlite.reader.statements.set(sql, (statement = sqlite.reader.conn.prepare(sql)));
  const started = performance.now();
  const rows = statement.all(...params) as T[];
  emitQuery({ query: sql, durationMs: performance.now() - started });
  return rows;
}

/**
 * Runs fn with the raw better-sqlite3 connection (the bulk import's write path:
 * prepared statements, far faster than the ORM for millions of rows), holding
 * the same lock as every Prisma statement, so the two never contend for
 * SQLite's write lock. fn is synchronous: one better-sqlite3 transaction.
 */
export function withSqliteConnection<T>(fn: (conn: BetterSqlite3.Database) => T): Promise<T> {
  const sqlite = current?.sqlite;
  if (!sqlite) throw new Error("withSqliteConnection needs an open SQLite database");
  return sqlite.lock.run(async () => {
    if (!sqlite.raw) {
      sqlite.raw = new BetterSqlite3(sqlite.file);
      for (const pragma of sqlitePragmas(sqlite.busyTimeoutMs)) sqlite.raw.exec(pragma);
    }
    return fn(sqlite.raw);
  });
}

function emitQuery(event: QueryEvent): void {
  for (const listener of queryListeners) listener(event);
}

/** Subscribes to every SQL statement the app runs (ORM or driver); returns the unsubscribe function. */
export function onQuery(listener: (event: QueryEvent) => void): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

/**
 * Runs fn in one short database transaction. Network calls must never happen
 * inside: the external clients check `isInTransaction()` and refuse to run
 * (docs/postmortems). Limits come from DB_TRANSACTION_MAX_WAIT_MS / _TIMEOUT_MS.
 */
export function transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  const { client, transactionOptions } = current ?? { client: db(), transactionOptions: {} };
  const requestedAt = performance.now();
  return client.$transaction((tx) => {
    const startedAt = performance.now();
    dbMetrics.connectionWait.observe((startedAt - requestedAt) / 1000);
    return openTransaction.run({ startedAt }, async () => {
      try {
        return await fn(tx);
      } finally {
        dbMetrics.transactionDuration.observe((performance.now() - startedAt) / 1000);
      }
    });
  }, transactionOptions);
}

export function isInTransaction(): boolean {
  return openTransaction.getStore() !== undefined;
}

export async function pingDatabase(): Promise<void> {
  await db().$queryRawUnsafe("SELECT 1");
}

/**
 * Runs fn inside a savepoint of an open transaction: if it throws, only its
 * writes are undone and the transaction goes on (to record the failure).
 */
export async function withSavepoint<T>(tx: Tx, name: string, fn: () => Promise<T>): Promise<T> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`bad savepoint name ${name}`);
  await tx.$executeRawUnsafe(`SAVEPOINT ${name}`);
  try {
    const result = await fn();
    await tx.$executeRawUnsafe(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT ${name}`);
    throw error;
  }
}
