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

type Key = `${Topic}:${number}`;

/** Each record's subscribers in this process: a function that marks the subscriber's notice as due. */
const subscribers = new Map<Key, Set<() => void>>();

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

/**
 * The notices for one record, as an async iterable (ends when the consumer
 * returns, or at shutdown). Notices that arrive while the consumer is busy
 * (a client reading slowly) are one notice, not a queue: each says only
 * "changed", so the subscriber's memory stays the same however many arrive.
 */
export function notices(topic: Topic, id: number): AsyncIterable<unknown> {
  const key: Key = `${topic}:${id}`;
  let due = false;
  let ended = false;
  let waiting: { promise: Promise<IteratorResult<unknown>>; resolve: (result: IteratorResult<unknown>) => void } | undefined;
  const wake = (done: boolean) => {
    const current = waiting;
    waiting = undefined;
    current?.resolve({ value: undefined, done });
  };
  const notify = () => {
    if (waiting) wake(false);
    else due = true;
  };
  let listeners = subscribers.get(key);
  if (!listeners) subscribers.set(key, (listeners = new Set()));
  listeners.add(notify);
  const iterator: AsyncIterator<unknown> = {
    next() {
      if (ended) return Promise.resolve({ value: undefined, done: true });
      if (due) {
        due = false;
        return Promise.resolve({ value: undefined, done: false });
      }
      if (!waiting) {
        let resolve!: (result: IteratorResult<unknown>) => void;
        const promise = new Promise<IteratorResult<unknown>>((r) => (resolve = r));
        waiting = { promise, resolve };
      }
      return waiting.promise;
    },
    return() {
      if (!ended) {
        ended = true;
        open.delete(iterator);
        const set = subscribers.get(key);
        set?.delete(notify);
        if (set?.size === 0) subscribers.delete(key);
        wake(true);
      }
      return Promise.resolve({ value: undefined, done: true });
    },
  };
  open.add(iterator);
  return { [Symbol.asyncIterator]: () => iterator };
}

/** Marks the notice due for every subscriber of the record in this process. */
function relay(key: Key): void {
  for (const notify of subscribers.get(key) ?? []) notify();
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
    if ((topic === "order" || topic === "bulkJob") && /^\d+$/.test(id ?? "")) relay(`${topic}:${Number(id)}`);
  }, log);
}

export async function stopChangeNotices(): Promise<void> {
  const stop = stopListening;
  stopListening = undefined;
  await stop?.();
}
