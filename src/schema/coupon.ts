import { builder } from "./builder.js";
import { CouponType } from "../generated/sqlite/enums.js";
import { applyCoupon, createCoupon, listCoupons, type AppliedCoupon } from "../services/coupons/index.js";
import { OrderRef } from "./order.js";
import { findOrder } from "../services/orders/index.js";
import { dropNulls, parseId } from "./fields.js";

builder.enumType(CouponType, {
  name: "CouponType",
  description: "How a coupon's discount is computed; it is always taken off the order's subtotal.",
  values: {
    PERCENTAGE: { description: "percentOff percent of the subtotal, rounded half-up to the cent." },
    FIXED_AMOUNT: { description: "amountOffCents off the subtotal, never more than the subtotal." },
  },
});

export const CouponRef = builder.prismaObject("Coupon", {
  description: "A discount code. Admins list and create coupons; a customer reads the one on their own order.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The coupon's database id." }),
    code: t.exposeString("code", { description: "The code, stored upper-cased and matched case-insensitively." }),
    type: t.expose("type", { type: CouponType, description: "How the discount is computed." }),
    percentOff: t.float({
      nullable: true,
      description: "Percent off for PERCENTAGE coupons, in percent with up to 2 decimals (15.25 means 15.25%); null for FIXED_AMOUNT.",
      resolve: (c) => (c.percentOffBps === null ? null : c.percentOffBps / 100),
    }),
    amountOffCents: t.exposeInt("amountOffCents", { nullable: true, description: "Discount in integer cents for FIXED_AMOUNT coupons; null for PERCENTAGE." }),
    description: t.exposeString("description", { nullable: true, description: "Free-text note; null when there is none." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "From this instant redeeming is COUPON_EXPIRED; null when it never expires." }),
    maxRedemptions: t.exposeInt("maxRedemptions", { nullable: true, description: "How many orders may redeem it in all (then COUPON_EXHAUSTED); null for no limit." }),
    redemptionCount: t.exposeInt("redemptionCount", { description: "Redemptions so far; an unpaid order that is cancelled gives its redemption back." }),
    minSubtotalCents: t.exposeInt("minSubtotalCents", {
      nullable: true,
      description: "The smallest order subtotal in integer cents it applies to (VALIDATION_FAILED below it); null for none.",
    }),
  }),
});

builder.queryFields((t) => ({
  coupons: t.prismaField({
    authScopes: { admin: "list coupons" },
    type: ["Coupon"],
    description: "Admins only: coupons in code order.",
    args: {
      activeOnly: t.arg.boolean({
        defaultValue: true,
        required: true,
        description: "True for only the coupons that can be redeemed now (switched on, not expired, redemptions left); false for all.",
      }),
    },
    resolve: (_query, _root, args, ctx) => listCoupons(ctx.principal, { activeOnly: args.activeOnly }),
  }),
}));

const CreateCouponInput = builder.inputType("CreateCouponInput", {
  description: "A new coupon; a field that breaks its rule is VALIDATION_FAILED, named in details.fields.",
  fields: (t) => ({
    code: t.string({ required: true, description: "1 to 64 letters, digits, - and _, stored upper-cased; a code in use is DUPLICATE." }),
    type: t.field({ type: CouponType, required: true, description: "PERCENTAGE needs percentOff, FIXED_AMOUNT needs amountOffCents; sending the other is VALIDATION_FAILED." }),
    percentOff: t.float({ description: "PERCENTAGE only, in percent: greater than 0, at most 100, at most 2 decimals (15.25 means 15.25%)." }),
    amountOffCents: t.int({ description: "FIXED_AMOUNT only, in integer cents: 1 to 100,000,000." }),
    description: t.string({ description: "Free-text note, at most 500 characters." }),
    expiresAt: t.field({ type: "DateTime", description: "When it stops being redeemable; omit for never." }),
    maxRedemptions: t.int({ description: "How many orders may redeem it in all, 1 to 1,000,000,000; omit for no limit." }),
    minSubtotalCents: t.int({ description: "The smallest order subtotal in integer cents it applies to, 0 to 100,000,000; omit for none." }),
  }),
});

const CreateCouponPayload = builder.objectRef<{ coupon: Awaited<ReturnType<typeof createCoupon>> }>("CreateCouponPayload").implement({
  description: "The result of createCoupon.",
  fields: (t) => ({ coupon: t.field({ type: CouponRef, description: "The coupon created.", resolve: (p) => p.coupon }) }),
});

const ApplyCouponPayload = builder.objectRef<AppliedCoupon>("ApplyCouponPayload").implement({
  description: "The result of applyCoupon: the order's new totals.",
  fields: (t) => ({
    order: t.field({ type: OrderRef, description: "The order, read as it is now.", resolve: (p) => findOrder({}, p.orderId).then((o) => o!) }),
    couponCode: t.exposeString("couponCode", { description: "The code applied, upper-cased." }),
    originalTotalCents: t.exposeInt("originalTotalCents", { description: "The order's subtotal in integer cents, before any discount." }),
    discountCents: t.exposeInt("discountCents", { description: "The discount in integer cents, computed from the subtotal." }),
    finalTotalCents: t.exposeInt("finalTotalCents", { description: "What the order now costs in integer cents: originalTotalCents minus discountCents." }),
  }),
});

builder.mutationFields((t) => ({
  createCoupon: t.field({
    authScopes: { admin: "create coupons" },
    type: CreateCouponPayload,
    description: "Admins only: creates a coupon (audited). Errors: VALIDATION_FAILED, DUPLICATE (the code is in use).",
    args: { input: t.arg({ type: CreateCouponInput, required: true, description: "The coupon to create." }) },
    resolve: async (_root, { input }, ctx) => ({ coupon: await createCoupon(ctx.principal, dropNulls(input)) }),
  }),
  applyCoupon: t.field({
    authScopes: { signedIn: true },
    type: ApplyCouponPayload,
    description:
      "Signed in: the order's owner or an admin applies a coupon to a PENDING order; the same code again answers the same totals. Errors: NOT_FOUND, COUPON_ALREADY_APPLIED (another code is on it), ORDER_NOT_PENDING, COUPON_NOT_FOUND, COUPON_EXPIRED, COUPON_EXHAUSTED, VALIDATION_FAILED, RATE_LIMITED.",
    args: {
      orderId: t.arg.id({ required: true, description: "The order's id; unknown or another customer's is NOT_FOUND." }),
      code: t.arg.string({ required: true, description: "The coupon code, matched case-insensitively: 1 to 64 letters, digits, - and _." }),
    },
    resolve: (_root, args, ctx) => applyCoupon(ctx.principal, parseId(args.orderId, "orderId"), args.code),
  }),
}));
