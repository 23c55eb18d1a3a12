import express, { type RequestHandler } from "express";
import { DomainError } from "../errors.js";
import { toDomainError } from "./errors.js";

/**
 * Reads a JSON body, for both doors: at most `limitBytes` (413
 * PAYLOAD_TOO_LARGE), UTF-8 (415 UNSUPPORTED_MEDIA_TYPE), JSON that parses
 * (400 VALIDATION_FAILED). Other content types pass unread. Failures reach
 * `next` as DomainErrors, so each door answers them in its own shape.
 */
export function parseJsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true });
  return (req, res, next) => parse(req, res, (error?: unknown) => next(error === undefined ? undefined : (toDomainError(error) ?? error)));
}

/** A REST route's body: JSON only (anything else is 415), read by `parseJsonBody`. Per route, so reads pay nothing. */
export function jsonBody(limitBytes: number, options: { optional?: boolean } = {}): RequestHandler {
  const parse = parseJsonBody(limitBytes);
  return (req, res, next) => {
    // An optional body may be left out altogether: no body, no content type needed.
    if (options.optional && !req.headers["transfer-encoding"] && Number(req.headers["content-length"] ?? 0) === 0) return next();
    if (!req.is("application/json")) return next(new DomainError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json"));
    parse(req, res, next);
  };
}
