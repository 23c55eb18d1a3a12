import { resolveCursorConnection } from "@pothos/plugin-relay";
import { builder, MAX_CONNECTION_SIZE } from "./builder.js";
import { orderPage, OrderRef } from "./order.js";
import type { Order } from "../services/orders/index.js";
import { decodeCursor, encodeCursor } from "../services/common/index.js";
import { parseId } from "./fields.js";
import { findUsers, findVisibleUser } from "../services/users/index.js";
import { whoAmI, type Caller } from "../services/users/me.js";

const UserRef = builder.prismaObject("User", {
  description: "A shop customer. Only the user themself and admins may read it; to anyone else it does not exist (NOT_FOUND).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The user's database id, the same as in REST and as a customer token's sub." }),
    name: t.exposeString("name", { description: "Display name." }),
    email: t.exposeString("email", { description: "E-mail address, stored lower-cased." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the user was created." }),
    orders: t.connection({
      type: OrderRef,
      description: "The user's orders in every status, newest first.",
      resolve: (user, args, ctx, info) =>
        resolveCursorConnection<Promise<Order[]>>({ args, toCursor: (o: Order) => encodeCursor(o.id), maxSize: MAX_CONNECTION_SIZE }, (page) =>
          orderPage(user.id, {
            olderThan: page.after ? decodeCursor(page.after) : undefined,
            newerThan: page.before ? decodeCursor(page.before) : undefined,
            limit: page.limit,
            oldestFirst: page.inverted,
          }, info, ctx.loaders),
        ),
    }, { description: "A page of a user's orders, newest first." }, { description: "An order and its cursor." }),
    orderCount: t.int({
      description: "How many orders the user has, in every status.",
      resolve: (user, _args, ctx) => ctx.loaders.orderCountByUser.get(user.id),
    }),
  }),
});

builder.queryFields((t) => ({
  users: t.prismaConnection({
    authScopes: { admin: "list users" },
    type: "User",
    cursor: "id",
    description: "Admins only: every user, newest first.",
    resolve: (query, _root, _args, ctx) => findUsers(ctx.principal, query),
  }, { description: "A page of users, newest first." }, { description: "A user and its cursor." }),
  user: t.field({
    authScopes: { signedIn: true },
    type: UserRef,
    nullable: true,
    description: "Signed in: a user by id, for the user themself or an admin. Null with NOT_FOUND when it does not exist or is another user.",
    args: { id: t.arg.id({ required: true, description: "The user's id, a positive integer (else VALIDATION_FAILED)." }) },
    resolve: (_root, args, ctx) => findVisibleUser(ctx.principal, parseId(args.id)),
  }),
}));

const CallerRef = builder.objectRef<Caller>("Caller").implement({
  description: "Who the bearer token says the caller is.",
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "Either customer or admin, in lower case." }),
    sub: t.exposeString("sub", { description: "The token's subject: a customer's user id, or the identity provider's id of a staff account." }),
    roles: t.exposeStringList("roles", { description: "An admin token's roles claim (it contains admin); always empty for a customer." }),
    user: t.field({ type: UserRef, nullable: true, description: "A customer's own profile; null for an admin, who is a staff account, not a shop user.", resolve: (caller) => caller.user }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({
    type: CallerRef,
    authScopes: { signedIn: true },
    description: "Signed in: who the bearer token says the caller is.",
    resolve: (_root, _args, ctx) => whoAmI(ctx.principal),
  }),
}));
