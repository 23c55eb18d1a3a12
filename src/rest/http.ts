import type { Request, RequestHandler, Response, Router } from "express";
import { DomainError } from "../errors.js";
import type { IdempotentResult } from "../services/idempotency/keys.js";
import type { Page } from "../services/pagination.js";
import { sendError } from "./errors.js";

/** Sends a page as a JSON array with the next cursor in `X-Next-Cursor` and a `Link` header. */
export function sendPage<T>(req: Request, res: Response, page: Page<T>, render: (item: T) => unknown): void {
  if (page.nextCursor) {
    res.setHeader("X-Next-Cursor", page.nextCursor);
    res.setHeader("Link", `<${withCursor(req.originalUrl, page.nextCursor)}>; rel="next"`);
  }
  res.json(page.items.map(render));
}

/** The request's own URL with `cursor` set to the next page's (other parameters kept as sent). */
function withCursor(url: string, cursor: string): string {
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  const kept = query < 0 ? [] : url.slice(query + 1).split("&").filter((p) => p !== "" && !p.startsWith("cursor="));
  kept.push(`cursor=${encodeURIComponent(cursor)}`);
  return `${path}?${kept.join("&")}`;
}

/**
 * Answers an idempotent operation: the stored status and body on a replay (with
 * `Idempotent-Replayed: true`), the contract's error body for a failure.
 */
export function sendOutcome<T>(res: Response, result: IdempotentResult<T>, render: (value: T) => unknown): void {
  if (result.replayed) res.setHeader("Idempotent-Replayed", "true");
  const { outcome } = result;
  if (outcome.ok) res.status(outcome.status).json(render(outcome.value));
  else sendError(res, outcome.error);
}

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The last handler of a resource router: a path it serves, asked with another
 * method, is 405 with an `Allow` header (not a misleading 404).
 */
export function methodNotAllowed(router: Router): RequestHandler {
  return (req, res, next) => {
    const allowed = new Set<string>();
    for (const layer of (router as unknown as { stack: RouteLayer[] }).stack) {
      if (!layer.route || !layer.match(req.path)) continue;
      for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== "_all") allowed.add(method.toUpperCase());
    }
    if (allowed.size === 0) return next();
    if (allowed.has("GET")) allowed.add("HEAD");
    res.setHeader("Allow", [...allowed].sort().join(", "));
    next(new DomainError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use ${[...allowed].sort().join(", ")}`));
  };
}
