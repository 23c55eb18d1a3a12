import type { Request, RequestHandler, Response } from "express";
import { graphqlUploadExpress } from "graphql-upload-minimal";
import type { YogaServerInstance } from "graphql-yoga";
import type { Config } from "../config.js";
import type { Authenticator } from "../auth/index.js";
import { authenticate } from "../edge/authenticate.js";
import { parseJsonBody } from "../edge/body.js";
import { isGraphqlCsrf } from "../edge/cross-site.js";
import { setPageHeaders } from "../edge/pages.js";
import { UnauthenticatedError } from "../errors.js";
import { toDomainError } from "../edge/errors.js";
import { currentPrincipal, requestContext } from "../lib/request-context.js";
import { assertMayImport } from "../services/bulk-import/index.js";
import { streamBudget } from "./streams.js";
import type { GraphQLContext } from "../schema/builder.js";
import { trackWork } from "../lib/in-flight.js";

/**
 * The GraphQL door's HTTP handlers, in order: GraphiQL's page headers (or,
 * where it is off, a word on that), the CSRF check for non-JSON POSTs, the
 * bearer token (edge/authenticate.ts), the event streams' budget, multipart
 * parsed streaming (Yoga's own parser would hold every file in memory:
 * docs/stack.md), JSON bodies read by the edge's reader (same limits and codes
 * as REST), then Yoga.
 */
export function graphqlHandlers(config: Config, yoga: YogaServerInstance<object, GraphQLContext>, authenticator: Authenticator): RequestHandler[] {
  const json = parseJsonBody(config.GRAPHQL_MAX_BODY_BYTES);
  const auth = authenticate(authenticator);
  const streams = streamBudget(config, authenticator, (res, refusal) => refuse(res, refusal.status, refusal.code, refusal.message));
  return [
    ...(config.GRAPHIQL_ENABLED ? [graphiqlPageHeaders] : [graphiqlIsOff]),
    requirePreflightUnlessJson,
    (req, res, next) => auth(req, res, unauthenticatedAsGraphql(res, next)),
    (req, res, next) => streams(req, res, unauthenticatedAsGraphql(res, next)),
    multipartUploads(config),
    (req, res, next) =>
      json(req, res, (error?: unknown) => {
        if (error !== undefined) return refuseUnreadable(res, error, next);
        // Yoga reads an empty parsed object as "no parsed body" and would look for the (consumed) stream.
        if (isEmptyObject(req.body)) return refuse(res, 400, "VALIDATION_FAILED", "Must provide query string.");
        next();
      }),
    (req, res) => trackWork(yoga.handle(req, res)),
  ];
}

/** A token refused (on reading it, or a stream's fresh check) is answered in GraphQL's shape, with its challenge; anything else goes on. */
function unauthenticatedAsGraphql(res: Response, next: (error?: unknown) => void): (error?: unknown) => void {
  return (error) => {
    if (!(error instanceof UnauthenticatedError)) return next(error);
    res.setHeader("WWW-Authenticate", error.challenge);
    refuse(res, error.status, error.code, error.message);
  };
}

/** A body the edge could not read (JSON or multipart), answered in GraphQL's shape; anything else goes on to the error handler. */
function refuseUnreadable(res: Response, error: unknown, next: (error?: unknown) => void): void {
  const known = toDomainError(error);
  if (!known) return next(error);
  refuse(res, known.status, known.code, known.message);
}

/** A refusal before GraphQL runs, in GraphQL's response shape, with the code REST would use. */
function refuse(res: Response, status: number, code: string, message: string): void {
  if (res.headersSent) return; // already answered (a body deadline passed)
  res.locals.errorCode = code;
  res.status(status).json({ errors: [{ message, extensions: { code, requestId: requestContext()?.requestId } }] });
}

/**
 * A multipart request (GraphQL's file upload): only an admin's import takes a
 * file, so anyone else is answered from the headers, before a byte of the
 * body is read. The body is then parsed streaming and capped as a REST upload
 * is: the file at BULK_UPLOAD_MAX_BYTES, the operations and map fields (JSON)
 * at the JSON body limit.
 */
function multipartUploads(config: Config): RequestHandler {
  const uploads = graphqlUploadExpress({ maxFileSize: config.BULK_UPLOAD_MAX_BYTES + 1, maxFiles: 1, maxFieldSize: config.GRAPHQL_MAX_BODY_BYTES });
  const maxUploadBytes = config.BULK_UPLOAD_MAX_BYTES + config.GRAPHQL_MAX_BODY_BYTES;
  return (req, res, next) => {
    if (!req.is("multipart/form-data")) return next();
    try {
      assertMayImport(currentPrincipal());
    } catch (error) {
      req.resume();
      if (error instanceof UnauthenticatedError) res.setHeader("WWW-Authenticate", error.challenge);
      return refuseUnreadable(res, error, next);
    }
    if (Number(req.headers["content-length"] ?? 0) > maxUploadBytes) {
      req.resume(); // drained, as for a CSRF refusal: the client reads the 413
      return refuse(res, 413, "PAYLOAD_TOO_LARGE", `The file is larger than the limit of ${config.BULK_UPLOAD_MAX_BYTES} bytes`);
    }
    uploads(req, res, (error?: unknown) => {
      if (error !== undefined) return refuseUnreadable(res, error, next);
      // Read and capped above; Yoga's own body cap, sized for JSON, would refuse the upload by its Content-Length.
      delete req.headers["content-length"];
      next();
    });
  };
}

/** A browser asking for a page (GraphiQL), not a client asking for a result. */
const wantsPage = (req: Request) => req.method === "GET" && req.accepts(["application/json", "application/graphql-response+json", "text/html"]) === "text/html";

/** GraphiQL's page gets the pages' security headers (edge/pages.ts). */
const graphiqlPageHeaders: RequestHandler = (req, res, next) => {
  if (wantsPage(req)) setPageHeaders(res);
  next();
};

/**
 * A browser opening /graphql where GraphiQL is off (production) reads why,
 * in a line of text, instead of an empty 406.
 */
const graphiqlIsOff: RequestHandler = (req, res, next) => {
  if (!wantsPage(req) || req.query.query !== undefined) return next();
  res.locals.errorCode = "NOT_ACCEPTABLE";
  res.status(406).type("text/plain").send("GraphiQL is off on this server (GRAPHIQL_ENABLED=false). Send GraphQL requests to this URL as POST with a JSON body.\n");
};

/**
 * CSRF (edge/cross-site.ts): a POST that is not JSON (a form, text, an
 * upload) must carry a preflight header, which another site's page cannot add.
 */
const requirePreflightUnlessJson: RequestHandler = (req, res, next) => {
  const refusal = isGraphqlCsrf(req);
  if (!refusal) return next();
  // Drained, not cut: a client still sending its upload then reads the 400 instead of a reset.
  // (The body deadline bounds how long a refused body can take.)
  req.resume();
  refuse(res, refusal.status, refusal.code, refusal.message);
};

const isEmptyObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
