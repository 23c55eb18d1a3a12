import type { Prisma, Tx } from "../db/index.js";
import type { Sql } from "../db/sql.js";
import { DomainError } from "../errors.js";
import type { OrderStatus } from "../generated/sqlite/enums.js";

/** The order lifecycle (../shared/api-contract.md). Every status change goes through `transitionOrder`. */
const transitions: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ["PAID", "CANCELLED"],
  PAID: ["PROCESSING"],
  PROCESSING: ["FULFILLED", "FAILED", "PAID"],
  FULFILLED: [],
  CANCELLED: [],
  FAILED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return transitions[from].includes(to);
}

/**
 * Moves an order from `from` to `to` with a conditional update, so of two
 * concurrent callers exactly one wins. Returns false when the order was not in
 * `from` (or did not match the extra conditions `also`).
 */
export async function transitionOrder(
  tx: Tx,
  orderId: number,
  from: OrderStatus,
  to: OrderStatus,
  data: Omit<Prisma.OrderUpdateManyMutationInput, "status"> = {},
  also: Omit<Prisma.OrderWhereInput, "id" | "status"> = {},
): Promise<boolean> {
  if (!canTransition(from, to)) throw new Error(`illegal order transition ${from} -> ${to}`);
  const { count } = await tx.order.updateMany({ where: { ...also, id: orderId, status: from }, data: { ...data, status: to } });
  return count === 1;
}

/**
 * `transitionOrder` on the driver (./db/sql.ts), for the paths that run there:
 * the same conditional update, with `set` naming further columns to write.
 */
export async function transitionOrderSql(
  sql: Sql,
  orderId: number,
  from: OrderStatus,
  to: OrderStatus,
  set: Record<string, number | string | Date | null> = {},
  now = new Date(),
): Promise<boolean> {
  if (!canTransition(from, to)) throw new Error(`illegal order transition ${from} -> ${to}`);
  const columns = Object.keys(set);
  if (!columns.every((c) => /^[A-Za-z]+$/.test(c))) throw new Error(`bad column in ${columns.join(", ")}`);
  const changed = await sql.run(
    `UPDATE "Order" SET "status" = ?, "updatedAt" = ?${columns.map((c) => `, "${c}" = ?`).join("")} WHERE "id" = ? AND "status" = ?`,
    [to, now, ...Object.values(set), orderId, from],
  );
  return changed === 1;
}

export function orderNotPending(orderId: number, status: string): DomainError {
  return new DomainError("ORDER_NOT_PENDING", `Order ${orderId} is ${status}; only PENDING orders can be paid`, {
    orderId,
    status,
  });
}
