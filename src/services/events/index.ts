import { createPubSub } from "graphql-yoga";
import { engine } from "../../db/index.js";
import type { Logger } from "../../lib/logger.js";

/**
 * Change notices for subscriptions: "order 42 changed", "job 7 moved on". A
 * notice carries no state: a subscriber re-reads what it watches, so a notice
 * is cheap, never stale, and one too many costs a read.
 *
 * Notices go through the engine (`Engine.publish`/`listen`), and every
 * instance (the sender included) relays them to its own subscribers: on
 * PostgreSQL through `NOTIFY`, so a payment made on one instance reaches a
 * client subscribed on another; on SQLite (one process) within the process.
 */
export type Topic = "order" | "bulkJob";

const local = createPubSub<Record<`${Topic}:${number}`, []>>();

let stopListening: (() => Promise<void>) | undefined;
let logger: Logger | undefined;

/** Tells subscribers that the record changed (call after the change committed). */
export function publish(topic: Topic, id: number): void {
  // Never throws: a notice is called after a commit, whose caller must not fail for it (the database may be closing).
  Promise.resolve()
    .then(() => engine().publish(`${topic}:${id}`))
    .catch((error: unknown) => logger?.warn({ err: error, topic, id }, "change notice not sent"));
}

const open = new Set<AsyncIterator<unknown>>();

/** The notices for one record, as an async iterable (ends when the consumer returns, or at shutdown). */
export function notices(topic: Topic, id: number): AsyncIterable<unknown> {
  const iterator = local.subscribe(`${topic}:${id}`)[Symbol.asyncIterator]();
  open.add(iterator);
  const end = iterator.return!.bind(iterator);
  iterator.return = (value?: unknown) => {
    open.delete(iterator);
    return end(value);
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** Ends every subscriber's notices: their subscriptions complete (a graceful shutdown, before it waits for requests). */
export async function endSubscriptions(): Promise<void> {
  await Promise.all([...open].map((iterator) => iterator.return?.()));
}

/** Relays the engine's notices (every instance's, on a shared engine) to this process's subscribers. */
export async function startChangeNotices(log: Logger): Promise<void> {
  logger = log;
  if (stopListening) return;
  stopListening = await engine().listen((payload) => {
    const [topic, id] = payload.split(":");
    if ((topic === "order" || topic === "bulkJob") && /^\d+$/.test(id ?? "")) local.publish(`${topic}:${Number(id)}`);
  }, log);
}

export async function stopChangeNotices(): Promise<void> {
  const stop = stopListening;
  stopListening = undefined;
  await stop?.();
}
