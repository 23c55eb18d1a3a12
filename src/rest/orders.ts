import { z } from "zod";
import type { Config } from "../config.js";
import { id, parseInput } from "../lib/validation.js";
import { pageRequestSchema } from "../services/common/index.js";
import { getOrder, listOrdersForUser } from "../services/orders/index.js";
import { fulfillmentJson, orderJson } from "./serializers.js";
import { fulfillOrder } from "../services/fulfillment/index.js";
import { contextLogger, currentPrincipal } from "../lib/request-context.js";
import type { Logger } from "../lib/logger.js";
import { sendPage } from "./http.js";
import * as shapes from "./openapi/shapes.js";
import type { RestRoute } from "./route-table.js";

export function orderRoutes(config: Config, logger: Logger): RestRoute[] {
  const pageRequest = pageRequestSchema(config.DEFAULT_PAGE_SIZE, config.MAX_PAGE_SIZE);
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
