import { readRows } from "../../db/index.js";
import { columns, type Row } from "../../db/rows.js";

export type User = Row<"User">;

const USER = columns("User", ["id", "email", "name", "createdAt", "updatedAt"]);

export const statements = {
  byId: `SELECT ${USER.list} FROM "User" WHERE "id" = ?`,
};

/** One user by id on the driver (the GraphQL `user(id)` entry point of nested order reads). */
export async function userById(id: number): Promise<User | null> {
  const [row] = await readRows(statements.byId, [id]);
  return row ? USER.decode(row) : null;
}
