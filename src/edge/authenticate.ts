import type { RequestHandler } from "express";
import { InvalidTokenError, type Authenticator } from "../auth/index.js";
import { UnauthenticatedError } from "../errors.js";
import { requestContext } from "../lib/request-context.js";

/**
 * Reads `Authorization: Bearer <JWT>` once per request, for both doors, and
 * puts the principal in the request context. No header: anonymous (each
 * operation decides whether that is enough). A header that cannot be trusted
 * (malformed, expired, not yet valid, badly signed, wrong issuer or audience,
 * a subject that is no user) is 401 on any operation.
 */
export function authenticate(authenticator: Authenticator): RequestHandler {
  return (req, _res, next) => {
    const header = req.get("authorization");
    if (header === undefined) return next();
    authenticator.principalOf(header).then(
      (principal) => {
        const context = requestContext();
        if (context) context.principal = principal;
        next();
      },
      (error: unknown) => next(asUnauthenticated(error)),
    );
  };
}

/** A token that cannot be trusted is 401 UNAUTHENTICATED (with its challenge); any other error stays what it is. */
export function asUnauthenticated(error: unknown): unknown {
  return error instanceof InvalidTokenError ? new UnauthenticatedError(`The bearer token is not valid: ${error.reason}`, true) : error;
}
