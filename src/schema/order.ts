import { builder } from "./builder.js";
import { ProductRef } from "./product.js";
import { formatUsd, parseId } from "./fields.js";
import { OrderStatus } from "../generated/sqlite/enums.js";
import { findOrder, findVisibleOrder, requestCancellation, type Order, type OrderWindow } from "../services/orders/index.js";
import type { GraphQLResolveInfo } from "graphql";
import { prefetchOrderLines, type Loaders } from "./loaders.js";
import { fieldsAt, selects } from "./selection.js";
import { unwrapOutcome } from "./outcome.js";
import { fulfillOrder, type FulfillmentResult } from "../services/fulfillment/index.js";

builder.enumType(OrderStatus, {
  name: "OrderStatus",
  description: "Where an order is in its lifecycle: PENDING -> PAID -> PROCESSING -> FULFILLED, or CANCELLED, or FAILED.",
  values: {
    PENDING: { description: "Placed and unpaid: its stock is reserved until reservedUntil, and it may be paid or given a coupon. Initial. Leads to: PAID, CANCELLED." },
    PAID: { description: "Paid (or free): its stock is committed and it awaits fulfilment; an admin may still cancel it (refunded in full). Reached from: PENDING. Leads to: PROCESSING, FAILED, CANCELLED." },
    PROCESSING: { description: "Fulfilment has started: the shipment is being created; an admin may still cancel it until it ships (refunded in full). Reached from: PAID. Leads to: FULFILLED, FAILED, CANCELLED." },
    FULFILLED: { description: "Shipped: the shipment field holds the carrier and tracking number. Reached from: PROCESSING. Final." },
    CANCELLED: {
      description:
        "Cancelled: by its customer while unpaid, by an admin before it shipped (a paid order's charge refunded in full), or left unpaid past reservedUntil; its stock and coupon redemption were given back. Reached from: PENDING, PAID, PROCESSING. Final.",
    },
    FAILED: { description: "Fulfilment failed for good; failureReason says why. Reached from: PAID, PROCESSING. Final." },
  },
});

export const OrderRef = builder.prismaObject("Order", {
  description: "A customer's order. Only its owner and admins may read it; to anyone else it does not exist (NOT_FOUND).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The order's database id, the same as in REST." }),
    status: t.expose("status", { type: OrderStatus, description: "Where the order is in its lifecycle." }),
    user: t.relation("user", { description: "The customer the order is for." }),
    items: t.field({ type: [OrderItemRef], description: "The ordered lines, one per product.", resolve: (order, _args, ctx) => ctx.loaders.itemsByOrder.get(order.id) }),
    payments: t.relation("payments", { query: { orderBy: { id: "asc" } }, description: "Every payment attempt on the order, oldest first, failed ones included." }),
    shipment: t.relation("shipment", { nullable: true, description: "The shipment once the order is FULFILLED; null before." }),
    coupon: t.relation("coupon", { nullable: true, description: "The coupon applied at checkout or by applyCoupon; null when none." }),
    subtotalCents: t.exposeInt("subtotalCents", { description: "The sum of the lines' lineTotalCents, in integer cents." }),
    discountCents: t.exposeInt("discountCents", { description: "The coupon's discount in integer cents, never more than the subtotal; 0 without a coupon." }),
    totalCents: t.exposeInt("totalCents", { description: "What the order costs: subtotalCents minus discountCents, in integer cents." }),
    totalFormatted: t.string({ description: "The total for display, such as $1,234.50; compute with totalCents.", resolve: (o) => formatUsd(o.totalCents) }),
    reservedUntil: t.expose("reservedUntil", {
      type: "DateTime",
      nullable: true,
      description: "While PENDING: when the stock reservation lapses, after which the unpaid order is CANCELLED. Null once paid or cancelled.",
    }),
    failureReason: t.exposeString("failureReason", { nullable: true, description: "Why the order was CANCELLED or FAILED, as text for people; null otherwise." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the order was placed." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the order last changed." }),
  }),
});

/**
 * The Order fields an order page answers from its narrow form (services/orders
 * `OrderSummary`): its totals and status, and what resolves by the order's id
 * (relations, lines). A page asking for anything else reads every column.
 * tests/graphql.test.ts checks each Order field through both forms.
 */
const SUMMARY_FIELDS = new Set(["__typename", "id", "status", "user", "items", "payments", "shipment", "coupon", "subtotalCents", "discountCents", "totalCents", "totalFormatted"]);
const NODE = ["edges", "node"];
const ITEM_PRODUCTS = [...NODE, "items", "product"];

/**
 * A connection's page of one user's orders, read for what the query asks: the
 * narrow form when it is enough, and the lines (with their products) up front
 * when asked for (./loaders.ts). The pages of a page of users are read
 * together, in one statement.
 */
export async function orderPage(userId: number, window: OrderWindow, info: GraphQLResolveInfo, loaders: Loaders): Promise<Order[]> {
  const fields = fieldsAt(info, NODE);
  // A summary stands in for the row: only SUMMARY_FIELDS are read from it.
  const orders = (await loaders.orderPages(window, [...fields].every((field) => SUMMARY_FIELDS.has(field))).get(userId)) as Order[];
  // The window reads one order more than the page, to know whether another follows: its lines are not asked for.
  if (fields.has("items")) await prefetchOrderLines(loaders, orders.slice(0, window.limit - 1), selects(info, ITEM_PRODUCTS));
  return orders;
}

