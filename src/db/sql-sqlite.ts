import { AsyncResource } from "node:async_hooks";
import type BetterSqlite3 from "better-sqlite3";
import { LockTimeoutError, type Mutex } from "../lib/mutex.js";
import { dbMetrics } from "../lib/metrics.js";
import type { DriverConnection } from "./client.js";
import { emitQuery } from "./query-events.js";
import { sqliteParams } from "./rows.js";
import { expired, instrumentTransaction, withSavepoint, type DriverSql as Sql } from "./driver.js";

type SqliteConnection = Extract<DriverConnection, { provider: "sqlite" }>;

/**
 * Driver transactions on SQLite, with group commit. SQLite has one writer, so
 * transactions run one after another anyway; what each one costs beyond its
 * statements is its COMMIT (writing its pages to the log, most of a
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
  /** The caller's async context (its request's id, logger, counters), restored while its transaction runs. */
  context: AsyncResource;
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
        context: new AsyncResource("sqlTransaction"),
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
          await this.#batch();
        } catch (error) {
          // The writer could not start a transaction (busy: another process; or broken):
          // everyone waiting hears it now (busy maps to 503) rather than retrying in a loop.
          for (const member of this.#waiting.splice(0)) {
            clearTimeout(member.timer);
            member.reject(error);
          }
        } finally {
          release();
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** One shared transaction: members run in turn until the queue is empty or the batch is full. */
  async #batch(): Promise<void> {
    const conn = this.#connection.writer();
    conn.exec("BEGIN IMMEDIATE");
    const done: { member: Member; value: unknown }[] = [];
    const startedAt = performance.now();
    let failure: { error: unknown } | undefined;
    try {
      while (done.length < MAX_BATCH && performance.now() - startedAt < MAX_BATCH_MS) {
        // Members run without yielding to the event loop (their statements are
        // synchronous), so others can only join if the commit waits one turn:
        // requests parsed meanwhile queue their transactions into this batch.
        if (this.#waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
        const member = this.#waiting.shift();
        if (!member) break;
        clearTimeout(member.timer);
        const outcome = await member.context
          .runInAsyncScope(() => instrumentTransaction(member.requestedAt, () => runMember(conn, this.#connection.timeoutMs, member.fn)))
          .catch((error: unknown) => ({ ok: false as const, error, batchLost: true }));
        if (outcome.ok) {
          done.push({ member, value: outcome.value });
          continue;
        }
        member.reject(outcome.error);
        // Its writes could not be undone alone (or SQLite ended the whole
        // transaction, as after an I/O error): nothing of the batch may commit.
        if (outcome.batchLost) {
          failure = { error: outcome.error };
          break;
        }
      }
      if (!failure) conn.exec("COMMIT");
    } catch (error) {
      failure = { error };
    }
    if (failure) {
      try {
        if (conn.inTransaction) conn.exec("ROLLBACK");
      } catch {
        // Nothing more to undo with: SQLite rolls an unfinished transaction back.
      }
      for (const { member } of done) member.reject(failure.error);
      return;
    }
    dbMetrics.groupCommitSize.observe(done.length);
    for (const { member, value } of done) member.resolve(value);
  }
}

const statementCaches = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** One caller's transaction inside the shared one: its own savepoint, its own time limit. */
async function runMember<T>(conn: BetterSqlite3.Database, timeoutMs: number, fn: (sql: Sql) => Promise<T>): Promise<MemberOutcome<T>> {
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
  exec("SAVEPOINT member");
  try {
    const value = await fn(sql);
    if (performance.now() > deadline) throw expired(timeoutMs);
    exec("RELEASE SAVEPOINT member");
    return { ok: true, value };
  } catch (error) {
    try {
      if (conn.inTransaction) {
        exec("ROLLBACK TO SAVEPOINT member");
        exec("RELEASE SAVEPOINT member");
      }
    } catch {
      return { ok: false, error, batchLost: true };
    }
    return { ok: false, error, batchLost: !conn.inTransaction };
  }
}

type MemberOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; batchLost: boolean };
