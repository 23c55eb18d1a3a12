import type { ErrorRequestHandler, Response } from "express";
import { DomainError, TransientError } from "../errors.js";
import { mapDatabaseError } from "../db/errors.js";
import { requestContext } from "../lib/request-context.js";
import { businessMetrics } from "../lib/metrics.js";

export interface ErrorBody {
  error: string;
  code: string;
  details?: Record<string, unknown>;
  requestId: string;
}

/** Known errors keep their code and message; anything else is logged and masked as INTERNAL. */
export function toDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  return mapDatabaseError(error) ?? bodyParserError(error);
}

function bodyParserError(error: unknown): DomainError | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === "entity.parse.failed") return new DomainError("VALIDATION_FAILED", "The request body is not valid JSON");
  if (type === "entity.too.large") return new DomainError("PAYLOAD_TOO_LARGE", "The request body is too large");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new DomainError("UNSUPPORTED_MEDIA_TYPE", "The request body must be UTF-8 JSON");
  }
  return undefined;
}

export function sendError(res: Response, error: unknown): void {
  const context = requestContext();
  const requestId = context?.requestId ?? String(res.getHeader("x-request-id") ?? "");
  const known = toDomainError(error);
  if (!known) {
    context?.logger.error({ err: error }, "unexpected error");
    res.status(500).json({ error: "Internal server error", code: "INTERNAL", requestId } satisfies ErrorBody);
    return;
  }
  businessMetrics.errors.inc({ code: known.code });
  if (known instanceof TransientError) res.setHeader("Retry-After", String(known.retryAfterSeconds));
  res.locals.errorCode = known.code;
  const body: ErrorBody = { error: known.message, code: known.code, requestId };
  if (known.details) body.details = known.details;
  res.status(known.status).json(body);
}

export const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  sendError(res, error);
};
