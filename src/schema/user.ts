import { resolveCursorConnection } from "@pothos/plugin-relay";
import { builder, MAX_CONNECTION_SIZE } from "./builder.js";
import { OrderRef } from "./order.js";
import { orderWindow, type Order } from "../services/orders/sql.js";
import { decodeCursor, encodeCursor } from "../services/pagination.js";
import { parseId } from "./fields.js";
import { findUsers, findVisibleUser } from "../services/users/index.js";
import { whoAmI, type Caller } from "../services/users/me.js";

const UserRef = builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    email: t.exposeString("email"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    orders: t.connection({
      type: OrderRef,
      description: "The user's orders, newest first",
      resolve: (user, args) =>
        resolveCursorConnection<Promise<Order[]>>({ args, toCursor: (o: Order) => encodeCursor(o.id), maxSize: MAX_CONNECTION_SIZE }, (page) =>
          orderWindow(user.id, {
            olderThan: page.after ? decodeCursor(page.after) : undefined,
            newerThan: page.before ? decodeCursor(page.before) : undefined,
            limit: page.limit,
            oldestFirst: page.inverted,
          }),
        ),
    }),
    orderCount: t.int({
      resolve: (user, _args, ctx) => ctx.loaders.orderCountByUser.load(user.id),
    }),
  }),
});

builder.queryFields((t) => ({
  users: t.prismaConnection({
    authScopes: { admin: "list users" },
    type: "User",
    cursor: "id",
    description: "Users, newest first",
    resolve: (query, _root, _args, ctx) => findUsers(ctx.principal, query),
  }),
  user: t.field({
    authScopes: { signedIn: true },
    type: UserRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => findVisibleUser(ctx.principal, parseId(args.id)),
  }),
}));

const CallerRef = builder.objectRef<Caller>("Caller").implement({
  description: "Who the bearer token says the caller is",
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "customer or admin" }),
    sub: t.exposeString("sub", { description: "The token's subject: a customer's user id, or the identity provider's id of a staff account" }),
    roles: t.exposeStringList("roles"),
    user: t.field({ type: UserRef, nullable: true, description: "A customer's own profile", resolve: (caller) => caller.user }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({ type: CallerRef, authScopes: { signedIn: true }, resolve: (_root, _args, ctx) => whoAmI(ctx.principal) }),
}));
