import { Router } from "express";
import { toDecimalNumber, type Cents } from "../lib/money.js";
import { checkout, type CheckoutResult } from "../services/checkout/index.js";
import { applyCoupon, createCoupon, listCoupons, type AppliedCoupon } from "../services/coupons.js";
import { couponInputFromRest } from "../services/coupon-input.js";
import { id, parseInput } from "../lib/validation.js";
import { z } from "zod";
import { couponJson } from "./serializers.js";
import { requireJson, sendOutcome, methodNotAllowed } from "./http.js";

function checkoutJson(r: CheckoutResult) {
  return {
    success: true,
    orderId: r.orderId,
    paymentId: r.paymentId,
    status: r.status,
    subtotal: toDecimalNumber(r.subtotalCents as Cents),
    subtotalCents: r.subtotalCents,
    discountAmount: toDecimalNumber(r.discountCents as Cents),
    discountCents: r.discountCents,
    total: toDecimalNumber(r.totalCents as Cents),
    totalCents: r.totalCents,
    message: r.message,
  };
}

function appliedCouponJson(a: AppliedCoupon) {
  const money = (cents: number) => toDecimalNumber(cents as Cents);
  return {
    orderId: a.orderId,
    couponCode: a.couponCode,
    originalTotal: money(a.originalTotalCents),
    discountAmount: money(a.discountCents),
    finalTotal: money(a.finalTotalCents),
    originalTotalCents: a.originalTotalCents,
    discountCents: a.discountCents,
    finalTotalCents: a.finalTotalCents,
  };
}

const applyCouponBody = z.strictObject({ couponCode: z.string({ error: "is required" }).min(1, "is required").max(64, "is too long") });

export function checkoutRoutes(): Router {
  const router = Router();

  router.post("/", requireJson, async (req, res) => {
    sendOutcome(res, await checkout(req.body, req.get("Idempotency-Key")), checkoutJson);
  });

  router.get("/coupons", async (_req, res) => {
    res.json((await listCoupons({ activeOnly: true })).map(couponJson));
  });

  router.post("/coupons", requireJson, async (req, res) => {
    const coupon = await createCoupon(couponInputFromRest(req.body));
    res.status(201).json(couponJson(coupon));
  });

  router.post("/:orderId/apply-coupon", requireJson, async (req, res) => {
    const orderId = parseInput(id, req.params.orderId, "orderId");
    const { couponCode } = parseInput(applyCouponBody, req.body);
    res.json(appliedCouponJson(await applyCoupon(orderId, couponCode)));
  });

  router.use(methodNotAllowed(router));
  return router;
}
