import { Router } from "express";
import type { Config } from "../config.js";
import { decimalMoney, id, parseInput } from "../lib/validation.js";
import { getPayment } from "../services/payments.js";
import { paymentInputSchema, processPayment } from "../services/payment-processing.js";
import { paymentResultJson, paymentWithOrderJson } from "./serializers.js";
import { jsonBody, sendOutcome, methodNotAllowed } from "./http.js";

/** The storefront sends `amount` as a decimal; the service takes cents. */
const processBody = paymentInputSchema.omit({ amountCents: true }).extend({ amount: decimalMoney.nullish() });

export function paymentRoutes(config: Config): Router {
  const router = Router();
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);

  for (const [path, fraudCheck] of [["/process", true], ["/process-simple", false]] as const) {
    router.post(path, ...json, async (req, res) => {
      const { amount, ...rest } = parseInput(processBody, req.body);
      const result = await processPayment({ ...rest, amountCents: amount }, req.get("Idempotency-Key"), { fraudCheck });
      sendOutcome(res, result, paymentResultJson);
    });
  }

  router.get("/:paymentId", async (req, res) => {
    res.json(paymentWithOrderJson(await getPayment(parseInput(id, req.params.paymentId, "paymentId"))));
  });

  router.use(methodNotAllowed(router));
  return router;
}
