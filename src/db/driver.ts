import { AsyncLocalStorage } from "node:async_hooks";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { TransientError } from "../errors.js";
import type { Logger } from "../lib/logger.js";
import { dbMetrics } from "../lib/metrics.js";
import { withSpan } from "../lib/tracing.js";

/**
 * The bottom of src/db/: the types and helpers both engines' modules share.
 * It imports nothing of this folder, so nothing here can close a circle.
 */
export type DatabaseProvider = "sqlite" | "postgresql";

/**
 * A transaction on the driver: every write of the gateway runs in one
 * (`sqlTransaction`, ./sql.ts). SQL is written once for both engines: `?`
 * placeholders, quoted identifiers, `RETURNING`, and lives in one module per
 * aggregate (services/<aggregate>/sql.ts). Date and boolean parameters are
 * stored as Prisma stores them; rows come back as stored, decoded by the
 * module's column lists (./rows.ts).
 */
export interface Sql {
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

/** A prepared SQLite read whose rows come back as objects (./reads.ts). */
export interface RowReader {
  read(params: unknown[]): object[];
}

export function expired(timeoutMs: number): TransientError {
  return new TransientError("DATABASE_UNAVAILABLE", `The database transaction ran past its ${timeoutMs} ms limit; retry shortly`, 1);
}

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

const openTransaction = new AsyncLocalStorage<{ startedAt: number }>();

/**
 * The body of every transaction: records the wait for the connection and the
 * time held, and marks the async context as inside a transaction, so network
 * clients refuse to run (docs/postmortems) and the ORM refuses to be called
 * (./client.ts).
 */
export function instrumentTransaction<T>(requestedAt: number, fn: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const waitMs = startedAt - requestedAt;
  dbMetrics.connectionWait.observe(waitMs / 1000);
  return openTransaction.run({ startedAt }, () =>
    // The span starts when the transaction was asked for: the wait for the connection (SQLite: the write lock) is the gap before its first statement, and an attribute.
    withSpan("db.transaction", { childOnly: true, startTime: requestedAt, attributes: { "db.client.connection.wait_time_ms": waitMs } }, async () => {
      try {
        return await fn();
      } finally {
        dbMetrics.transactionDuration.observe((performance.now() - startedAt) / 1000);
      }
    }),
  );
}

export function isInTransaction(): boolean {
  return openTransaction.getStore() !== undefined;
}

/** One statement runner inside a bulk write (`Engine.writeBatch`). */
export interface BatchWriter {
  /** Runs a write; returns how many rows it changed. Each text is prepared once per connection. */
  run(text: string, params: readonly unknown[]): Promise<number>;
}

export interface RateLimitOptions {
  keyPrefix: string;
  points: number;
  duration: number;
}

/**
 * What differs between the engines, offered as one object (`engine()`,
 * ./index.ts): services call these and never ask which engine runs.
 */
export interface Engine {
  /**
   * Runs fn as one write transaction built for bulk work (the CSV import):
   * statements prepared once and run without the per-statement bookkeeping of
   * `sqlTransaction`. All or nothing.
   */
  writeBatch<T>(fn: (writer: BatchWriter) => Promise<T>): Promise<T>;
  /** Sends a notice to every listener of every instance sharing the database. */
  publish(payload: string): Promise<void>;
  /** Receives every notice published, this instance's included, until the returned stop is called. */
  listen(onNotice: (payload: string) => void, log: EngineLog): Promise<() => Promise<void>>;
  /** Runs pass where the named lock is won, one instance at a time; undefined (pass not run) where another holds it. */
  exclusive<T>(lock: number, pass: () => Promise<T>): Promise<T | undefined>;
  /** A counter store for rate limits, shared by every instance where the engine allows. */
  rateLimiter(options: RateLimitOptions): RateLimiterAbstract;
}

export type EngineLog = Pick<Logger, "info" | "warn">;
