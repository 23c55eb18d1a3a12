import { z } from "zod";
import type { Config } from "../config.js";
import { id, parseInput } from "../lib/validation.js";
import { pageRequestSchema } from "../services/common/index.js";
import { cancelInputSchema, getOrder, listOrdersForUser, requestCancellation } from "../services/orders/index.js";
import { fulfillmentJson, orderJson } from "./serializers.js";
import { fulfillOrder } from "../services/fulfillment/index.js";
import { contextLogger, currentPrincipal } from "../lib/request-context.js";
import type { Logger } from "../lib/logger.js";
import { sendOutcome, sendPage } from "./http.js";
import * as shapes from "./openapi/shapes.js";
import { jsonBody } from "../edge/body.js";
import { accepts } from "./openapi/json-schema.js";
import { jsonRequest, type RestRoute } from "./route-table.js";

export function orderRoutes(config: Config, logger: Logger): RestRoute[] {
  const pageRequest = pageRequestSchema(config.DEFAULT_PAGE_SIZE, config.MAX_PAGE_SIZE);
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES, { optional: true });
  return [
    {
      method: "get", path: "/api/orders/user/:userId", operationId: "listUserOrders", tag: "Orders", access: "customer",
      summary: "A customer's orders, newest first", description: "Paged like the products list.",
      query: pageRequest,
      success: { status: 200, description: "A page of orders.", schema: z.array(shapes.Order), headers: ["X-Next-Cursor", "Link"] },
      errors: [400, 404],
      handler: async (req, res) => {
        const userId = parseInput(id, req.params.userId, "userId");
        const page = await listOrdersForUser(currentPrincipal(), userId, parseInput(pageRequest, req.query));
        sendPage(req, res, page, orderJson);
      },
    },
    {
      method: "post", path: "/api/orders/:orderId/fulfill", operationId: "fulfillOrder", tag: "Orders", access: "admin",
      summary: "Ship a paid order",
      description: "Books a label with the shipping provider. Safe to repeat: a fulfilled order answers its shipment again. Only PAID orders can be fulfilled (else 409 ORDER_NOT_PAID).",
      success: { status: 200, description: "The shipment.", schema: shapes.FulfillmentResult },
      errors: [400, 403, 404, 409, 422, 503],
      handler: async (req, res) => {
        const orderId = parseInput(id, req.params.orderId, "orderId");
        res.json(fulfillmentJson(await fulfillOrder(currentPrincipal(), orderId, contextLogger(logger))));
      },
    },
    {
      method: "post", path: "/api/orders/:orderId/cancel", operationId: "cancelOrder", tag: "Orders", access: "customer",
      summary: "Cancel an order",
      description:
        "A customer cancels their own PENDING order (a paid one is 409 ORDER_NOT_CANCELLABLE: support cancels it); an admin any PENDING, PAID or PROCESSING order not yet shipped (FULFILLED: 409 ORDER_ALREADY_FULFILLED). Its stock and coupon redemption come back at once; a paid order's charge is refunded in full. Cancelling a CANCELLED order changes nothing. `Idempotency-Key` is optional: without one, a repeat by the same caller is the same cancellation.",
      idempotencyKey: "optional",
      body: { ...jsonRequest(accepts(cancelInputSchema)), required: false },
      success: { status: 200, description: "The order as it is now, CANCELLED, with its refund when it was paid.", schema: shapes.Order },
      errors: [400, 404, 409, 422, 429, 502],
      before: [json],
      handler: async (req, res) => {
        const orderId = parseInput(id, req.params.orderId, "orderId");
        const principal = currentPrincipal();
        const result = await requestCancellation(principal, orderId, req.body, req.get("Idempotency-Key"));
        const order = result.outcome.ok ? await getOrder(principal, orderId) : undefined;
        sendOutcome(res, result, () => orderJson(order!));
      },
    },
    {
      method: "get", path: "/api/orders/:orderId", operationId: "getOrder", tag: "Orders", access: "customer",
      summary: "Look up an order", description: "An order with its lines (each with its product), payments and shipment.",
      success: { status: 200, description: "The order.", schema: shapes.Order },
      errors: [400, 404],
      handler: async (req, res) => {
        res.json(orderJson(await getOrder(currentPrincipal(), parseInput(id, req.params.orderId, "orderId"))));
      },
    },
  ];
}
