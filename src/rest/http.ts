import type { Request, RequestHandler, Response } from "express";
import { DomainError } from "../errors.js";
import type { IdempotentResult } from "../services/idempotency.js";
import type { Page } from "../services/pagination.js";
import { sendError } from "./errors.js";

/** POST bodies must be JSON: anything else is 415 before a route runs. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is("application/json")) {
    next(new DomainError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json"));
    return;
  }
  next();
};

/** Sends a page as a JSON array with the next cursor in `X-Next-Cursor` and a `Link` header. */
export function sendPage<T>(req: Request, res: Response, page: Page<T>, render: (item: T) => unknown): void {
  if (page.nextCursor) {
    const next = new URLSearchParams({ ...(req.query as Record<string, string>), cursor: page.nextCursor });
    res.setHeader("X-Next-Cursor", page.nextCursor);
    const path = `${req.baseUrl}${req.path === "/" ? "" : req.path}`;
    res.setHeader("Link", `<${path}?${next}>; rel="next"`);
  }
  res.json(page.items.map(render));
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
