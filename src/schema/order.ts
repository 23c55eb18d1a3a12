import { builder } from "./builder.js";
import { ProductRef } from "./product.js";
import { formatUsd, parseId } from "./fields.js";
import { OrderStatus } from "../generated/sqlite/enums.js";
import { findOrder, findVisibleOrder } from "../services/orders/queries.js";
import { fulfillOrder, type FulfillmentResult } from "../services/fulfillment/index.js";

builder.enumType(OrderStatus, { name: "OrderStatus" });

export const OrderRef = builder.prismaObject("Order", {
  fields: (t) => ({
    id: t.exposeID("id"),
    status: t.expose("status", { type: OrderStatus }),
    user: t.relation("user"),
    items: t.field({ type: [OrderItemRef], resolve: (order, _args, ctx) => ctx.loaders.itemsByOrder.load(order.id) }),
    payments: t.relation("payments", { query: { orderBy: { id: "asc" } } }),
    shipment: t.relation("shipment", { nullable: true }),
    coupon: t.relation("coupon", { nullable: true }),
    subtotalCents: t.exposeInt("subtotalCents"),
    discountCents: t.exposeInt("discountCents"),
    totalCents: t.exposeInt("totalCents"),
    totalFormatted: t.string({ resolve: (o) => formatUsd(o.totalCents) }),
    reservedUntil: t.expose("reservedUntil", { type: "DateTime", nullable: true }),
    failureReason: t.exposeString("failureReason", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const OrderItemRef = builder.prismaObject("OrderItem", {
  fields: (t) => ({
    id: t.exposeID("id"),
    product: t.field({ type: ProductRef, resolve: (item, _args, ctx) => ctx.loaders.productById.load(item.productId) }),
    quantity: t.exposeInt("quantity"),
    unitPriceCents: t.exposeInt("unitPriceCents", { description: "The price when the order was placed" }),
    lineTotalCents: t.exposeInt("lineTotalCents"),
  }),
});

builder.prismaObject("Shipment", {
  fields: (t) => ({
    id: t.exposeID("id"),
    carrier: t.exposeString("carrier"),
    trackingNumber: t.exposeString("trackingNumber"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  order: t.prismaField({
    authScopes: { signedIn: true },
    type: "Order",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => findVisibleOrder(ctx.principal, query, parseId(args.id)),
  }),
}));

const FulfillOrderPayload = builder.objectRef<FulfillmentResult>("FulfillOrderPayload").implement({
  fields: (t) => ({
    order: t.field({ type: OrderRef, resolve: (p) => findOrder({}, p.orderId).then((o) => o!) }),
    trackingNumber: t.exposeString("trackingNumber"),
    carrier: t.exposeString("carrier"),
    alreadyFulfilled: t.exposeBoolean("alreadyFulfilled"),
  }),
});

builder.mutationFields((t) => ({
  fulfillOrder: t.field({
    authScopes: { admin: "fulfil orders" },
    type: FulfillOrderPayload,
    args: { orderId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => fulfillOrder(ctx.principal, parseId(args.orderId, "orderId"), ctx.logger),
  }),
}));
