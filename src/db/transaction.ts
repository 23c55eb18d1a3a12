import { AsyncLocalStorage } from "node:async_hooks";
import { dbMetrics } from "../lib/metrics.js";
import { db, openedDatabase, type Tx } from "./client.js";

const openTransaction = new AsyncLocalStorage<{ startedAt: number }>();

/**
 * Runs fn in one short ORM transaction. Network calls must never happen
 * inside: the external clients check `isInTransaction()` and refuse to run
 * (docs/postmortems). Limits come from DB_TRANSACTION_MAX_WAIT_MS / _TIMEOUT_MS.
 */
export function transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  const requestedAt = performance.now();
  return db().$transaction((tx) => instrumentTransaction(requestedAt, () => fn(tx)), openedDatabase().transactionOptions);
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
