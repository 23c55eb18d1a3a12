import DataLoader from "dataloader";
import { countOrdersByUser } from "../services/users/index.js";
import { itemsForOrders, type OrderItem } from "../services/orders/index.js";
import { productsByIds, type Product } from "../services/products/index.js";

/**
 * Per-request batching: aggregates the Prisma plugin cannot fold into its
 * queries, and the hot nested reads (an order page's items and their
 * products) on the driver path. One instance per request: nothing is cached across users.
 * A batch holds at most MAX_BATCH keys: each becomes one `IN (...)` parameter,
 * and the engines refuse statements past 32,766 (SQLite) or 65,535 (PostgreSQL).
 */
const MAX_BATCH = 1_000;
const options = { maxBatchSize: MAX_BATCH };

export function createLoaders() {
  return {
    orderCountByUser: new DataLoader<number, number>(async (userIds) => {
      const counts = await countOrdersByUser(userIds);
      return userIds.map((id) => counts.get(id) ?? 0);
    }, options),
    itemsByOrder: new DataLoader<number, OrderItem[]>(async (orderIds) => {
      const items = await itemsForOrders(orderIds);
      return orderIds.map((id) => items.get(id) ?? []);
    }, options),
    productById: new DataLoader<number, Product>(async (ids) => {
      const products = await productsByIds(ids);
      return ids.map((id) => products.get(id) ?? new Error(`product ${id} not found`));
    }, options),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
