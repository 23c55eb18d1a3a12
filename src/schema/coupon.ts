import { builder } from "./builder.js";
import { CouponType } from "../generated/sqlite/enums.js";
import { applyCoupon, createCoupon, listCoupons, type AppliedCoupon } from "../services/coupons/index.js";
import { OrderRef } from "./order.js";
import { findOrder } from "../services/orders/queries.js";
import { dropNulls, parseId } from "./fields.js";

builder.enumType(CouponType, { name: "CouponType" });

export const CouponRef = builder.prismaObject("Coupon", {
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
    authScopes: { admin: "list coupons" },
    type: ["Coupon"],
    args: { activeOnly: t.arg.boolean({ defaultValue: true, required: true }) },
    resolve: (_query, _root, args, ctx) => listCoupons(ctx.principal, { activeOnly: args.activeOnly }),
  }),
}));

const CreateCouponInput = builder.inputType("CreateCouponInput", {
  fields: (t) => ({
    code: t.string({ required: true }),
    type: t.field({ type: CouponType, required: true }),
    percentOff: t.float({ description: "PERCENTAGE only: greater than 0, at most 100, at most 2 decimals" }),
    amountOffCents: t.int({ description: "FIXED_AMOUNT only: positive" }),
    description: t.string(),
    expiresAt: t.field({ type: "DateTime" }),
    maxRedemptions: t.int(),
    minSubtotalCents: t.int(),
  }),
});

const CreateCouponPayload = builder.objectRef<{ coupon: Awaited<ReturnType<typeof createCoupon>> }>("CreateCouponPayload").implement({
  fields: (t) => ({ coupon: t.field({ type: CouponRef, resolve: (p) => p.coupon }) }),
});

const ApplyCouponPayload = builder.objectRef<AppliedCoupon>("ApplyCouponPayload").implement({
  fields: (t) => ({
    order: t.field({ type: OrderRef, resolve: (p) => findOrder({}, p.orderId).then((o) => o!) }),
    couponCode: t.exposeString("couponCode"),
    originalTotalCents: t.exposeInt("originalTotalCents"),
    discountCents: t.exposeInt("discountCents"),
    finalTotalCents: t.exposeInt("finalTotalCents"),
  }),
});

builder.mutationFields((t) => ({
  createCoupon: t.field({
    authScopes: { admin: "create coupons" },
    type: CreateCouponPayload,
    args: { input: t.arg({ type: CreateCouponInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ coupon: await createCoupon(ctx.principal, dropNulls(input)) }),
  }),
  applyCoupon: t.field({
    authScopes: { signedIn: true },
    type: ApplyCouponPayload,
    args: { orderId: t.arg.id({ required: true }), code: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => applyCoupon(ctx.principal, parseId(args.orderId, "orderId"), args.code),
  }),
}));
