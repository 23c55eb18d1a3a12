import { Router, type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { publicRead, type PublicAnswer, type PublicCacheSettings } from "../edge/http-cache.js";
import type { CatalogCache } from "../lib/catalog-cache.js";
import { routeOf } from "../edge/request-scope.js";
import { DomainError } from "../errors.js";
import { trackWork } from "../lib/in-flight.js";
import type { JsonSchema } from "./openapi/json-schema.js";

/** Who may call an operation (docs/auth.md's roles table). Documented here; the service decides. */
export type Access = "anyone" | "customer" | "admin";

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 402 | 429 | 502 | 503;

/**
 * One REST operation: the Express route, the 405s, `GET /`'s endpoint list
 * and the OpenAPI document (openapi/document.ts) are all built from these.
 */
export interface RestRoute {
  method: "get" | "post";
  /** Express's form, from the root: `/api/products/:productId` (OpenAPI's `{productId}` is derived). */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description: string;
  access: Access;
  /** A path parameter's schema when it is not an id (every other `:name` is documented as one). */
  params?: Record<string, JsonSchema>;
  /** The validator the handler parses `req.query` with. */
  query?: z.ZodType;
  body?: { content: Record<string, JsonSchema>; required: boolean };
  idempotencyKey?: "required" | "optional";
  success: { status: 200 | 201 | 202; description: string; schema?: z.ZodType; csv?: true; headers?: ("Location" | "Link" | "X-Next-Cursor" | "Content-Disposition")[] };
  /** The errors this operation answers besides the ones every operation may (401 for a bad token, 5xx). */
  errors: ErrorStatus[];
  /** A public read, the same whoever asks: ETag, 304, a shared cache may keep an anonymous answer, and the response cache keeps it until a write (edge/http-cache.ts). */
  cache?: "public";
  /** Runs before the handler: the JSON body reader, per route so reads pay nothing. */
  before?: RequestHandler[];
  handler: (req: Request, res: Response) => Promise<void>;
}

/** A JSON request body, as a route documents it. */
export const jsonRequest = (schema: JsonSchema) => ({ content: { "application/json": schema }, required: true });

/** On an error path Express leaves the router (and its base path) before the summary line is written: note the route while inside. */
const rememberRoute: ErrorRequestHandler = (error, req, res, next) => {
  res.locals.route ??= routeOf(req);
  next(error);
};

/**
 * Registers the routes in one router under /api (a request passes one router,
 * and only /api requests enter it), each handler's work tracked until it
 * settles so a shutdown waits for it (lib/in-flight.ts). A path the table
 * serves, asked with another method, is 405 with `Allow`; what matches no
 * path falls to the app's 404. Returns the endpoint list (`GET /`).
 */
export function mountRoutes(app: Express, routes: readonly RestRoute[], cache: PublicCacheSettings, answers?: CatalogCache<PublicAnswer>): string[] {
  const router = Router();
  for (const route of routes) {
    const cached = route.cache === "public" ? [publicRead(cache, route.success.headers ?? [], answers)] : [];
    const before = [...cached, ...(route.before ?? [])];
    router[route.method](underApi(route.path), ...before, (req, res) => trackWork(route.handler(req, res)));
  }
  const allowed = new WeakMap<Request, Set<string>>();
  for (const [path, methods] of methodsByPath(routes)) {
    // `use`, not `all`: Express matches the path as it does for the routes (case, trailing
    // slash) without taking it for the request's route, so a 405 is still logged "(unmatched)".
    router.use(underApi(path), (req, _res, next) => {
      if (req.path === "/") allowed.set(req, new Set([...(allowed.get(req) ?? []), ...methods]));
      next();
    });
  }
  router.use((req, res, next) => {
    const methods = allowed.get(req);
    if (!methods) return next();
    const allow = [...methods].sort().join(", ");
    res.setHeader("Allow", allow);
    next(new DomainError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use ${allow}`));
  });
  router.use(rememberRoute);
  app.use("/api", router);
  return routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
}

function underApi(path: string): string {
  if (!path.startsWith("/api/") && path !== "/api") throw new Error(`a REST route lives under /api: ${path}`);
  return path.slice("/api".length) || "/";
}

/** Each path's methods as `Allow` names them: HEAD wherever GET is. */
function methodsByPath(routes: readonly RestRoute[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const { path, method } of routes) byPath.set(path, [...(byPath.get(path) ?? []), method.toUpperCase(), ...(method === "get" ? ["HEAD"] : [])]);
  return byPath;
}
