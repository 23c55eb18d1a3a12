import type { Request, Response } from "express";
import type { IdempotentResult } from "../services/idempotency/index.js";
import type { Page } from "../services/common/index.js";
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
