import type { Config } from "../config.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { auditRoutes } from "./audit.js";
import { checkoutRoutes } from "./checkout.js";
import { orderRoutes } from "./orders.js";
import { paymentRoutes } from "./payments.js";
import { productRoutes } from "./products.js";
import type { RestRoute } from "./route-table.js";

export { mountRoutes, type RestRoute } from "./route-table.js";

/**
 * The storefront's documented endpoints under /api, one entry per operation:
 * thin translation to services. In this order they are registered and listed
 * (`GET /`) and appear in the OpenAPI document.
 */
export function restRoutes(config: Config, logger: Logger): RestRoute[] {
  return [...productRoutes(config), ...orderRoutes(config, logger), ...paymentRoutes(config), ...checkoutRoutes(config), ...auditRoutes(config)];
}

/** The table to document it: no handler runs, so the logger (a fallback outside a request) is never written to. */
export const documentedRoutes = (config: Config) => restRoutes(config, createLogger("silent"));
