import { resolve } from "node:path";
import { privateFile } from "../lib/private-files.js";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, Prisma } from "../generated/sqlite/client.js";
import { PrismaClient as PostgresPrismaClient } from "../generated/postgres/client.js";
import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import type { Mutex } from "../lib/mutex.js";
import { startCheckpointer, type Checkpointer } from "./checkpointer.js";
import { emitQuery, setQuerySystem } from "./query-events.js";
import { isInTransaction, type DatabaseProvider, type Engine, type RowReader } from "./driver.js";
import { postgresEngine } from "./engine-postgres.js";
import { sqliteEngine } from "./engine-sqlite.js";
import { SerializedSqliteAdapterFactory, sqlitePragmas } from "./sqlite-adapter.js";

export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;
export { Prisma };

export type { DatabaseProvider } from "./driver.js";

/** The open database: the ORM client and the driver connections beside it. */
export interface OpenDatabase {
  client: Db;
  provider: DatabaseProvider;
  transactionOptions: { maxWait: number; timeout: number };
  /** What differs between the engines, as one object (./driver.ts). */
  engine: Engine;
  /** Outside production, calling the ORM inside a driver transaction throws (see `db()`). */
  guardOrm: boolean;
  /** SQLite only: the raw connections (writer, reader) and the lock the writer shares with the ORM. */
  sqlite?: {
    file: string;
    lock: Mutex;
    busyTimeoutMs: number;
    writer?: BetterSqlite3.Database;
    reader?: { conn: BetterSqlite3.Database; statements: Map<string, RowReader>; dataVersion?: BetterSqlite3.Statement };
    checkpointer: Checkpointer;
  };
  /** PostgreSQL only: a pool for driver reads and bulk writes, beside Prisma's (which driver transactions share). */
  postgres?: { raw: pg.Pool; prisma: pg.Pool };
}

let current: OpenDatabase | undefined;

export function databaseProvider(url: string): DatabaseProvider {
  return url.startsWith("file:") ? "sqlite" : "postgresql";
}

/** The file an SQLite `file:` URL points at, resolved against the working directory. */
export function sqliteFilePath(url: string): string {
  return resolve(url.slice("file:".length).replace(/\?.*$/, ""));
}

/** Opens the process-wide database. Everything else reaches it through `db()` and the modules of this folder. */
export function openDatabase(config: Config, logger?: Pick<Logger, "error">): Db {
  if (current) throw new Error("database already open");
  const provider = databaseProvider(config.DATABASE_URL);
  const opened = provider === "sqlite" ? openSqlite(config, logger) : openPostgres(config, logger);
  const events = opened.client as unknown as { $on(event: "query", listener: (e: Prisma.QueryEvent) => void): void };
  events.$on("query", (e) => emitQuery({ query: e.query, durationMs: e.duration }));
  setQuerySystem(provider);
  current = {
    ...opened,
    provider,
    transactionOptions: { maxWait: config.DB_TRANSACTION_MAX_WAIT_MS, timeout: config.DB_TRANSACTION_TIMEOUT_MS },
    guardOrm: config.NODE_ENV !== "production",
  };
  return opened.client;
}

