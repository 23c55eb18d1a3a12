import type { Prisma, Tx } from "../db/index.js";
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

export function orderNotPending(orderId: number, status: string): DomainError {
  return new DomainError("ORDER_NOT_PENDING", `Order ${orderId} is ${status}; only PENDING orders can be paid`, {
    orderId,
    status,
  });
}
