import { db, type Prisma } from "../../db/index.js";
import type { Principal } from "../../auth/principal.js";
import { NotFoundError } from "../../errors.js";
import { ownedBy, type Page, pageQuery, type PageRequest, requireOwnOrNotFound, requireSignedIn, toPage } from "../common/index.js";
import { assertUserExists } from "../users/index.js";

/** What a client sees of an order: items with their products, payments, shipment, coupon. */
export const orderDetails = {
  items: { include: { product: true }, orderBy: { id: "asc" } },
  payments: { orderBy: { id: "asc" }, include: { refunds: { orderBy: { id: "asc" } } } },
  shipment: true,
  coupon: true,
} satisfies Prisma.OrderInclude;

export type OrderDetails = Prisma.OrderGetPayload<{ include: typeof orderDetails }>;

/** An order with its details, for its owner or an admin; anyone else gets 404. */
export async function getOrder(principal: Principal, id: number): Promise<OrderDetails> {
  requireSignedIn(principal);
  const order = await db().order.findUnique({ where: { id, ...ownedBy(principal) }, include: orderDetails });
  if (!order) throw new NotFoundError("Order", id);
  return order;
}

export async function listOrdersForUser(principal: Principal, userId: number, page: PageRequest): Promise<Page<OrderDetails>> {
  requireOwnOrNotFound(principal, userId, "User", userId);
  await assertUserExists(userId);
  const query = pageQuery(page);
  const rows = await db().order.findMany({ ...query, where: { ...query.where, userId }, include: orderDetails });
  return toPage(rows, page.limit);
}

/** GraphQL's `order(id)`: the owner's or an admin's; anyone else gets NOT_FOUND. */
export async function findVisibleOrder<Q extends Omit<Prisma.OrderFindUniqueArgs, "where">>(principal: Principal, query: Q, id: number) {
  requireSignedIn(principal);
  const order = await db().order.findUnique({ ...query, where: { id, ...ownedBy(principal) } });
  if (!order) throw new NotFoundError("Order", id);
  return order;
}

/** An order a mutation of this request just made or changed (its payload's `order` field). */
export function findOrder<Q extends Omit<Prisma.OrderFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().order.findUnique({ ...query, where: { id } });
}
