import { Router } from "express";
import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import { DomainError } from "../errors.js";
import { checkoutRoutes } from "./checkout.js";
import { errorHandler } from "./errors.js";
import { orderRoutes } from "./orders.js";
import { paymentRoutes } from "./payments.js";
import { productRoutes } from "./products.js";

/** The storefront's documented endpoints under /api: thin translation to services. */
export function restApi(config: Config, logger: Logger): Router {
  const api = Router();
  api.use("/products", productRoutes(config));
  api.use("/orders", orderRoutes(config, logger));
  api.use("/payments", paymentRoutes(config));
  api.use("/checkout", checkoutRoutes(config));
  api.use((req, _res, next) => {
    next(new DomainError("NOT_FOUND", `No route ${req.method} ${req.baseUrl}${req.path}`));
  });
  api.use(errorHandler);
  return api;
}
