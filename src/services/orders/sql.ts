import { readRows } from "../../db/index.js";
import { allColumns, columns, type Row } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { memoized, placeholders } from "../../db/statements.js";
import { OrderStatus, PaymentStatus } from "../../generated/sqlite/enums.js";

export type Order = Row<"Order">;
export type OrderItem = Row<"OrderItem">;

/** Columns a status change may write beside the status. */
export type OrderChanges = Partial<Pick<Order, "paidAt" | "reservedUntil" | "paymentClaimedUntil" | "cancelledAt" | "fulfilledAt" | "failureReason">>;
const CHANGEABLE = ["paidAt", "reservedUntil", "paymentClaimedUntil", "cancelledAt", "fulfilledAt", "failureReason"] as const;

const ORDER = allColumns("Order");
const ITEM = allColumns("OrderItem");
const PAYMENT = columns("Payment", ["id", "amountCents", "refundedCents", "refundPendingCents", "gatewayChargeId"]);
const ORDER_TOTALS = columns("Order", ["id", "userId", "status", "subtotalCents", "discountCents", "totalCents", "couponId", "paymentClaimedUntil"]);
/** An order page's narrow form: no timestamps or failure text, which are most of a row's decoding. */
const ORDER_SUMMARY = columns("Order", ["id", "userId", "status", "subtotalCents", "discountCents", "totalCents"]);
export type OrderSummary = ReturnType<typeof ORDER_SUMMARY.decode>;

export const statements = {
  orderTotals: `SELECT ${ORDER_TOTALS.list} FROM "Order" WHERE "id" = ?`,
  orderWindow: `SELECT ${ORDER.list} FROM "Order" WHERE "userId" = ? AND "id" < ? AND "id" > ? ORDER BY "id" DESC LIMIT ?`,
  orderWindowOldestFirst: `SELECT ${ORDER.list} FROM "Order" WHERE "userId" = ? AND "id" < ? AND "id" > ? ORDER BY "id" ASC LIMIT ?`,
  orderSummaryWindow: `SELECT ${ORDER_SUMMARY.list} FROM "Order" WHERE "userId" = ? AND "id" < ? AND "id" > ? ORDER BY "id" DESC LIMIT ?`,
  orderSummaryWindowOldestFirst: `SELECT ${ORDER_SUMMARY.list} FROM "Order" WHERE "userId" = ? AND "id" < ? AND "id" > ? ORDER BY "id" ASC LIMIT ?`,
  ownerOf: `SELECT "userId", "status" FROM "Order" WHERE "id" = ?`,
  completedPayment: `SELECT ${PAYMENT.list} FROM "Payment" WHERE "orderId" = ? AND "status" = ? ORDER BY "id" LIMIT 1`,
  dueForExpiry: `SELECT "id" FROM "Order" WHERE "status" = ? AND "reservedUntil" < ? AND "id" > ? ORDER BY "id" LIMIT ?`,
};

/** `UPDATE "Order" SET "status" ...` for one set of changed columns, with or without the payment-in-flight guard. */
const statusUpdate = memoized((shape: string) => {
  const [set, guard] = shape.split("|");
  const columns = set ? set.split(",") : [];
  return `UPDATE "Order" SET "status" = ?, "updatedAt" = ?${columns.map((c) => `, "${c}" = ?`).join("")}
    WHERE "id" = ? AND "status" = ?${guard ? ` AND ("paymentClaimedUntil" IS NULL OR "paymentClaimedUntil" <= ?)` : ""}`;
});

// No ORDER BY: the engine reads each order's lines through its index, and sorting them per order (a few each) costs less than sorting them all.
const itemsIn = memoized((n: number) => `SELECT ${ITEM.list} FROM "OrderItem" WHERE "orderId" IN (${placeholders(n)})`);

export function samples(): string[] {
  return [statusUpdate(`${CHANGEABLE.join(",")}|guard`), statusUpdate("|"), itemsIn(1), itemsIn(3), windowsOf("3 full DESC"), windowsOf("2 summary ASC")];
}

/** The conditional status update behind `transitionOrder` (./state.ts): true when this call changed the order. */
export async function updateOrderStatus(
  sql: Sql,
  orderId: number,
  from: OrderStatus,
  to: OrderStatus,
  changes: OrderChanges,
  now: Date,
  unlessPaymentInFlight: boolean,
): Promise<boolean> {
  const set = CHANGEABLE.filter((c) => c in changes);
  const text = statusUpdate(`${set.join(",")}|${unlessPaymentInFlight ? "guard" : ""}`);
  const params = [to, now, ...set.map((c) => changes[c] ?? null), orderId, from];
  if (unlessPaymentInFlight) params.push(now);
  return (await sql.run(text, params)) === 1;
}

export async function findOrderTotals(sql: Sql, orderId: number) {
  const row = await sql.get(statements.orderTotals, [orderId]);
  return row ? ORDER_TOTALS.decode(row) : undefined;
}