function openSqlite(config: Config, logger?: Pick<Logger, "error">): Pick<OpenDatabase, "client" | "sqlite" | "engine"> {
  const file = sqliteFilePath(config.DATABASE_URL);
  privateFile(file);
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
  const sqlite: NonNullable<OpenDatabase["sqlite"]> = { file, lock: adapter.lock, busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS, checkpointer };
  return { client, sqlite, engine: sqliteEngine(sqlite.lock, () => sqliteWriter(sqlite)) };
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
 * type: the portable subset, so no code outside this folder knows the provider.
 */
function openPostgres(config: Config, logger?: Pick<Logger, "error">): Pick<OpenDatabase, "client" | "postgres" | "engine"> {
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
  // A connection the server drops (restart, failover, admin command) emits
  // 'error': on its pool while idle, on the client itself while checked out
  // between queries (a transaction awaiting a network call, the reconciler's
  // lock). Without a listener either would end the process. The pool replaces
  // the connection; a request only sees its query fail (503) or the next succeed.
  for (const pool of [prismaPool, raw]) {
    pool.on("error", (error) => logger?.error({ err: error }, "idle PostgreSQL connection lost"));
    pool.on("connect", (connection) => connection.on("error", (error) => logger?.error({ err: error }, "PostgreSQL connection lost while in use")));
  }
  const client = new PostgresPrismaClient({ adapter: new PrismaPg(prismaPool), log: [{ emit: "event", level: "query" }] });
  return { client: client as unknown as Db, postgres: { raw, prisma: prismaPool }, engine: postgresEngine(raw) };
}

/** The open database, for the driver modules of this folder. */
export function openedDatabase(): OpenDatabase {
  if (!current) throw new Error("database not open: call openDatabase(config) first");
  return current;
}

/**
 * The ORM client: Pothos' selections, admin reads, migrations and types.
 * Every write goes through `sqlTransaction` (./sql.ts). An ORM call made inside
 * one cannot see its writes and, on SQLite, waits for the lock that
 * transaction holds until it fails as a retryable 503: a programming error,
 * so outside production it throws at once.
 */
export function db(): Db {
  const opened = openedDatabase();
  if (opened.guardOrm && isInTransaction()) throw new OrmInTransactionError();
  return opened.client;
}

export class OrmInTransactionError extends Error {
  constructor() {
    super("The ORM was called inside a driver transaction: use the transaction's `sql` (services/<aggregate>/sql.ts), or call the ORM before or after it");
    this.name = "OrmInTransactionError";
  }
}

export async function closeDatabase(): Promise<void> {
  const closing = current;
  current = undefined;
  if (closing?.sqlite?.writer) await closing.sqlite.lock.run(async () => closing.sqlite!.writer!.close());
  closing?.sqlite?.reader?.conn.close();
  await closing?.sqlite?.checkpointer.stop();
  await closing?.client.$disconnect();
  await closing?.postgres?.raw.end();
  await closing?.postgres?.prisma.end().catch(() => {});
}

/** What /health reports about connections. */
export function poolState(): Record<string, number | string> {
  const postgres = current?.postgres;
  if (!postgres) return { provider: current?.provider ?? "closed" };
  const { totalCount, idleCount, waitingCount } = postgres.prisma;
  return { provider: "postgresql", total: totalCount, idle: idleCount, waiting: waitingCount, max: postgres.prisma.options.max ?? 0 };
}

export async function pingDatabase(): Promise<void> {
  await db().$queryRawUnsafe("SELECT 1");
}

/** What differs between the engines (./driver.ts's `Engine`): services use it and never ask which engine runs. */
export function engine(): Engine {
  return openedDatabase().engine;
}

/** The driver pool on PostgreSQL, undefined on SQLite: for tests about PostgreSQL itself. */
export function postgresPool(): pg.Pool | undefined {
  return current?.postgres?.raw;
}

function sqliteWriter(sqlite: NonNullable<OpenDatabase["sqlite"]>): BetterSqlite3.Database {
  if (!sqlite.writer) {
    sqlite.writer = new BetterSqlite3(sqlite.file);
    for (const pragma of sqlitePragmas(sqlite.busyTimeoutMs)) sqlite.writer.exec(pragma);
  }
  return sqlite.writer;
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
  const { sqlite, postgres, transactionOptions } = openedDatabase();
  if (postgres) return { provider: "postgresql", pool: postgres.prisma, timeoutMs: transactionOptions.timeout };
  return {
    provider: "sqlite",
    lock: sqlite!.lock,
    writer: () => sqliteWriter(sqlite!),
    maxWaitMs: transactionOptions.maxWait,
    timeoutMs: transactionOptions.timeout,
  };
}