const OrderItemRef = builder.prismaObject("OrderItem", {
  description: "One line of an order: a product and how many of it.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The line's database id." }),
    product: t.field({ type: ProductRef, description: "The product as it is now (its price may have changed since).", resolve: (item, _args, ctx) => ctx.loaders.productById.get(item.productId) }),
    quantity: t.exposeInt("quantity", { description: "Units ordered, 1 to 1,000." }),
    unitPriceCents: t.exposeInt("unitPriceCents", { description: "The product's price in integer cents when the order was placed." }),
    lineTotalCents: t.exposeInt("lineTotalCents", { description: "The line's total in integer cents: unitPriceCents times quantity." }),
  }),
});

builder.prismaObject("Shipment", {
  description: "The parcel that fulfils an order; an order has at most one.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The shipment's database id." }),
    carrier: t.exposeString("carrier", { description: "The carrier's name, as the shipping provider gives it." }),
    trackingNumber: t.exposeString("trackingNumber", { description: "The carrier's tracking number, unique across shipments." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the shipment was recorded." }),
  }),
});

builder.queryFields((t) => ({
  order: t.prismaField({
    authScopes: { signedIn: true },
    type: "Order",
    nullable: true,
    description: "Signed in: an order by id, for its owner or an admin. Null with NOT_FOUND when it does not exist or is another customer's.",
    args: { id: t.arg.id({ required: true, description: "The order's id, a positive integer (else VALIDATION_FAILED)." }) },
    resolve: (query, _root, args, ctx) => findVisibleOrder(ctx.principal, query, parseId(args.id)),
  }),
}));

const FulfillOrderPayload = builder.objectRef<FulfillmentResult>("FulfillOrderPayload").implement({
  description: "The result of fulfillOrder: the order is FULFILLED.",
  fields: (t) => ({
    order: t.field({ type: OrderRef, description: "The order, now FULFILLED.", resolve: (p) => findOrder({}, p.orderId).then((o) => o!) }),
    trackingNumber: t.exposeString("trackingNumber", { description: "The shipment's tracking number." }),
    carrier: t.exposeString("carrier", { description: "The shipment's carrier." }),
    alreadyFulfilled: t.exposeBoolean("alreadyFulfilled", { description: "True when the order had already been fulfilled (by an earlier or concurrent call): nothing new was shipped." }),
  }),
});

builder.mutationFields((t) => ({
  fulfillOrder: t.field({
    authScopes: { admin: "fulfil orders" },
    type: FulfillOrderPayload,
    description:
      "Admins only: ships a PAID order (or continues one left PROCESSING) and marks it FULFILLED; safe to repeat, a fulfilled order answers with its shipment. Errors: NOT_FOUND, ORDER_NOT_PAID, FULFILLMENT_FAILED (the order is now FAILED), SHIPPING_UNAVAILABLE (retry; the order stays PROCESSING).",
    args: { orderId: t.arg.id({ required: true, description: "The order's id, a positive integer (else VALIDATION_FAILED)." }) },
    resolve: (_root, args, ctx) => fulfillOrder(ctx.principal, parseId(args.orderId, "orderId"), ctx.logger),
  }),
}));

const CancelOrderPayload = builder.objectRef<{ orderId: number; replayed: boolean }>("CancelOrderPayload").implement({
  description: "A cancelled order.",
  fields: (t) => ({
    order: t.field({ type: OrderRef, description: "The order as it is now: CANCELLED, its payment refunded when it was paid.", resolve: (p) => findOrder({}, p.orderId).then((o) => o!) }),
    replayed: t.exposeBoolean("replayed", { description: "True when this answer was replayed for a repeated cancellation: nothing ran again." }),
  }),
});

builder.mutationFields((t) => ({
  cancelOrder: t.field({
    authScopes: { signedIn: true },
    type: CancelOrderPayload,
    description:
      "Signed in: a customer cancels their own PENDING order; an admin any PENDING, PAID or PROCESSING order not yet shipped (its charge refunded in full). Stock and the coupon redemption come back at once. A CANCELLED order answers as it is. Errors: NOT_FOUND (also another customer's order), ORDER_NOT_CANCELLABLE (a customer's paid order: support cancels it; or a payment in progress: retry), ORDER_ALREADY_FULFILLED (refund instead), REFUND_FAILED (the order is cancelled: after a gateway outage the refund is finished by a retry with the same key or automatically; after a refusal, an admin cancelling the order again refunds what is left), PAYMENT_NOT_REFUNDABLE (a paid order with no charge at the gateway: nothing cancelled), VALIDATION_FAILED, RATE_LIMITED (more than RATE_LIMIT_CANCEL_PER_MIN a minute). A refund of the payment still in progress: ORDER_NOT_CANCELLABLE, retry shortly.",
    args: {
      orderId: t.arg.id({ required: true, description: "The order's id, a positive integer (else VALIDATION_FAILED)." }),
      reason: t.arg.string({ description: "Why, for the audit trail and the customer's e-mail: at most 500 characters." }),
      idempotencyKey: t.arg.string({ description: "Optional: without one, a repeat by the same caller is the same cancellation." }),
    },
    resolve: async (_root, { orderId, reason, idempotencyKey }, ctx) =>
      unwrapOutcome(await requestCancellation(ctx.principal, parseId(orderId, "orderId"), { reason }, idempotencyKey)),
  }),
}));
