import type { Config } from "../config.js";
import { ValidationError } from "../errors.js";
import { jsonBody } from "../edge/body.js";
import { currentPrincipal } from "../lib/request-context.js";
import { id, isRecord, parseInput } from "../lib/validation.js";
import { getPayment, paymentInputSchema, processPayment } from "../services/payments/index.js";
import { refundInputSchema, refundPayment } from "../services/refunds/index.js";
import { sendOutcome } from "./http.js";
import { accepts, withDecimalMoney } from "./openapi/json-schema.js";
import * as shapes from "./openapi/shapes.js";
import { jsonRequest, type RestRoute } from "./route-table.js";
import { paymentResultJson, paymentWithOrderJson, refundResultJson } from "./serializers.js";
import { decimalToCents } from "./translate.js";

export function paymentRoutes(config: Config): RestRoute[] {
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);
  const optionalJson = jsonBody(config.JSON_BODY_LIMIT_BYTES, { optional: true });
  const pay = (name: "process" | "process-simple", fraudCheck: boolean): RestRoute => ({
    method: "post", path: `/api/payments/${name}`, operationId: fraudCheck ? "processPayment" : "processPaymentWithoutFraudCheck", tag: "Payments",
    access: fraudCheck ? "customer" : "admin",
    summary: fraudCheck ? "Pay an order (with the fraud check)" : "Pay an order without the fraud check (admins)",
    description:
      "Idempotent like checkout. `amount` may be left out; when sent it must equal the order's total (else 422 AMOUNT_MISMATCH). The simulated gateway declines card 0002 (402).",
    idempotencyKey: "required",
    body: jsonRequest(withDecimalMoney(accepts(paymentInputSchema), { amountCents: "amount" })),
    success: { status: 200, description: "The completed payment.", schema: shapes.PaymentResult },
    errors: fraudCheck ? [400, 402, 404, 409, 422, 429, 503] : [400, 402, 403, 404, 409, 422, 429, 503],
    before: [json],
    handler: async (req, res) => {
      const input = decimalToCents(req.body, "amount", "amountCents", { required: false });
      sendOutcome(res, await processPayment(currentPrincipal(), input, req.get("Idempotency-Key"), { fraudCheck }), paymentResultJson);
    },
  });
  return [
    pay("process", true),
    pay("process-simple", false),
    {
      method: "post", path: "/api/payments/:paymentId/refund", operationId: "refundPayment", tag: "Payments", access: "admin",
      summary: "Refund a payment, in part or in full (admins)",
      description:
        "`amount` left out refunds what remains. Partial refunds add up to at most the charge, under any concurrency (else 409 REFUND_EXCEEDS_REMAINING; refunds in progress count); a payment that is not COMPLETED is 409 PAYMENT_NOT_REFUNDABLE. The card gateway unavailable is 502 REFUND_FAILED with nothing refunded: retry with the same key to continue. Idempotent like checkout.",
      idempotencyKey: "required",
      body: { ...jsonRequest(withDecimalMoney(accepts(refundInputSchema.omit({ paymentId: true })), { amountCents: "amount" })), required: false },
      success: { status: 201, description: "The refund and its payment.", schema: shapes.RefundResult },
      errors: [400, 403, 404, 409, 422, 502],
      before: [optionalJson],
      handler: async (req, res) => {
        const paymentId = parseInput(id, req.params.paymentId, "paymentId");
        // Left out refunds what remains; an explicit null is a client's slip, not "everything".
        if (isRecord(req.body) && req.body.amount === null) throw ValidationError.field("amount", "must be a decimal amount; leave it out to refund what remains");
        const body = decimalToCents(req.body, "amount", "amountCents", { required: false });
        const input = body === undefined ? { paymentId } : isRecord(body) ? { ...body, paymentId } : body;
        sendOutcome(res, await refundPayment(currentPrincipal(), input, req.get("Idempotency-Key")), refundResultJson);
      },
    },
    {
      method: "get", path: "/api/payments/:paymentId", operationId: "getPayment", tag: "Payments", access: "customer",
      summary: "Look up a payment", description: "A payment with a summary of its order.",
      success: { status: 200, description: "The payment.", schema: shapes.PaymentWithOrder },
      errors: [400, 404],
      handler: async (req, res) => {
        res.json(paymentWithOrderJson(await getPayment(currentPrincipal(), parseInput(id, req.params.paymentId, "paymentId"))));
      },
    },
  ];
}
