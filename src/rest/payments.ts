import { Router } from "express";
import type { Config } from "../config.js";
import { jsonBody } from "../edge/body.js";
import { currentPrincipal } from "../lib/request-context.js";
import { id, parseInput } from "../lib/validation.js";
import { getPayment, processPayment } from "../services/payments/index.js";
import { methodNotAllowed, sendOutcome } from "./http.js";
import { paymentResultJson, paymentWithOrderJson } from "./serializers.js";
import { decimalToCents } from "./translate.js";

export function paymentRoutes(config: Config): Router {
  const router = Router();
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);

  for (const [path, fraudCheck] of [["/process", true], ["/process-simple", false]] as const) {
    router.post(path, json, async (req, res) => {
      const input = decimalToCents(req.body, "amount", "amountCents", { required: false });
      sendOutcome(res, await processPayment(currentPrincipal(), input, req.get("Idempotency-Key"), { fraudCheck }), paymentResultJson);
    });
  }

  router.get("/:paymentId", async (req, res) => {
    res.json(paymentWithOrderJson(await getPayment(currentPrincipal(), parseInput(id, req.params.paymentId, "paymentId"))));
  });

  router.use(methodNotAllowed(router));
  return router;
}
