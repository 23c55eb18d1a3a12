import { createPubSub } from "graphql-yoga";
import type pg from "pg";
import { postgresPool } from "../../db/index.js";
import type { Logger } from "../../lib/logger.js";
import { listen, notify, unlisten } from "./sql.js";

/**
 * Change notices for subscriptions: "order 42 changed", "job 7 moved on". A
 * notice carries no state: a subscriber re-reads what it watches, so a notice
 * is cheap, never stale, and one too many costs a read.
 *
 * On SQLite (one process) notices go through an in-process pub/sub. On
 * PostgreSQL they go through the database, `NOTIFY shop_events`, and every
 * instance (the sender included) LISTENs and relays them to its own
 * subscribers: a payment made on one instance reaches a client subscribed on
 * another.
 */
export type Topic = "order" | "bulkJob";

const local = createPubSub<Record<`${Topic}:${number}`, []>>();

let listener: { client: pg.PoolClient; stop: () => Promise<void> } | undefined;
let logger: Logger | undefined;
/** The listener's reconnection timer, and whether the server stopped it (no reconnection then). */
let reconnecting: NodeJS.Timeout | undefined;
let stopped = false;

/** Tells subscribers that the record changed (call after the change committed). */
export function publish(topic: Topic, id: number): void {
  const pool = postgresPool();
  if (!pool) return local.publish(`${topic}:${id}`);
  notify(pool, `${topic}:${id}`).catch((error: unknown) => logger?.warn({ err: error, topic, id }, "change notice not sent"));
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

/**
 * On PostgreSQL: one connection per process LISTENs and relays notices to
 * this process's subscribers. When the database drops it (a restart), it is
 * replaced, retrying every second until the database answers again; notices
 * sent meanwhile are lost, which costs subscribers one update, not a wrong one
 * (they re-read on the next notice).
 */
export async function startChangeNotices(log: Logger): Promise<void> {
  logger = log;
  stopped = false;
  await connect(log);
}

async function connect(log: Logger): Promise<void> {
  const pool = postgresPool();
  if (!pool || listener) return;
  const client = await pool.connect();
  client.on("notification", (message) => {
    const [topic, id] = (message.payload ?? "").split(":");
    if ((topic === "order" || topic === "bulkJob") && /^\d+$/.test(id ?? "")) local.publish(`${topic}:${Number(id)}`);
  });
  let lost = false;
  client.on("error", (error) => {
    if (lost) return;
    lost = true;
    log.warn({ err: error }, "change-notice listener lost its connection; reconnecting");
    client.release(error);
    if (listener?.client === client) listener = undefined;
    reconnect(log);
  });
  await listen(client);
  listener = {
    client,
    stop: async () => {
      await unlisten(client).catch(() => {});
      client.release();
    },
  };
}

function reconnect(log: Logger): void {
  if (stopped || reconnecting) return;
  reconnecting = setTimeout(() => {
    reconnecting = undefined;
    connect(log).then(
      () => log.info("change-notice listener reconnected"),
      () => reconnect(log),
    );
  }, 1_000);
  reconnecting.unref();
}

export async function stopChangeNotices(): Promise<void> {
  stopped = true;
  clearTimeout(reconnecting);
  reconnecting = undefined;
  await listener?.stop();
  listener = undefined;
}
