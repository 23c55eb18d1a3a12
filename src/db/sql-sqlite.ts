import type BetterSqlite3 from "better-sqlite3";
import { LockTimeoutError, type Mutex } from "../lib/mutex.js";
import { dbMetrics } from "../lib/metrics.js";
import { emitQuery, instrumentTransaction, type DriverConnection } from "./index.js";
import { expired, withSavepoint, type Sql } from "./sql.js";

type SqliteConnection = Extract<DriverConnection, { provider: "sqlite" }>;

/**
 * Driver transactions on SQLite, with group commit. SQLite has one writer, so
 * transactions run one after another anyway; what each one costs beyond its
 * statements is its COMMIT (writing its pages to the log, ~0.1 ms, most of a
 * checkout's database time: bench/README.md). Transactions that queue up while
 * one runs, or during the one event-loop turn the commit waits for them (as
 * PostgreSQL's commit_delay), therefore share one SQLite transaction: each runs in its own
 * savepoint (a failure undoes only its writes and rejects only its caller),
 * and all that succeeded are answered once the shared COMMIT has succeeded (if
 * it fails, all of them fail). Nobody hears "done" before the commit, so
 * durability is that of one transaction per caller; they ran serially, so
 * isolation is too. A batch is bounded (MAX_BATCH members, MAX_BATCH_MS) so
 * ORM statements waiting on the same lock are not starved.
 */
export function sqliteTransaction<T>(connection: SqliteConnection, requestedAt: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
  let queue = queues.get(connection.lock);
  if (!queue) queues.set(connection.lock, (queue = new WriteQueue(connection)));
  return queue.run(requestedAt, fn);
}

const MAX_BATCH = 32;
const MAX_BATCH_MS = 20;

interface Member {
  fn: (sql: Sql) => Promise<unknown>;
  requestedAt: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

const queues = new WeakMap<Mutex, WriteQueue>();

class WriteQueue {
  readonly #connection: SqliteConnection;
  readonly #waiting: Member[] = [];
  #draining = false;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  run<T>(requestedAt: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
    const connection = this.#connection;
    return new Promise<T>((resolve, reject) => {
      const member: Member = {
        fn,
        requestedAt,
        resolve: resolve as (value: unknown) => void,
        reject,
        // Fail fast, as a transaction waiting for the lock does: 503 after maxWait in the queue.
        timer: setTimeout(() => {
          const index = this.#waiting.indexOf(member);
          if (index >= 0) this.#waiting.splice(index, 1);
          reject(new LockTimeoutError(connection.maxWaitMs));
        }, connection.maxWaitMs),
      };
      this.#waiting.push(member);
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#waiting.length > 0) {
        let release: () => void;
        try {
          release = await this.#connection.lock.acquire(this.#connection.maxWaitMs);
        } catch {
          continue; // members time out on their own timers; try again for the rest
        }
        try {
          await this.#batch(this.#connection.writer());
        } finally {
          release();
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** One shared transaction: members run in turn until the queue is empty or the batch is full. */
  async #batch(conn: BetterSqlite3.Database): Promise<void> {
    const done: { member: Member; value: unknown }[] = [];
    const startedAt = performance.now();
    try {
      conn.exec("BEGIN IMMEDIATE");
      const open = () => done.length < MAX_BATCH && performance.now() - startedAt < MAX_BATCH_MS;
      while (open()) {
        // Members run without yielding to the event loop (their statements are
        // synchronous), so others can only join if the commit waits one turn:
        // requests parsed meanwhile queue their transactions into this batch.
        if (this.#waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
        if (this.#waiting.length === 0) break;
        const member = this.#waiting.shift()!;
        clearTimeout(member.timer);
        try {
          const value = await instrumentTransaction(member.requestedAt, () => runMember(conn, this.#connection.timeoutMs, member.fn));
          done.push({ member, value });
        } catch (error) {
          member.reject(error);
          // Some errors (I/O, disk full) end the whole transaction: nothing of the batch survives.
          if (!conn.inTransaction) throw error;
        }
      }
      conn.exec("COMMIT");
    } catch (error) {
      if (conn.inTransaction) conn.exec("ROLLBACK");
      for (const { member } of done) member.reject(error);
      return;
    }
    dbMetrics.groupCommitSize.observe(done.length);
    for (const { member, value } of done) member.resolve(value);
  }
}

const statementCaches = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** Prisma's DateTime text on SQLite, so ISO comparisons in SQL and Prisma's reads both work. */
const sqliteTime = (d: Date) => d.toISOString().replace("Z", "+00:00");
const sqliteParams = (params: readonly unknown[]) =>
  params.map((p) => (p instanceof Date ? sqliteTime(p) : typeof p === "boolean" ? Number(p) : p));

/** One caller's transaction inside the shared one: its own savepoint, its own time limit. */
async function runMember<T>(conn: BetterSqlite3.Database, timeoutMs: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
  let cache = statementCaches.get(conn);
  if (!cache) statementCaches.set(conn, (cache = new Map()));
  const statements = cache;
  const deadline = performance.now() + timeoutMs;
  const prepared = (text: string) => {
    if (performance.now() > deadline) throw expired(timeoutMs);
    let statement = statements.get(text);
    if (!statement) statements.set(text, (statement = conn.prepare(text)));
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
  const exec = (text: string) => conn.exec(text);
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
    savepoint: (body) => withSavepoint(`sp_${++savepoints}`, exec, body),
  };
  return withSavepoint("member", exec, async () => {
    const result = await fn(sql);
    if (performance.now() > deadline) throw expired(timeoutMs);
    return result;
  });
}
