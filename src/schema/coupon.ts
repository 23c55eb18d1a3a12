import { builder } from "./builder.js";
import { CouponType } from "../generated/sqlite/enums.js";
import { listCoupons } from "../services/coupons.js";

builder.enumType(CouponType, { name: "CouponType" });

builder.prismaObject("Coupon", {
  fields: (t) => ({
    id: t.exposeID("id"),
    code: t.exposeString("code"),
    type: t.expose("type", { type: CouponType }),
    percentOff: t.float({
      nullable: true,
      description: "Percent off for PERCENTAGE coupons (15.25 means 15.25%)",
      resolve: (c) => (c.percentOffBps === null ? null : c.percentOffBps / 100),
    }),
    amountOffCents: t.exposeInt("amountOffCents", { nullable: true }),
    description: t.exposeString("description", { nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    maxRedemptions: t.exposeInt("maxRedemptions", { nullable: true }),
    redemptionCount: t.exposeInt("redemptionCount"),
    minSubtotalCents: t.exposeInt("minSubtotalCents", { nullable: true }),
  }),
});

builder.queryFields((t) => ({
  coupons: t.prismaField({
    type: ["Coupon"],
    args: { activeOnly: t.arg.boolean({ defaultValue: true, required: true }) },
    resolve: (_query, _root, args) => listCoupons({ activeOnly: args.activeOnly }),
  }),
}));
