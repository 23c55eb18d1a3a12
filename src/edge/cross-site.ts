import type { Request, RequestHandler } from "express";
import { DomainError } from "../errors.js";

/**
 * Cross-site requests, for both doors (docs/hardening.md).
 *
 * CORS: only origins in CORS_ORIGINS get `Access-Control-Allow-Origin` (their
 * own, with credentials); any other origin gets no CORS headers at all, so a
 * browser keeps the answer from the page. Empty by default: no cross-origin
 * browser access.
 *
 * CSRF: a page on another site can make a browser send a "simple" request (a
 * form post, `text/plain`, a body-less POST) with no preflight, and so without
 * the CORS check. Such a request must carry one of the preflight headers (which
 * a page can only add after a preflight the allowlist refuses), or, on REST, an
 * Authorization header (likewise never simple).
 */
export const PREFLIGHT_HEADERS = ["x-graphql-yoga-csrf", "graphql-require-preflight", "apollo-require-preflight"];

const ALLOWED_HEADERS = ["authorization", "content-type", "idempotency-key", "x-request-id", ...PREFLIGHT_HEADERS].join(", ");
const EXPOSED_HEADERS = ["x-request-id", "x-next-cursor", "link", "location", "idempotent-replayed", "retry-after", "www-authenticate"].join(", ");
const PREFLIGHT_MAX_AGE_S = "600";

export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    // The hot path: no allowlist, not a preflight: nothing to add.
    if (allowed.size === 0 && req.method !== "OPTIONS") return next();
    const origin = req.get("origin");
    const preflight = req.method === "OPTIONS" && req.get("access-control-request-method") !== undefined;
    if (allowed.size > 0) res.vary("Origin");
    if (origin !== undefined && allowed.has(origin)) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Allow-Credentials", "true");
      res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
      if (preflight) {
        res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
        res.setHeader("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
      }
    }
    // A preflight is answered here whatever the origin: without the headers above the browser stops.
    if (preflight) {
      res.status(204).end();
      return;
    }
    next();
  };
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Bodies a GraphQL client sends: JSON. Anything else (forms, text, files) needs a preflight header. */
const GRAPHQL_JSON = ["application/json", "application/graphql-response+json"];
/** The content types a browser sends cross-site without a preflight (the Fetch standard's CORS-safelisted ones). */
const SIMPLE = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

const hasPreflightHeader = (req: Request) => PREFLIGHT_HEADERS.some((h) => req.get(h));

function refusal(): DomainError {
  return new DomainError(
    "CSRF_PREFLIGHT_REQUIRED",
    `This request could come from another site's form: send a JSON body, or one of the headers ${PREFLIGHT_HEADERS.join(", ")} (CSRF protection)`,
  );
}

/** GraphQL: every POST whose body is not JSON needs a preflight header; queries over GET stay allowed. */
export function isGraphqlCsrf(req: Request): DomainError | undefined {
  if (req.method !== "POST" || hasPreflightHeader(req)) return undefined;
  return req.is(GRAPHQL_JSON) ? undefined : refusal();
}

/**
 * REST: a state change sent as a form or text, with neither a preflight header
 * nor a token. (A body-less POST needs no rule of its own: every REST state
 * change needs a bearer token, which a page cannot attach cross-site without a
 * preflight, so one without a token is 401 and changes nothing.)
 */
export const restCsrf: RequestHandler = (req, _res, next) => {
  if (!STATE_CHANGING.has(req.method) || hasPreflightHeader(req) || req.get("authorization") !== undefined) return next();
  if (!req.is(SIMPLE)) return next();
  req.resume();
  next(refusal());
};
