import type { ErrorRequestHandler, Response } from "express";
import { TransientError, UnauthenticatedError } from "../errors.js";
import { toDomainError } from "../edge/errors.js";
import { requestContext } from "../lib/request-context.js";
import { businessMetrics } from "../lib/metrics.js";

export interface ErrorBody {
  error: string;
  code: string;
  details?: Record<string, unknown>;
  requestId: string;
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
  if (known instanceof UnauthenticatedError) res.setHeader("WWW-Authenticate", known.challenge);
  res.locals.errorCode = known.code;
  const body: ErrorBody = { error: known.message, code: known.code, requestId };
  if (known.details) body.details = known.details;
  res.status(known.status).json(body);
}

export const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  sendError(res, error);
};
