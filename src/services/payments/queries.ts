import { db, type Prisma } from "../../db/index.js";
import type { Principal } from "../../auth/principal.js";
import { NotFoundError } from "../../errors.js";
import { ownedBy, requireSignedIn } from "../common/index.js";

export const paymentDetails = { order: true, refunds: { orderBy: { id: "asc" } } } satisfies Prisma.PaymentInclude;
export type PaymentDetails = Prisma.PaymentGetPayload<{ include: typeof paymentDetails }>;

/** A payment with its order, for the order's owner or an admin; anyone else gets 404. */
export async function getPayment(principal: Principal, id: number): Promise<PaymentDetails> {
  requireSignedIn(principal);
  const payment = await db().payment.findUnique({ where: { id, order: ownedBy(principal) }, include: paymentDetails });
  if (!payment) throw new NotFoundError("Payment", id);
  return payment;
}

/** GraphQL's `payment(id)`: the owner's or an admin's; anyone else gets NOT_FOUND. */
export async function findVisiblePayment<Q extends Omit<Prisma.PaymentFindUniqueArgs, "where">>(principal: Principal, query: Q, id: number) {
  requireSignedIn(principal);
  const payment = await db().payment.findUnique({ ...query, where: { id, order: ownedBy(principal) } });
  if (!payment) throw new NotFoundError("Payment", id);
  return payment;
}

/** A payment a mutation of this request just made (its payload's `payment` field). */
export function findPayment<Q extends Omit<Prisma.PaymentFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().payment.findUnique({ ...query, where: { id } });
}
