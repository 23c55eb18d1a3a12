import { Router } from "express";
import { id, parseInput } from "../lib/validation.js";
import { getPayment } from "../services/payments.js";
import { paymentWithOrderJson } from "./serializers.js";

export function paymentRoutes(): Router {
  const router = Router();

  router.get("/:paymentId", async (req, res) => {
    res.json(paymentWithOrderJson(await getPayment(parseInput(id, req.params.paymentId, "paymentId"))));
  });

  return router;
}
