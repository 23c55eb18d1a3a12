import type { ErrorRequestHandler, Express, Router } from "express";
import { routeOf } from "../edge/request-scope.js";
import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import { checkoutRoutes } from "./checkout.js";
import { orderRoutes } from "./orders.js";
import { paymentRoutes } from "./payments.js";
import { productRoutes } from "./products.js";
import { trackWork } from "../lib/in-flight.js";

/** On an error path Express leaves the router (and its base path) before the summary line is written: note the route while inside. */
const rememberRoute: ErrorRequestHandler = (error, req, res, next) => {
  res.locals.route ??= routeOf(req);
  next(error);
};

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: (...args: unknown[]) => unknown }[] };
}

/** Every route handler's work is tracked until it settles, so a shutdown waits for it (lib/in-flight.ts). */
function trackHandlers(router: Router): void {
  for (const layer of (router as unknown as { stack: RouteLayer[] }).stack) {
    for (const handler of layer.route?.stack ?? []) {
      const handle = handler.handle;
      handler.handle = function tracked(this: unknown, req: unknown, res: unknown, next: unknown) {
        return trackWork(handle.call(this, req, res, next));
      };
    }
  }
}

/**
 * The storefront's documented endpoints under /api: thin translation to
 * services. Each resource is mounted by its full path (a request passes one
 * router, not two); what matches none falls to the app's 404 and error
 * handler. Returns the endpoint list, read from the routers themselves.
 */
export function mountRestApi(app: Express, config: Config, logger: Logger): () => string[] {
  const resources: [string, Router][] = [
    ["/api/products", productRoutes(config)],
    ["/api/orders", orderRoutes(config, logger)],
    ["/api/payments", paymentRoutes(config)],
    ["/api/checkout", checkoutRoutes(config)],
  ];
  for (const [path, router] of resources) {
    trackHandlers(router);
    router.use(rememberRoute);
    app.use(path, router);
  }
  return () =>
    resources.flatMap(([base, router]) =>
      (router as unknown as { stack: RouteLayer[] }).stack.flatMap((layer) =>
        layer.route
          ? Object.keys(layer.route.methods)
              .filter((m) => m !== "_all")
              .map((m) => `${m.toUpperCase()} ${base}${layer.route!.path === "/" ? "" : layer.route!.path}`)
          : [],
      ),
    );
}
