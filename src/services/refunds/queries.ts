import { db, type Prisma } from "../../db/index.js";

/** A refund with the caller's selection (GraphQL's payload reads it as it is now). */
export function findRefund<Q extends Omit<Prisma.RefundFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().refund.findUnique({ ...query, where: { id } });
}
