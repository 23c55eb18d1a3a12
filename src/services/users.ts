import { db, readRows, type Prisma } from "../db/index.js";
import { NotFoundError } from "../errors.js";

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

export type User = Prisma.UserGetPayload<object>;

/** One user by id on the driver path (the GraphQL `user(id)` entry point of nested order reads). */
export async function userById(id: number): Promise<User | null> {
  const [row] = await readRows<Record<string, unknown>>(`SELECT "id", "email", "name", "createdAt", "updatedAt" FROM "User" WHERE "id" = ?`, [id]);
  if (!row) return null;
  return { ...row, createdAt: new Date(row.createdAt as string), updatedAt: new Date(row.updatedAt as string) } as User;
}
