import { Router } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import { jsonBody } from "../edge/body.js";
import { currentPrincipal } from "../lib/request-context.js";
import { id, parseInput } from "../lib/validation.js";
import { checkout } from "../services/checkout/index.js";
import { applyCoupon, createCoupon, listCoupons } from "../services/coupons/index.js";
import { methodNotAllowed, sendOutcome } from "./http.js";
import { appliedCouponJson, checkoutJson, couponJson } from "./serializers.js";
import { couponFromRest } from "./translate.js";

/** The apply-coupon body's shape; the code itself is validated by the service, as for GraphQL. */
export const applyCouponBody = z.strictObject({ couponCode: z.unknown() });

export function checkoutRoutes(config: Config): Router {
  const router = Router();
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);

  router.post("/", json, async (req, res) => {
    sendOutcome(res, await checkout(currentPrincipal(), req.body, req.get("Idempotency-Key")), checkoutJson);
  });

  router.get("/coupons", async (_req, res) => {
    res.json((await listCoupons(currentPrincipal(), { activeOnly: true })).map(couponJson));
  });

  router.post("/coupons", json, async (req, res) => {
    const coupon = await createCoupon(currentPrincipal(), couponFromRest(req.body) as Record<string, unknown>);
    res.status(201).json(couponJson(coupon));
  });

  router.post("/:orderId/apply-coupon", json, async (req, res) => {
    const orderId = parseInput(id, req.params.orderId, "orderId");
    const { couponCode } = parseInput(applyCouponBody, req.body);
    res.json(appliedCouponJson(await applyCoupon(currentPrincipal(), orderId, couponCode)));
  });

  router.use(methodNotAllowed(router));
  return router;
}
