import { Router } from "express";
import { toDecimalNumber, type Cents } from "../lib/money.js";
import { checkout, type CheckoutResult } from "../services/checkout/index.js";
import { listCoupons } from "../services/coupons.js";
import { couponJson } from "./serializers.js";
import { requireJson, sendOutcome } from "./http.js";

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

export function checkoutRoutes(): Router {
  const router = Router();

  router.post("/", requireJson, async (req, res) => {
    sendOutcome(res, await checkout(req.body, req.get("Idempotency-Key")), checkoutJson);
  });

  router.get("/coupons", async (_req, res) => {
    res.json((await listCoupons({ activeOnly: true })).map(couponJson));
  });

  return router;
}
