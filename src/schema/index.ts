import { builder, type GraphQLContext } from "./builder.js";
import { withFreshLoaders } from "./loaders.js";
import "./user.js";
import "./product.js";
import "./order.js";
import "./payment.js";
import "./coupon.js";
import "./bulk-upload.js";
import "./checkout.js";
import "./subscription.js";
import "./audit.js";

export const schema = builder.toSchema({ sortSchema: true });

// Mutation fields run in order, each reading after the writes before it: each with loaders of its own.
for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
  const resolve = field.resolve;
  if (resolve) field.resolve = (root, args, ctx: GraphQLContext, info) => resolve(root, args, withFreshLoaders(ctx), info);
}