export interface OrderWindow {
  olderThan?: number;
  newerThan?: number;
  limit: number;
  oldestFirst?: boolean;
}

/**
 * Each user's keyset window of orders, newest first (or oldest first for
 * backward pages), for many users in one statement: a window of its own per
 * user (its index, its LIMIT), joined by UNION ALL, so a page of users with
 * their orders is one read whatever its size. Users without orders map to [].
 */
export async function orderWindows(userIds: readonly number[], window: OrderWindow): Promise<Map<number, Order[]>> {
  return readWindows(userIds, window, ORDER, "full");
}

/** The same windows in their narrow form (`OrderSummary`), for a page that asks for nothing else. */
export async function orderSummaryWindows(userIds: readonly number[], window: OrderWindow): Promise<Map<number, OrderSummary[]>> {
  return readWindows(userIds, window, ORDER_SUMMARY, "summary");
}

type WindowForm = "full" | "summary";

/** Windows per statement, at most: a statement's text grows with each, and a batch of more is read in several. */
const MAX_WINDOWS = 64;

async function readWindows<T extends { userId: number }>(
  userIds: readonly number[],
  window: OrderWindow,
  shape: { decode: (row: Record<string, unknown>) => T },
  form: WindowForm,
): Promise<Map<number, T[]>> {
  const direction = window.oldestFirst ? "ASC" : "DESC";
  const byUser = new Map<number, T[]>(userIds.map((id) => [id, []]));
  const reads = [];
  for (let i = 0; i < userIds.length; i += MAX_WINDOWS) {
    const batch = userIds.slice(i, i + MAX_WINDOWS);
    // The text is one of a few sizes (1, 2, 4, ... 64 windows), so few statements are ever prepared; a NULL user reads nothing.
    const size = batch.length === 1 ? 1 : 2 ** Math.ceil(Math.log2(batch.length));
    const params = Array.from({ length: size }, (_, k) => [batch[k] ?? null, window.olderThan ?? 2_147_483_647, window.newerThan ?? 0, window.limit]).flat();
    reads.push(readRows<Record<string, unknown>>(windowsOf(`${size} ${form} ${direction}`), params));
  }
  for (const rows of await Promise.all(reads)) for (const row of rows) {
    const order = shape.decode(row);
    byUser.get(order.userId)?.push(order);
  }
  return byUser;
}

/** One user's window is the plain statement; several are each a derived table of their own, in user and page order. */
const windowsOf = memoized((shape: string): string => {
  const [n, form, direction] = shape.split(" ") as [string, WindowForm, "ASC" | "DESC"];
  const single = form === "full" ? (direction === "ASC" ? statements.orderWindowOldestFirst : statements.orderWindow) : direction === "ASC" ? statements.orderSummaryWindowOldestFirst : statements.orderSummaryWindow;
  if (n === "1") return single;
  const one = `SELECT * FROM (${single}) AS "w"`;
  return `${Array.from({ length: Number(n) }, () => one).join(" UNION ALL ")} ORDER BY "userId", "id" ${direction}`;
});

/** The items of many orders in one statement (a per-request loader's batch), each order's in id order. */
export async function itemsForOrders(orderIds: readonly number[]): Promise<Map<number, OrderItem[]>> {
  const rows = (await readRows(itemsIn(orderIds.length), [...orderIds])).map(ITEM.decode);
  const byOrder = new Map<number, OrderItem[]>(orderIds.map((id) => [id, []]));
  for (const row of rows) byOrder.get(row.orderId)?.push(row);
  for (const lines of byOrder.values()) if (lines.length > 1) lines.sort((a, b) => a.id - b.id);
  return byOrder;
}

/** Unpaid orders whose reservation lapsed, in id order after `afterId`. */
export async function ordersDueForExpiry(now: Date, afterId: number, limit: number): Promise<number[]> {
  const rows = await readRows<{ id: number }>(statements.dueForExpiry, [OrderStatus.PENDING, now, afterId, limit]);
  return rows.map((r) => r.id);
}

/** The user an order belongs to (read outside any transaction), or undefined. */
export async function orderOwner(orderId: number): Promise<number | undefined> {
  return (await orderOwnerAndStatus(orderId))?.userId;
}

/** Who owns the order and where it stands, read without a transaction (a check before one). */
export async function orderOwnerAndStatus(orderId: number): Promise<{ userId: number; status: OrderStatus } | undefined> {
  const [row] = await readRows<{ userId: number; status: OrderStatus }>(statements.ownerOf, [orderId]);
  return row;
}

/** The order's COMPLETED payment (an order is paid once), if any. */
export async function completedPaymentOf(sql: Sql, orderId: number) {
  const row = await sql.get(statements.completedPayment, [orderId, PaymentStatus.COMPLETED]);
  return row ? PAYMENT.decode(row) : undefined;
}
