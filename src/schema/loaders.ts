import DataLoader from "dataloader";
import { countOrdersByUser } from "../services/users/index.js";
import { itemsForOrders, orderSummaryWindows, orderWindows, type Order, type OrderItem, type OrderSummary, type OrderWindow } from "../services/orders/index.js";
import { productsByIds, type Product } from "../services/products/index.js";

/**
 * Per-request batching: aggregates the Prisma plugin cannot fold into its
 * queries, and the hot nested reads (an order page's items and their
 * products) on the driver path. One instance per request: nothing is cached across users.
 * A batch holds at most MAX_BATCH keys: each becomes one `IN (...)` parameter,
 * and the engines refuse statements past 32,766 (SQLite) or 65,535 (PostgreSQL).
 */
const MAX_BATCH = 1_000;

/**
 * One request's loader for one kind of value. `get` batches the keys asked
 * for in the same tick into one read (DataLoader). `prefetch` lets a parent
 * read its children's values up front, batched the same way with every other
 * parent's, so that their fields then resolve with the value itself: no
 * promise, no batch entry per item, which is most of a nested list's cost.
 */
export class Loader<K, V> {
  readonly #known = new Map<K, V>();
  readonly #read: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;
  readonly #batch: DataLoader<K, V>;
  #wanted: Set<K> | undefined;
  #fetched: Promise<void> = Promise.resolve();

  constructor(read: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>, absent: (key: K) => V | Error) {
    this.#read = read;
    this.#batch = new DataLoader(async (keys) => {
      const found = await read(keys);
      return keys.map((key) => found.get(key) ?? absent(key));
    }, { maxBatchSize: MAX_BATCH });
  }

  get(key: K): V | Promise<V> {
    return this.#known.get(key) ?? this.#batch.load(key);
  }

  /** The value, if a prefetch read it. */
  peek(key: K): V | undefined {
    return this.#known.get(key);
  }

  prefetch(keys: Iterable<K>): Promise<void> {
    if (!this.#wanted) {
      const wanted = (this.#wanted = new Set());
      this.#fetched = afterPendingJobs().then(async () => {
        this.#wanted = undefined;
        const missing = [...wanted].filter((key) => !this.#known.has(key));
        for (let i = 0; i < missing.length; i += MAX_BATCH) {
          const keys = missing.slice(i, i + MAX_BATCH);
          try {
            for (const [key, value] of await this.#read(keys)) this.#known.set(key, value);
          } catch (error) {
            // As a failed batch does: each of these fields answers with the error, and nothing reads them again.
            for (const key of keys) this.#batch.prime(key, error instanceof Error ? error : new Error(String(error)));
          }
        }
      });
    }
    for (const key of keys) this.#wanted.add(key);
    return this.#fetched;
  }
}

/** Resolves once the promise jobs queued now have run (DataLoader's batch point): sibling resolvers have all asked by then. */
const afterPendingJobs = () => new Promise<void>((resolve) => void Promise.resolve().then(() => process.nextTick(resolve)));

export function createLoaders() {
  const pages = new Map<string, Loader<number, Order[] | OrderSummary[]>>();
  return {
    orderCountByUser: new Loader<number, number>(countOrdersByUser, () => 0),
    itemsByOrder: new Loader<number, OrderItem[]>(itemsForOrders, () => []),
    productById: new Loader<number, Product>(productsByIds, (id) => new Error(`product ${id} not found`)),
    /**
     * Users' order pages of one size and bounds, in their full or narrow form: a page of
     * users asks for each one's orders with the same arguments, read in one batch. One
     * loader per set of arguments, as many as the query has `orders` fields at most.
     */
    orderPages(window: OrderWindow, summary: boolean): Loader<number, Order[] | OrderSummary[]> {
      const key = `${summary} ${window.olderThan} ${window.newerThan} ${window.limit} ${window.oldestFirst}`;
      let loader = pages.get(key);
      if (!loader) pages.set(key, (loader = new Loader((userIds) => (summary ? orderSummaryWindows(userIds, window) : orderWindows(userIds, window)), () => [])));
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * A subscription's event, read as a request of its own: the context (and its
 * loaders) lives as long as the stream, and would otherwise serve every event
 * what the first one read, and keep growing.
 */
export function freshEvent<T>(ctx: { loaders: Loaders }, event: T): T {
  ctx.loaders = createLoaders();
  return event;
}

/**
 * Each root field of a mutation starts with fresh loaders (./index.ts): the
 * fields run one after another, each after the writes of those before it, so
 * none may be answered from what an earlier field's loaders read before then.
 */
export function withFreshLoaders<C extends { loaders: Loaders }>(ctx: C): C {
  return freshEvent(ctx, ctx);
}

/** A page of orders' lines, and their products when asked for, read before the page is resolved (`Loader.prefetch`). */
export async function prefetchOrderLines(loaders: Loaders, orders: readonly Order[], withProducts: boolean): Promise<void> {
  await loaders.itemsByOrder.prefetch(orders.map((order) => order.id));
  if (withProducts) await loaders.productById.prefetch(orders.flatMap((order) => loaders.itemsByOrder.peek(order.id) ?? []).map((line) => line.productId));
}
