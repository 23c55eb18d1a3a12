import type { Principal } from "../../auth/principal.js";
import { getBulkUploadJob, queuedJob, type BulkUploadJob } from "../bulk-import/jobs.js";
import { findOrder, findVisibleOrder, orderTransitions } from "../orders/index.js";
import { notices, type Topic } from "./index.js";

/**
 * What a subscription streams: the record as it is now, then again each time
 * a notice says it changed (re-read, so never stale), until it reaches a state
 * it cannot leave. Who may watch is who may read it (the query's rule, asked
 * before anything is sent).
 */
async function* watch<T>(topic: Topic, id: number, first: () => Promise<T>, reload: () => Promise<T>, version: (value: T) => string, done: (value: T) => boolean): AsyncGenerator<T> {
  // Listening starts before the first read, so a change between the two is not missed.
  const changes = notices(topic, id)[Symbol.asyncIterator]();
  try {
    let current = await first();
    yield current;
    let seen = version(current);
    while (!done(current)) {
      if ((await changes.next()).done) return;
      current = await reload();
      if (version(current) === seen) continue;
      seen = version(current);
      yield current;
    }
  } finally {
    await changes.return?.();
  }
}

const FINISHED_JOB = new Set(["COMPLETED", "FAILED"]);

/** A bulk job's progress (admins, as the query): status and counts after every committed batch, ending with the final state. */
export function watchBulkUploadJob(principal: Principal, id: number): AsyncGenerator<BulkUploadJob> {
  return watch(
    "bulkJob",
    id,
    () => getBulkUploadJob(principal, id),
    () => queuedJob(id),
    (job) => `${job.status}:${job.processedRows}:${job.failedRows}:${job.checkpointByte}`,
    (job) => FINISHED_JOB.has(job.status),
  );
}

/** The statuses an order never leaves, read from its lifecycle's table: there the subscription completes. */
const FINAL_ORDER = new Set(Object.entries(orderTransitions).filter(([, next]) => next.length === 0).map(([status]) => status));

/** An order's status as it moves (its owner or an admin; another customer's is NOT_FOUND, as the query). */
export function watchOrder(principal: Principal, id: number) {
  return watch(
    "order",
    id,
    () => findVisibleOrder(principal, {}, id),
    async () => (await findOrder({}, id))!,
    (order) => order.status,
    (order) => FINAL_ORDER.has(order.status),
  );
}
