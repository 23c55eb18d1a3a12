import type BetterSqlite3 from "better-sqlite3";
import { RateLimiterMemory } from "rate-limiter-flexible";
import type { Mutex } from "../lib/mutex.js";
import type { BatchWriter, Engine } from "./driver.js";
import { sqliteTimestamp } from "./rows.js";

/**
 * SQLite is the one-process engine: notices stay in the process, the process
 * is the only one that could hold a lock, and rate-limit counters live in
 * memory. Bulk writes run on the raw writer under the lock every ORM
 * statement and driver transaction takes, so they never contend for SQLite's
 * write lock.
 */
export function sqliteEngine(lock: Mutex, writer: () => BetterSqlite3.Database): Engine {
  const listeners = new Set<(payload: string) => void>();
  return {
    writeBatch: (fn) => lock.run(() => writeBatch(writer(), fn)),
    async publish(payload) {
      for (const listener of listeners) listener(payload);
    },
    async listen(onNotice) {
      listeners.add(onNotice);
      return async () => void listeners.delete(onNotice);
    },
    exclusive: (_lock, pass) => pass(),
    rateLimiter: (options) => new RateLimiterMemory(options),
  };
}

const prepared = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

async function writeBatch<T>(conn: BetterSqlite3.Database, fn: (writer: BatchWriter) => Promise<T>): Promise<T> {
  let statements = prepared.get(conn);
  if (!statements) prepared.set(conn, (statements = new Map()));
  const cache = statements;
  // A batch stamps every row with the same Date: convert it to SQLite's text once, not per row.
  let lastDate: Date | undefined;
  let lastText = "";
  const stored = (p: unknown) => {
    if (!(p instanceof Date)) return typeof p === "boolean" ? Number(p) : p;
    if (p !== lastDate) [lastDate, lastText] = [p, sqliteTimestamp(p)];
    return lastText;
  };
  const writer: BatchWriter = {
    async run(text, params) {
      let statement = cache.get(text);
      if (!statement) cache.set(text, (statement = conn.prepare(text)));
      return statement.run(params.map(stored)).changes;
    },
  };
  conn.exec("BEGIN IMMEDIATE");
  try {
    const result = await fn(writer);
    conn.exec("COMMIT");
    return result;
  } catch (error) {
    if (conn.inTransaction) conn.exec("ROLLBACK");
    throw error;
  }
}
