import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PrismaClient, Prisma } from "../generated/sqlite/client.js";
import { PrismaClient as PostgresPrismaClient } from "../generated/postgres/client.js";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Config } from "../config.js";
import BetterSqlite3 from "better-sqlite3";
import { SerializedSqliteAdapterFactory, sqlitePragmas } from "./sqlite-adapter.js";
import { startCheckpointer, type Checkpointer } from "./checkpointer.js";
import { postgresStatement } from "./pg-statements.js";
import type { Mutex } from "../lib/mutex.js";
import type { Logger } from "../lib/logger.js";
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
    reader?: { conn: BetterSqlite3.Database; statements: Map<string, RowReader> };
    checkpointer: Checkpointer;
  };
  /** PostgreSQL only: a pool for the driver paths (hot reads, bulk writes), beside Prisma's. */
  postgres?: { raw: pg.Pool; prisma: pg.Pool };
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
export function openDatabase(config: Config, logger?: Pick<Logger, "error">): Db {
  if (current) throw new Error("database already open");
  const provider = databaseProvider(config.DATABASE_URL);
  const opened = provider === "sqlite" ? openSqlite(config, logger) : openPostgres(config);
  const events = opened.client as unknown as { $on(event: "query", listener: (e: Prisma.QueryEvent) => void): void };
  events.$on("query", (e) => emitQuery({ query: e.query, durationMs: e.duration }));
  current = {
    ...opened,
    provider,
    transactionOptions: {
      maxWait: config.DB_TRANSACTION_MAX_WAIT_MS,
      timeout: config.DB_TRANSACTION_TIMEOUT_MS,
    },
  };
  return opened.client;
}

function openSqlite(config: Config, logger?: Pick<Logger, "error">): Pick<Database, "client" | "sqlite"> {
  const file = sqliteFilePath(config.DATABASE_URL);
  mkdirSync(dirname(file), { recursive: true });
  const adapter = new SerializedSqliteAdapterFactory(`file:${file}`, {
    busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS,
    // A statement waits for an open transaction at most this long, then fails fast (503).
    queueTimeoutMs: config.DB_TRANSACTION_MAX_WAIT_MS,
  });
  const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  const checkpointer = startCheckpointer(file, {
    intervalMs: config.SQLITE_CHECKPOINT_INTERVAL_MS,
    busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS,
    onError: (message) => logger?.error({ error: message }, "sqlite WAL checkpoint failed"),
  });
  return { client, sqlite: { file, lock: adapter.lock, busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS, checkpointer } };
}

/** Timestamps are stored without zone, in UTC (as Prisma writes them): read them as UTC. */
const utcTimestamps = {
  getTypeParser: (oid: number, format?: "text" | "binary") =>
    oid === 1114 ? (value: string) => new Date(`${value.replace(" ", "T")}Z`) : pg.types.getTypeParser(oid, format as "text"),
};

/**
 * PostgreSQL through adapter-pg. Pool limits make exhaustion fail fast: at most
 * DB_POOL_SIZE connections, a request waits DB_POOL_ACQUIRE_TIMEOUT_MS for one
 * (then 503), a statement runs at most DB_STATEMENT_TIMEOUT_MS. The client is
 * the PostgreSQL build of the same models, used through the SQLite client's
 * type: the portable subset, so no code outside this module knows the provider.
 */
function openPostgres(config: Config): Pick<Database, "client" | "postgres"> {
  const poolConfig = {
    connectionString: config.DATABASE_URL,
    max: config.DB_POOL_SIZE,
    connectionTimeoutMillis: config.DB_POOL_ACQUIRE_TIMEOUT_MS,
    statement_timeout: config.DB_STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    types: utcTimestamps,
  };
  const prismaPool = new pg.Pool(poolConfig);
  const raw = new pg.Pool({ ...poolConfig, max: Math.max(2, Math.ceil(config.DB_POOL_SIZE / 2)) });
  const client = new PostgresPrismaClient({ adapter: new PrismaPg(prismaPool), log: [{ emit: "event", level: "query" }] });
  return { client: client as unknown as Db, postgres: { raw, prisma: prismaPool } };
}

/** The driver pool on PostgreSQL (bulk writes), undefined on SQLite. */
export function postgresPool(): pg.Pool | undefined {
  return current?.postgres?.raw;
}

/** What /health reports about connections. */
export function poolState(): Record<string, number | string> {
  const postgres = current?.postgres;
  if (!postgres) return { provider: current?.provider ?? "closed" };
  const { totalCount, idleCount, waitingCount } = postgres.prisma;
  return { provider: "postgresql", total: totalCount, idle: idleCount, waiting: waitingCount, max: postgres.prisma.options.max ?? 0 };
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
  await closing?.sqlite?.checkpointer.stop();
  await closing?.client.$disconnect();
  await closing?.postgres?.raw.end();
  await closing?.postgres?.prisma.end().catch(() => {});
}

