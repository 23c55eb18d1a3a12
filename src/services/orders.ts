import { db, readRows, type Prisma } from "../db/index.js";
import { NotFoundError } from "../errors.js";
import { pageQuery, toPage, type Page, type PageRequest } from "./pagination.js";
import { assertUserExists } from "./users.js";

/** What a client sees of an order: items with their products, payments, shipment, coupon. */
export const orderDetails = {
  items: { include: { product: true }, orderBy: { id: "asc" } },
  payments: { orderBy: { id: "asc" } },
  shipment: true,
  coupon: true,
} satisfies Prisma.OrderInclude;

export type OrderDetails = Prisma.OrderGetPayload<{ include: typeof orderDetails }>;

export async function getOrder(id: number): Promise<OrderDetails> {
  const order = await db().order.findUnique({ where: { id }, include: orderDetails });
  if (!order) throw new NotFoundError("Order", id);
  return order;
}

export async function listOrdersForUser(userId: number, page: PageRequest): Promise<Page<OrderDetails>> {
  await assertUserExists(userId);
  const query = pageQuery(page);
  const rows = await db().order.findMany({ ...query, where: { ...query.where, userId }, include: orderDetails });
  return toPage(rows, page.limit);
}

export function findOrder<Q extends Omit<Prisma.OrderFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().order.findUnique({ ...query, where: { id } });
}

export type Order = Prisma.OrderGetPayload<object>;
export type OrderItem = Prisma.OrderItemGetPayload<object>;

const ORDER_DATES = ["reservedUntil", "paymentClaimedUntil", "paidAt", "fulfilledAt", "cancelledAt", "createdAt", "updatedAt"] as const;

/** Driver rows carry dates as text (SQLite) or Date (PostgreSQL): Dates either way. */
function withDates<T>(row: Record<string, unknown>, keys: readonly string[]): T {
  for (const key of keys) if (row[key] !== null && row[key] !== undefined) row[key] = new Date(row[key] as string);
  return row as T;
}

/**
 * A keyset window of one user's orders, newest first (or oldest first for
 * backward pages), on the driver path like the product list (see readRows).
 */
export async function orderWindow(
  userId: number,
  window: { olderThan?: number; newerThan?: number; limit: number; oldestFirst?: boolean },
): Promise<Order[]> {
  const rows = await readRows<Record<string, unknown>>(
    `SELECT * FROM "Order" WHERE "userId" = ? AND "id" < ? AND "id" > ? ORDER BY "id" ${window.oldestFirst ? "ASC" : "DESC"} LIMIT ?`,
    [userId, window.olderThan ?? 2_147_483_647, window.newerThan ?? 0, window.limit],
  );
  return rows.map((r) => withDates<Order>(r, ORDER_DATES));
}

/** The items of many orders in one statement (a per-request loader's batch). */
export async function itemsForOrders(orderIds: readonly number[]): Promise<Map<number, OrderItem[]>> {
  const rows = await readRows<OrderItem>(
    `SELECT * FROM "OrderItem" WHERE "orderId" IN (${orderIds.map(() => "?").join(", ")}) ORDER BY "id"`,
    [...orderIds],
  );
  const byOrder = new Map<number, OrderItem[]>(orderIds.map((id) => [id, []]));
  for (const row of rows) byOrder.get(row.orderId)?.push(row);
  return byOrder;
}
