import { Router } from "express";
import type { Config } from "../config.js";
import { checkout } from "../services/checkout/index.js";
import { applyCoupon, createCoupon, listCoupons } from "../services/coupons.js";
import { couponInputFromRest } from "../services/coupon-input.js";
import { id, parseInput } from "../lib/validation.js";
import { z } from "zod";
import { appliedCouponJson, checkoutJson, couponJson } from "./serializers.js";
import { jsonBody, sendOutcome, methodNotAllowed } from "./http.js";

const applyCouponBody = z.strictObject({ couponCode: z.string({ error: "is required" }).min(1, "is required").max(64, "is too long") });

export function checkoutRoutes(config: Config): Router {
  const router = Router();
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);

  router.post("/", ...json, async (req, res) => {
    sendOutcome(res, await checkout(req.body, req.get("Idempotency-Key")), checkoutJson);
  });

  router.get("/coupons", async (_req, res) => {
    res.json((await listCoupons({ activeOnly: true })).map(couponJson));
  });

  router.post("/coupons", ...json, async (req, res) => {
    const coupon = await createCoupon(couponInputFromRest(req.body));
    res.status(201).json(couponJson(coupon));
  });

  router.post("/:orderId/apply-coupon", ...json, async (req, res) => {
    const orderId = parseInput(id, req.params.orderId, "orderId");
    const { couponCode } = parseInput(applyCouponBody, req.body);
    res.json(appliedCouponJson(await applyCoupon(orderId, couponCode)));
  });

  router.use(methodNotAllowed(router));
  return router;
}
