import { db, type Prisma } from "../../db/index.js";
import { NotFoundError } from "../../errors.js";
import { pageQuery, toPage, type Page, type PageRequest } from "../pagination.js";
import { assertUserExists } from "../users/index.js";

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
