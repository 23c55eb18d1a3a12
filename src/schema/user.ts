import { builder } from "./builder.js";
import { parseId } from "./scalars.js";
import { findUser, findUsers } from "../services/users.js";

builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    email: t.exposeString("email"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    orders: t.relatedConnection("orders", {
      cursor: "id",
      description: "The user's orders, newest first",
      query: () => ({ orderBy: { id: "desc" } }),
    }),
    orderCount: t.int({
      resolve: (user, _args, ctx) => ctx.loaders.orderCountByUser.load(user.id),
    }),
  }),
});

builder.queryFields((t) => ({
  users: t.prismaConnection({
    type: "User",
    cursor: "id",
    description: "Users, newest first",
    resolve: (query) => findUsers(query),
  }),
  user: t.prismaField({
    type: "User",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args) => findUser(query, parseId(args.id)),
  }),
}));