/**
 * Hot read paths (the storefront's product list) skip the ORM: Prisma's query
 * compiler costs about 0.8 ms per findMany here, a prepared statement 0.06 ms
 * (bench/README.md). SQLite: a read-only connection in WAL mode sees only
 * committed data, so it needs no lock. PostgreSQL: the driver pool. SQL must be
 * portable (`?` placeholders, quoted identifiers); dates may come back as text.
 */
export async function readRows<T>(sql: string, params: unknown[]): Promise<T[]> {
  const postgres = current?.postgres;
  if (postgres) {
    const started = performance.now();
    const result = await postgres.raw.query({ ...postgresStatement(sql), values: params });
    emitQuery({ query: sql, durationMs: performance.now() - started });
    return result.rows as T[];
  }
  const sqlite = current?.sqlite;
  if (!sqlite) throw new Error("readRows needs an open database");
  if (!sqlite.reader) {
    const conn = new BetterSqlite3(sqlite.file, { readonly: true });
    conn.pragma(`busy_timeout = ${sqlite.busyTimeoutMs}`);
    sqlite.reader = { conn, statements: new Map() };
  }
  let reader = sqlite.reader.statements.get(sql);
  if (!reader) sqlite.reader.statements.set(sql, (reader = rowReader(sqlite.reader.conn.prepare(sql))));
  const started = performance.now();
  const rows = reader.read(params);
  emitQuery({ query: sql, durationMs: performance.now() - started });
  return rows as T[];
}

interface RowReader {
  read(params: unknown[]): object[];
}

/**
 * Rows as arrays from SQLite, turned into objects by a function compiled for
 * the statement's columns: a third faster than better-sqlite3 building each
 * row object property by property (bench/README.md).
 */
function rowReader(statement: BetterSqlite3.Statement): RowReader {
  const names = statement.columns().map((c) => c.name);
  const build = new Function("r", `return { ${names.map((name, i) => `${JSON.stringify(name)}: r[${i}]`).join(", ")} };`) as (r: unknown[]) => object;
  statement.raw(true);
  return { read: (params) => (statement.all(...params) as unknown[][]).map(build) };
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
  return sqlite.lock.run(async () => fn(sqliteWriter(sqlite)));
}

function sqliteWriter(sqlite: NonNullable<Database["sqlite"]>): BetterSqlite3.Database {
  if (!sqlite.raw) {
    sqlite.raw = new BetterSqlite3(sqlite.file);
    for (const pragma of sqlitePragmas(sqlite.busyTimeoutMs)) sqlite.raw.exec(pragma);
  }
  return sqlite.raw;
}

/**
 * What the driver transactions (./sql.ts) run on. SQLite: the writer
 * connection, taken under the lock every Prisma statement holds, waiting at
 * most maxWait. PostgreSQL: Prisma's pool (one DB_POOL_SIZE for all
 * transactions, the same fail-fast acquire timeout).
 */
export type DriverConnection =
  | { provider: "sqlite"; lock: Mutex; writer: () => BetterSqlite3.Database; maxWaitMs: number; timeoutMs: number }
  | { provider: "postgresql"; pool: pg.Pool; timeoutMs: number };

export function driverConnection(): DriverConnection {
  if (!current) throw new Error("database not open: call openDatabase(config) first");
  const { sqlite, postgres, transactionOptions } = current;
  if (postgres) return { provider: "postgresql", pool: postgres.prisma, timeoutMs: transactionOptions.timeout };
  return {
    provider: "sqlite",
    lock: sqlite!.lock,
    writer: () => sqliteWriter(sqlite!),
    maxWaitMs: transactionOptions.maxWait,
    timeoutMs: transactionOptions.timeout,
  };
}

export function emitQuery(event: QueryEvent): void {
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
  return client.$transaction((tx) => instrumentTransaction(requestedAt, () => fn(tx)), transactionOptions);
}

/**
 * The body of every transaction, ORM or driver: records the wait for the
 * connection and the time held, and marks the async context as inside a
 * transaction (so external clients refuse to run).
 */
export function instrumentTransaction<T>(requestedAt: number, fn: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  dbMetrics.connectionWait.observe((startedAt - requestedAt) / 1000);
  return openTransaction.run({ startedAt }, async () => {
    try {
      return await fn();
    } finally {
      dbMetrics.transactionDuration.observe((performance.now() - startedAt) / 1000);
    }
  });
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
