import { z } from "zod";
import type { Config } from "../config.js";
import { jsonBody } from "../edge/body.js";
import { currentPrincipal } from "../lib/request-context.js";
import { id, parseInput } from "../lib/validation.js";
import { checkout } from "../services/checkout/index.js";
import { checkoutInputSchema } from "../services/checkout/input.js";
import { applyCoupon, couponCode, couponInputSchema, createCoupon, listCoupons } from "../services/coupons/index.js";
import { sendOutcome } from "./http.js";
import { accepts, describe, optional, withDecimalMoney, type JsonSchema } from "./openapi/json-schema.js";
import * as shapes from "./openapi/shapes.js";
import { jsonRequest, type RestRoute } from "./route-table.js";
import { appliedCouponJson, checkoutJson, couponJson } from "./serializers.js";
import { couponFromRest } from "./translate.js";

/** The apply-coupon body's shape; the code itself is validated by the service, as for GraphQL. */
const applyCouponBody = z.strictObject({ couponCode: z.unknown() });

export function checkoutRoutes(config: Config): RestRoute[] {
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);
  return [
    {
      method: "post", path: "/api/checkout", operationId: "checkout", tag: "Checkout", access: "customer",
      summary: "Place an order, and pay it when a payment method is given",
      description:
        "Idempotent: a retry with the same key and body replays the first answer (`Idempotent-Replayed: true`); the same key with another body is 422. Without `paymentMethod` the order is PENDING with its stock reserved. A customer leaves `userId` out (or sends their own); an admin names the customer.",
      idempotencyKey: "required",
      body: jsonRequest(describe(optional(accepts(checkoutInputSchema(config.MAX_CHECKOUT_ITEMS)), "userId"), "userId", "The customer; customers leave it out.")),
      success: { status: 201, description: "The order (paid when a payment method was given).", schema: shapes.CheckoutResult },
      errors: [400, 402, 403, 404, 409, 422, 429, 503],
      before: [json],
      handler: async (req, res) => {
        sendOutcome(res, await checkout(currentPrincipal(), req.body, req.get("Idempotency-Key")), checkoutJson);
      },
    },
    {
      method: "get", path: "/api/checkout/coupons", operationId: "listCoupons", tag: "Checkout", access: "admin",
      summary: "Active coupons", description: "Coupons that are active and not expired.",
      success: { status: 200, description: "The coupons.", schema: z.array(shapes.Coupon) },
      errors: [403],
      handler: async (_req, res) => {
        res.json((await listCoupons(currentPrincipal(), { activeOnly: true })).map(couponJson));
      },
    },
    {
      method: "post", path: "/api/checkout/coupons", operationId: "createCoupon", tag: "Checkout", access: "admin",
      summary: "Create a coupon",
      description: "Typed: PERCENTAGE with `percentOff` (15.25 is 15.25 %), or FIXED_AMOUNT with `amountOff` (dollars) or `amountOffCents`. The storefront's legacy `{code, discount}` (\"15\", \"15%\", 15) is still taken as a percentage.",
      body: jsonRequest(restCouponBody()),
      success: { status: 201, description: "The coupon.", schema: shapes.Coupon },
      errors: [400, 403, 409],
      before: [json],
      handler: async (req, res) => {
        const coupon = await createCoupon(currentPrincipal(), couponFromRest(req.body) as Record<string, unknown>);
        res.status(201).json(couponJson(coupon));
      },
    },
    {
      method: "post", path: "/api/checkout/:orderId/apply-coupon", operationId: "applyCoupon", tag: "Checkout", access: "customer",
      summary: "Apply a coupon to a pending order", description: "One coupon per order; the order must still be PENDING.",
      body: jsonRequest(accepts(z.strictObject({ couponCode }))),
      success: { status: 200, description: "The order's new totals.", schema: shapes.AppliedCoupon },
      errors: [400, 404, 409, 422, 429],
      before: [json],
      handler: async (req, res) => {
        const orderId = parseInput(id, req.params.orderId, "orderId");
        const { couponCode } = parseInput(applyCouponBody, req.body);
        res.json(appliedCouponJson(await applyCoupon(currentPrincipal(), orderId, couponCode)));
      },
    },
  ];
}

/** The coupon bodies the REST door takes (translate.ts): the service's typed forms with decimal `amountOff`, cents too, and the legacy `discount`. */
function restCouponBody(): JsonSchema {
  const typed = accepts(couponInputSchema).oneOf as JsonSchema[];
  const [percentage, fixed] = typed as [JsonSchema, JsonSchema];
  const { type: _, percentOff: __, ...common } = percentage.properties as Record<string, JsonSchema>;
  const legacy = {
    type: "object",
    properties: { ...common, discount: { type: ["number", "string"], description: 'The legacy percentage: 15, "15" or "15%".' } },
    required: ["code", "discount"],
    additionalProperties: false,
  };
  return { oneOf: [percentage, withDecimalMoney(fixed, { amountOffCents: "amountOff" }), fixed, legacy] };
}
