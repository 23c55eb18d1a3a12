import { randomUUID } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { onQuery } from "../db/index.js";
import { ANONYMOUS } from "../auth/principal.js";
import type { Logger } from "../lib/logger.js";
import { httpMetrics, observeTraced } from "../lib/metrics.js";
import { requestContext, runWithRequestContext, type RequestContext } from "../lib/request-context.js";
import { inContextOf, spanIds } from "../lib/tracing.js";
import { endServerSpan, startServerSpan } from "./server-span.js";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

let counting = false;

/** Counts each statement against the request that ran it, for its summary line (once per process). */
export function countQueriesPerRequest(): void {
  if (counting) return;
  counting = true;
  onQuery((event) => {
    const context = requestContext();
    if (!context) return;
    context.dbQueries += 1;
    context.dbTimeMs += event.durationMs;
  });
}

/**
 * Gives every request an id (a sane incoming x-request-id is kept), a child
 * logger, and one summary line when it ends, with the database time it used.
 */
export function requestScope(logger: Logger, incomingTrace: "continue" | "link" = "continue"): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", requestId);
    const context = scopeContext(logger, requestId);
    context.clientAddress = req.socket.remoteAddress;
    context.span = startServerSpan(req, requestId, incomingTrace);
    const started = performance.now();
    const ids = context.span && spanIds(context.span);
    res.on("finish", () => {
      const durationMs = performance.now() - started;
      const route = (res.locals.route as string | undefined) ?? routeOf(req);
      observeTraced(httpMetrics.requestDuration, { method: req.method, route, status: String(res.statusCode) }, durationMs / 1000, ids);
      if (!logger.isLevelEnabled("info")) return;
      context.logger.info(
        {
          method: req.method,
          route,
          operation: clip(context.operation ?? `${req.method} ${route}`),
          status: res.statusCode,
          durationMs: Math.round(durationMs * 10) / 10,
          principal: context.principal.kind === "anonymous" ? "anonymous" : clip(`${context.principal.kind}:${context.principal.sub}`),
          userId: context.userId,
          idempotencyKey: context.idempotencyKey === undefined ? undefined : clip(context.idempotencyKey),
          replayed: context.replayed,
          dbQueries: context.dbQueries,
          dbTimeMs: Math.round(context.dbTimeMs * 10) / 10,
          code: res.locals.errorCode,
          ...ids,
        },
        "request completed",
      );
    });
    if (context.span) res.once("close", () => endServerSpan(context.span!, req, res, (res.locals.route as string | undefined) ?? routeOf(req)));
    runWithRequestContext(context, () => inContextOf(context.span, next));
  };
}

/** Client strings in the summary line are cut short: one request cannot write a megabyte of log. */
const MAX_LOGGED_CHARS = 128;
const clip = (value: string) => (value.length > MAX_LOGGED_CHARS ? `${value.slice(0, MAX_LOGGED_CHARS)}...` : value);

/** The request's context; its child logger is made on first use (most requests only log their summary line). */
function scopeContext(logger: Logger, requestId: string): RequestContext {
  let child: Logger | undefined;
  return {
    requestId,
    get logger() {
      return (child ??= logger.child({ requestId }));
    },
    principal: ANONYMOUS,
    dbQueries: 0,
    dbTimeMs: 0,
  };
}

/** The matched route pattern (`/api/orders/:orderId`), so logs and metrics group by route, not by id. */
export function routeOf(req: Request): string {
  const pattern = (req.route as { path?: string } | undefined)?.path;
  if (!pattern) return req.path === "/graphql" ? "/graphql" : "(unmatched)";
  return `${req.baseUrl}${pattern === "/" ? "" : pattern}` || "/";
}
