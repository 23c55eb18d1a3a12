import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RequestHandler } from "express";
import type { Registry } from "prom-client";
import { pingDatabase, poolState } from "./db/index.js";
import { isAdmin } from "./auth/principal.js";
import type { Config } from "./config.js";
import { DomainError, UnauthenticatedError } from "./errors.js";
import { currentPrincipal, requestContext } from "./lib/request-context.js";
import { openMetricsRegistry } from "./lib/metrics.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string; version: string };

const HEALTH_TIMEOUT_MS = 1_000;

/** `GET /`: what the gateway is and where things are (the REST endpoints are the route table's, rest/route-table.ts). */
export function apiInfo(endpoints: readonly string[]): RequestHandler {
  return (_req, res) => {
    res.json({
      name: pkg.name,
      version: pkg.version,
      description: "E-commerce API gateway: GraphQL with a REST shim for the storefront",
      links: { graphql: "/graphql", openapi: "/openapi.json", docs: "/docs", health: "/health", metrics: "/metrics" },
      endpoints,
    });
  };
}

/** Whether the server is shutting down: it then refuses new work and says so to probes (src/server.ts). */
export interface Lifecycle {
  draining: boolean;
}

/**
 * `GET /health`: 200 when the database answers within a second, else 503; 503
 * `draining` once a shutdown began, so a load balancer stops sending traffic.
 * Anyone learns whether it is up; only an admin sees the version and the pool.
 */
export function health(lifecycle: Lifecycle): RequestHandler {
  return async (_req, res) => {
    const detailed = isAdmin(currentPrincipal());
    if (lifecycle.draining) {
      res.status(503).json(detailed ? { status: "draining", version: pkg.version } : { status: "draining" });
      return;
    }
    const started = performance.now();
    try {
      await withTimeout(pingDatabase(), HEALTH_TIMEOUT_MS);
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      res.json(detailed ? { status: "ok", version: pkg.version, checks: { database: { status: "ok", latencyMs, pool: poolState() } } } : { status: "ok" });
    } catch (error) {
      requestContext()?.logger.warn({ err: error }, "health check failed");
      res.status(503).json(detailed ? { status: "unavailable", version: pkg.version, checks: { database: { status: "error" } } } : { status: "unavailable" });
    }
  };
}

/**
 * `GET /metrics`: the Prometheus text format, only with `Authorization: Bearer
 * $METRICS_TOKEN` when that is set; open in development without it, and off
 * (404) in production without it (`metricsAccess` says which at start).
 */
export function metricsRoute(metrics: Registry, config: Pick<Config, "METRICS_TOKEN" | "NODE_ENV">): RequestHandler {
  const expected = config.METRICS_TOKEN ? Buffer.from(`Bearer ${config.METRICS_TOKEN}`) : undefined;
  const access = metricsAccess(config);
  return async (req, res, next) => {
    if (access === "off") return next(new DomainError("NOT_FOUND", "Metrics are off: set METRICS_TOKEN to serve them"));
    if (expected) {
      const sent = Buffer.from(req.get("authorization") ?? "");
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
        return next(new UnauthenticatedError("Metrics need Authorization: Bearer $METRICS_TOKEN", sent.length > 0));
      }
    }
    const registry = asksForOpenMetrics(req.get("accept")) ? openMetricsRegistry(metrics) : metrics;
    res.setHeader("Content-Type", registry.contentType);
    res.send(await registry.metrics());
  };
}

/** Prometheus asks for OpenMetrics first (`application/openmetrics-text;version=1.0.0;q=0.5,…,text/plain;q=0.2`); curl asks for nothing. */
function asksForOpenMetrics(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((range) => {
    const [type, ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return type === "application/openmetrics-text" && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export function metricsAccess(config: Pick<Config, "METRICS_TOKEN" | "NODE_ENV">): "token" | "open" | "off" {
  if (config.METRICS_TOKEN) return "token";
  return config.NODE_ENV === "production" ? "off" : "open";
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => {}); // a late failure after the timeout has nobody left to tell
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
