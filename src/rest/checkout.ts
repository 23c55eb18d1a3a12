import { Router } from "express";
import { listCoupons } from "../services/coupons.js";
import { couponJson } from "./serializers.js";

export function checkoutRoutes(): Router {
  const router = Router();

  router.get("/coupons", async (_req, res) => {
    res.json((await listCoupons({ activeOnly: true })).map(couponJson));
  });

  return router;
}
