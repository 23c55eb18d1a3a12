import type { Sql } from "../../db/sql.js";
import { publish } from "../events/index.js";
import { DomainError } from "../../errors.js";
import { OrderStatus } from "../../generated/sqlite/enums.js";
import { assertTransition, type TransitionTable } from "../common/index.js";
import { updateOrderStatus, type OrderChanges } from "./sql.js";

/**
 * The order lifecycle. Every status change of an order, on every path
 * (checkout, payment, fulfilment, expiry, cancellation), goes through
 * `transitionOrder`, called by ./lifecycle.ts's transitions; the table of
 * who takes which is in docs/architecture.md ("State machines").
 */
export const orderTransitions: TransitionTable<OrderStatus> = {
  PENDING: [OrderStatus.PAID, OrderStatus.CANCELLED],
  PAID: [OrderStatus.PROCESSING, OrderStatus.FAILED, OrderStatus.CANCELLED],
  PROCESSING: [OrderStatus.FULFILLED, OrderStatus.FAILED, OrderStatus.CANCELLED],
  FULFILLED: [],
  CANCELLED: [],
  FAILED: [],
};

/**
 * Moves an order from `from` to `to`, writing `changes` with it, by a
 * conditional update: of two concurrent callers exactly one wins. Returns
 * false when the order was not in `from` (or a payment was in flight, with
 * `unlessPaymentInFlight`). An illegal transition is a programming error.
 */
export async function transitionOrder(
  sql: Sql,
  orderId: number,
  from: OrderStatus,
  to: OrderStatus,
  changes: OrderChanges = {},
  options: { now?: Date; unlessPaymentInFlight?: boolean } = {},
): Promise<boolean> {
  assertTransition("order", orderTransitions, from, to);
  const moved = await updateOrderStatus(sql, orderId, from, to, changes, options.now ?? new Date(), options.unlessPaymentInFlight ?? false);
  if (moved) sql.afterCommit(() => publish("order", orderId));
  return moved;
}

export function orderNotPending(orderId: number, status: string): DomainError {
  return new DomainError("ORDER_NOT_PENDING", `Order ${orderId} is ${status}; only PENDING orders can be paid`, { orderId, status });
}
