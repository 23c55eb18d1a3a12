import { db, type Prisma } from "../../db/index.js";
import { NotFoundError } from "../../errors.js";

import type { Principal } from "../../auth/principal.js";
import { requireAdmin, requireOwnOrNotFound } from "../common/index.js";
import { userById, type User } from "./sql.js";

export { userById, type User } from "./sql.js";

/** For development tooling (`npm run token`, GraphiQL's demo customer): e-mails are stored lower-cased. */
export async function findUserIdByEmail(email: string): Promise<number | undefined> {
  return (await db().user.findUnique({ where: { email: email.toLowerCase() }, select: { id: true } }))?.id;
}

export async function assertUserExists(id: number): Promise<void> {
  const user = await db().user.findUnique({ where: { id }, select: { id: true } });
  if (!user) throw new NotFoundError("User", id);
}

export function findUsers<Q extends Prisma.UserFindManyArgs>(principal: Principal, query: Q) {
  requireAdmin(principal, "list users");
  return db().user.findMany({ ...query, orderBy: { id: "desc" } });
}

/** GraphQL's `user(id)`: the user themself or an admin; anyone else gets NOT_FOUND. */
export async function findVisibleUser(principal: Principal, id: number): Promise<User> {
  requireOwnOrNotFound(principal, id, "User", id);
  const user = await userById(id);
  if (!user) throw new NotFoundError("User", id);
  return user;
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
