import { Router } from "express";
import type { Config } from "../config.js";
import { id, parseInput } from "../lib/validation.js";
import { pageRequestSchema } from "../services/pagination.js";
import { getOrder, listOrdersForUser } from "../services/orders/queries.js";
import { fulfillmentJson, orderJson } from "./serializers.js";
import { fulfillOrder } from "../services/fulfillment/index.js";
import { contextLogger, currentPrincipal } from "../lib/request-context.js";
import type { Logger } from "../lib/logger.js";
import { sendPage, methodNotAllowed } from "./http.js";

export function orderRoutes(config: Config, logger: Logger): Router {
  const router = Router();
  const pageRequest = pageRequestSchema(config.DEFAULT_PAGE_SIZE, config.MAX_PAGE_SIZE);

  router.get("/user/:userId", async (req, res) => {
    const userId = parseInput(id, req.params.userId, "userId");
    const page = await listOrdersForUser(currentPrincipal(), userId, parseInput(pageRequest, req.query));
    sendPage(req, res, page, orderJson);
  });

  router.post("/:orderId/fulfill", async (req, res) => {
    const orderId = parseInput(id, req.params.orderId, "orderId");
    res.json(fulfillmentJson(await fulfillOrder(currentPrincipal(), orderId, contextLogger(logger))));
  });

  router.get("/:orderId", async (req, res) => {
    res.json(orderJson(await getOrder(currentPrincipal(), parseInput(id, req.params.orderId, "orderId"))));
  });

  router.use(methodNotAllowed(router));
  return router;
}
