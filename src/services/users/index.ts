import { db, type Prisma } from "../../db/index.js";
import { NotFoundError } from "../../errors.js";

export { userById, type User } from "./sql.js";

export async function assertUserExists(id: number): Promise<void> {
  const user = await db().user.findUnique({ where: { id }, select: { id: true } });
  if (!user) throw new NotFoundError("User", id);
}

export function findUsers<Q extends Prisma.UserFindManyArgs>(query: Q) {
  return db().user.findMany({ ...query, orderBy: { id: "desc" } });
}

/** Orders per user, for many users in one statement (GraphQL's per-request loader). */
export async function countOrdersByUser(userIds: readonly number[]): Promise<Map<number, number>> {
  const rows = await db().order.groupBy({
    by: ["userId"],
    where: { userId: { in: [...userIds] } },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.userId, r._count._all]));
}
