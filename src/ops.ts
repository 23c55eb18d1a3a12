import { readFileSync } from "node:fs";
import type { RequestHandler } from "express";
import type { Registry } from "prom-client";
import { pingDatabase, poolState } from "./db/index.js";
import { requestContext } from "./lib/request-context.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string; version: string };

const HEALTH_TIMEOUT_MS = 1_000;

/** `GET /`: what the gateway is and where things are (the endpoint list is read from the mounted routes). */
export function apiInfo(endpoints: () => string[]): RequestHandler {
  return (_req, res) => {
    res.json({
      name: pkg.name,
      version: pkg.version,
      description: "E-commerce API gateway: GraphQL with a REST shim for the storefront",
      links: { graphql: "/graphql", health: "/health", metrics: "/metrics" },
      endpoints: endpoints(),
    });
  };
}

/** `GET /health`: 200 when the database answers within a second, else 503. */
export const health: RequestHandler = async (_req, res) => {
  const started = performance.now();
  try {
    await withTimeout(pingDatabase(), HEALTH_TIMEOUT_MS);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    res.json({ status: "ok", version: pkg.version, checks: { database: { status: "ok", latencyMs, pool: poolState() } } });
  } catch (error) {
    requestContext()?.logger.warn({ err: error }, "health check failed");
    res.status(503).json({ status: "unavailable", version: pkg.version, checks: { database: { status: "error" } } });
  }
};

/** `GET /metrics`: the Prometheus text format. */
export function metricsRoute(metrics: Registry): RequestHandler {
  return async (_req, res) => {
    res.setHeader("Content-Type", metrics.contentType);
    res.send(await metrics.metrics());
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => {}); // a late failure after the timeout has nobody left to tell
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
