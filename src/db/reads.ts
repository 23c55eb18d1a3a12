import BetterSqlite3 from "better-sqlite3";
import { openedDatabase } from "./client.js";
import type { RowReader } from "./driver.js";
import { postgresStatement } from "./pg-statements.js";
import { emitQuery } from "./query-events.js";
import { postgresParams, sqliteParams } from "./rows.js";

/**
 * Reads outside any transaction on the driver (the hot catalogue and order
 * pages): the ORM's query compiler costs far more per statement than a
 * prepared statement (bench/README.md). SQLite: a read-only connection in WAL
 * mode sees only committed data, so it needs no lock. PostgreSQL: the driver
 * pool. SQL is portable (`?` placeholders, quoted identifiers); rows come back
 * as stored, so callers decode them with their module's column list (./rows.ts).
 */
export async function readRows<T>(sql: string, params: unknown[]): Promise<T[]> {
  const { postgres, sqlite } = openedDatabase();
  if (postgres) {
    const started = performance.now();
    const result = await postgres.raw.query({ ...postgresStatement(sql), values: postgresParams(params) });
    emitQuery({ query: sql, durationMs: performance.now() - started });
    return result.rows as T[];
  }
  if (!sqlite) throw new Error("readRows needs an open database");
  const { conn, statements } = readerOf(sqlite);
  let reader = statements.get(sql);
  if (!reader) statements.set(sql, (reader = rowReader(conn.prepare(sql))));
  const started = performance.now();
  const rows = reader.read(sqliteParams(params));
  emitQuery({ query: sql, durationMs: performance.now() - started });
  return rows as T[];
}

/**
 * Rows as arrays from SQLite, turned into objects by a function compiled for
 * the statement's columns: cheaper than better-sqlite3 building each row
 * object property by property (bench/README.md).
 */
function rowReader(statement: BetterSqlite3.Statement): RowReader {
  const names = statement.columns().map((c) => c.name);
  const build = new Function("r", `return { ${names.map((name, i) => `${JSON.stringify(name)}: r[${i}]`).join(", ")} };`) as (r: unknown[]) => object;
  statement.raw(true);
  return { read: (params) => (statement.all(...params) as unknown[][]).map(build) };
}

type OpenedSqlite = NonNullable<ReturnType<typeof openedDatabase>["sqlite"]>;

/** The read-only connection of SQLite's reads and its prepared statements, opened on first use. */
function readerOf(sqlite: OpenedSqlite): NonNullable<OpenedSqlite["reader"]> {
  return (sqlite.reader ??= { conn: readOnlyConnection(sqlite), statements: new Map() });
}

function readOnlyConnection(sqlite: OpenedSqlite): BetterSqlite3.Database {
  const conn = new BetterSqlite3(sqlite.file, { readonly: true });
  conn.pragma(`busy_timeout = ${sqlite.busyTimeoutMs}`);
  return conn;
}

/**
 * A value that changes whenever a write commits, anywhere in the database:
 * what a cache of read answers is keyed by (lib/catalog-cache.ts). Data
 * read after it is at least as new as it, so an answer stored under it is
 * never older than a write committed before it was read. SQLite: the reader
 * connection's `data_version`, which moves with every commit made through
 * any other connection (the writer, another process). PostgreSQL: the
 * current snapshot (`xmin:xmax:in-progress ids`), which moves when a
 * transaction that wrote starts or ends.
 */
export async function changeVersion(): Promise<string> {
  const { postgres, sqlite } = openedDatabase();
  if (postgres) {
    const result = await postgres.raw.query<{ v: string }>({ name: "change_version", text: "SELECT pg_current_snapshot()::text AS v" });
    return result.rows[0]!.v;
  }
  if (!sqlite) throw new Error("changeVersion needs an open database");
  const reader = readerOf(sqlite);
  return String((reader.dataVersion ??= reader.conn.prepare("PRAGMA data_version").pluck()).get());
}
