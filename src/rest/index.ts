import type { Express } from "express";
import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import { checkoutRoutes } from "./checkout.js";
import { orderRoutes } from "./orders.js";
import { paymentRoutes } from "./payments.js";
import { productRoutes } from "./products.js";

/**
 * The storefront's documented endpoints under /api: thin translation to
 * services. Each resource is mounted by its full path (a request passes one
 * router, not two); what matches none falls to the app's 404 and error handler.
 */
export function mountRestApi(app: Express, config: Config, logger: Logger): void {
  app.use("/api/products", productRoutes(config));
  app.use("/api/orders", orderRoutes(config, logger));
  app.use("/api/payments", paymentRoutes(config));
  app.use("/api/checkout", checkoutRoutes(config));
}
