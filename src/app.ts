import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { graphqlUploadExpress } from "graphql-upload-minimal";
import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import type { Registry } from "prom-client";
import type { Config } from "./config.js";
import { onQuery, pingDatabase, poolState } from "./db/index.js";
import { DomainError } from "./errors.js";
import { createGraphQLServer } from "./graphql.js";
import type { Logger } from "./lib/logger.js";
import { createMetricsRegistry, httpMetrics } from "./lib/metrics.js";
import { databaseGauges } from "./services/ops-gauges.js";
import { requestContext, runWithRequestContext, type RequestContext } from "./lib/request-context.js";
import { errorHandler } from "./rest/errors.js";
import { mountRestApi } from "./rest/index.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

onQuery((event) => {
  const context = requestContext();
  if (!context) return;
  context.dbQueries += 1;
  context.dbTimeMs += event.durationMs;
});

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const HEALTH_TIMEOUT_MS = 1_000;

export interface AppDeps {
  logger: Logger;
  metrics?: Registry;
}

/** Builds the whole HTTP app (GraphQL, REST shim, health, metrics) without listening. */
export function createApp(config: Config, deps: AppDeps): Express {
  const { logger } = deps;
  const metrics = deps.metrics ?? createMetricsRegistry(databaseGauges());
  const yoga = createGraphQLServer(config, logger, metrics);
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestScope(logger));
  // The storefront's REST shim first: its reads are the hottest path, and every layer passed costs.
  mountRestApi(app, config, logger);

  app.get("/", (_req, res) => {
    res.json({
      name: pkg.name,
      version: pkg.version,
      description: "E-commerce API gateway: GraphQL with a REST shim for the storefront",
      links: { graphql: "/graphql", health: "/health", metrics: "/metrics" },
      endpoints: ENDPOINTS,
    });
  });

  app.get("/health", async (_req, res) => {
    const started = performance.now();
    try {
      await withTimeout(pingDatabase(), HEALTH_TIMEOUT_MS);
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      res.json({ status: "ok", version: pkg.version, checks: { database: { status: "ok", latencyMs, pool: poolState() } } });
    } catch (error) {
      requestContext()?.logger.warn({ err: error }, "health check failed");
      res.status(503).json({ status: "unavailable", version: pkg.version, checks: { database: { status: "error" } } });
    }
  });

  app.get("/metrics", async (_req, res) => {
    res.setHeader("Content-Type", metrics.contentType);
    res.send(await metrics.metrics());
  });

  // Multipart (file uploads) is parsed here, streaming, before Yoga: Yoga's own
  // parser would hold every file in memory (docs/stack.md).
  const uploads = graphqlUploadExpress({ maxFileSize: config.BULK_UPLOAD_MAX_BYTES + 1, maxFiles: 1 });
  app.all("/graphql", requirePreflightForUploads, uploads, graphqlJsonBody(config.GRAPHQL_MAX_BODY_BYTES), (req, res) => yoga.handle(req, res));

  app.use((req, _res, next) => next(new DomainError("NOT_FOUND", `No route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}

/**
 * Gives every request an id (a sane incoming x-request-id is kept), a child
 * logger, and one summary line when it ends, with the database time it used.
 */
function requestScope(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", requestId);
    const context = requestScopeContext(logger, requestId);
    const started = performance.now();
    res.on("finish", () => {
      const durationMs = performance.now() - started;
      const route = routeOf(req);
      httpMetrics.requestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, durationMs / 1000);
      if (!logger.isLevelEnabled("info")) return;
      context.logger.info(
        {
          method: req.method,
          route,
          operation: context.operation ?? `${req.method} ${route}`,
          status: res.statusCode,
          durationMs: Math.round(durationMs * 10) / 10,
          userId: context.userId,
          idempotencyKey: context.idempotencyKey,
          replayed: context.replayed,
          dbQueries: context.dbQueries,
          dbTimeMs: Math.round(context.dbTimeMs * 10) / 10,
          code: res.locals.errorCode,
        },
        "request completed",
      );
    });
    runWithRequestContext(context, next);
  };
}

/** The request's context; its child logger is made on first use (most requests only log their summary line). */
function requestScopeContext(logger: Logger, requestId: string): RequestContext {
  let child: Logger | undefined;
  return {
    requestId,
    get logger() {
      return (child ??= logger.child({ requestId }));
    },
    dbQueries: 0,
    dbTimeMs: 0,
  };
}

/**
 * CSRF: a browser form on another site can POST multipart/form-data without a
 * preflight, but cannot add a custom header. Uploads must carry one (the same
 * headers Yoga's and Apollo's CSRF prevention accept).
 */
const PREFLIGHT_HEADERS = ["x-graphql-yoga-csrf", "graphql-require-preflight", "apollo-require-preflight"];
const requirePreflightForUploads: RequestHandler = (req, res, next) => {
  if (!req.is("multipart/form-data") || PREFLIGHT_HEADERS.some((h) => req.get(h))) return next();
  req.resume();
  res.setHeader("Connection", "close");
  res.status(400).json({
    errors: [
      {
        message: `Multipart requests need one of the headers ${PREFLIGHT_HEADERS.join(", ")} (CSRF protection)`,
        extensions: { code: "CSRF_PREFLIGHT_REQUIRED", requestId: requestContext()?.requestId },
      },
    ],
  });
};

/**
 * JSON bodies are parsed here and handed to Yoga parsed: left to Yoga's
 * stream reading behind Express, a loaded server answered 1% of requests 10-20x
 * slower than the median (p99 0.6-1.2 s against p50 50 ms; bench/README.md).
 * Errors keep Yoga's shape and codes, without echoing the body back.
 */
function graphqlJsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true });
  const refuse = (res: Response, status: number, code: string, message: string) =>
    res.status(status).json({ errors: [{ message, extensions: { code, requestId: requestContext()?.requestId } }] });
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      const type = (error as { type?: string } | undefined)?.type;
      if (type === "entity.too.large") return refuse(res, 413, "REQUEST_ENTITY_TOO_LARGE", "Request body too large");
      if (type === "charset.unsupported" || type === "encoding.unsupported") {
        return refuse(res, 415, "UNSUPPORTED_MEDIA_TYPE", "The request body must be UTF-8 JSON");
      }
      if (error) return refuse(res, 400, "BAD_REQUEST", "POST body must be a JSON object");
      // Yoga reads an empty parsed object as "no parsed body" and would look for the (consumed) stream.
      if (isEmptyObject(req.body)) return refuse(res, 400, "BAD_REQUEST", "Must provide query string.");
      next();
    });
}

const isEmptyObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/** The matched route pattern (`/api/orders/:orderId`), so logs and metrics group by route, not by id. */
export function routeOf(req: Request): string {
  const pattern = (req.route as { path?: string } | undefined)?.path;
  if (!pattern) return req.path === "/graphql" ? "/graphql" : "(unmatched)";
  return `${req.baseUrl}${pattern === "/" ? "" : pattern}` || "/";
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => {}); // a late failure after the timeout has nobody left to tell
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const ENDPOINTS = [
  "GET /health",
  "GET /metrics",
  "POST /graphql",
  "GET /api/products",
  "GET /api/products/:productId",
  "POST /api/products",
  "POST /api/products/bulk-upload",
  "GET /api/products/bulk-upload/:jobId",
  "GET /api/products/bulk-upload/:jobId/errors",
  "GET /api/products/sample-csv/:rows",
  "GET /api/orders/:orderId",
  "POST /api/orders/:orderId/fulfill",
  "GET /api/orders/user/:userId",
  "POST /api/payments/process",
  "POST /api/payments/process-simple",
  "GET /api/payments/:paymentId",
  "POST /api/checkout",
  "GET /api/checkout/coupons",
  "POST /api/checkout/coupons",
  "POST /api/checkout/:orderId/apply-coupon",
];
