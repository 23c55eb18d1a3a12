import type { Socket } from "node:net";
import type { Request, RequestHandler, Response } from "express";
import { DomainError, TransientError } from "../errors.js";
import { requestContext } from "../lib/request-context.js";
import type { Lifecycle } from "../ops.js";

/**
 * What one slow or greedy client can hold (docs/hardening.md): a body must
 * arrive within its deadline, and past a number of requests in flight the
 * gateway answers 503 at once instead of queueing without bound. The
 * connection cap, header deadline and keep-alive timeout are the HTTP
 * server's own settings (src/server.ts).
 */
export interface CapacityLimits {
  /** A request body (JSON, forms) must be received within this. */
  bodyTimeoutMs: number;
  /** A file upload (a CSV, a GraphQL multipart request) within this. */
  uploadTimeoutMs: number;
  /** Requests being served at once, beyond which new ones get 503 OVERLOADED (probes excepted; they count while served). */
  maxInFlight: number;
  /** One client address's share of them, beyond which its new ones get 429 RATE_LIMITED. */
  maxInFlightPerAddress: number;
  /** File uploads being received at once (they count as requests too), beyond which 503 OVERLOADED. */
  maxUploads: number;
}

/** Probes and scrapes are never shed: an overloaded gateway must still say so. */
const UNSHED = new Set(["/health", "/metrics"]);

/**
 * Once a shutdown began (`lifecycle.draining`), a new request on a kept-alive
 * connection is answered 503 with `Connection: close`: its client retries on
 * another instance, while the requests already in flight finish.
 */
export function capacity(limits: CapacityLimits, lifecycle: Lifecycle): RequestHandler {
  let inFlight = 0;
  let uploads = 0;
  const perAddress = new Map<string, number>();
  return (req, res, next) => {
    const unshed = UNSHED.has(req.path);
    // A refused request's body is drained, not read, within its deadline (an upload's is longer); then its connection is cut.
    const refuse = (error: DomainError, closeConnection = false) => {
      if (hasBody(req)) watchBody(req, res, isUpload(req) ? limits.uploadTimeoutMs : limits.bodyTimeoutMs);
      refuseNow(req, res, error, closeConnection);
    };
    if ((lifecycle.draining || inFlight >= limits.maxInFlight) && !unshed) {
      const reason = lifecycle.draining ? "The gateway is shutting down; retry" : "The gateway is at capacity; retry shortly";
      return refuse(new TransientError("OVERLOADED", reason, 1), lifecycle.draining);
    }
    // An event stream lasts as long as its subscription: it has its own budget, per caller (graphql/streams.ts). Its body has the same deadline.
    if (isEventStream(req)) {
      if (hasBody(req)) watchBody(req, res, limits.bodyTimeoutMs);
      return next();
    }
    const address = req.socket.remoteAddress ?? "unknown";
    const fromAddress = perAddress.get(address) ?? 0;
    if (fromAddress >= limits.maxInFlightPerAddress && !unshed) {
      return refuse(new TransientError("RATE_LIMITED", `Too many requests in flight from your address: at most ${limits.maxInFlightPerAddress} at once`, 1));
    }
    const upload = hasBody(req) && isUpload(req);
    if (upload && uploads >= limits.maxUploads) {
      return refuse(new TransientError("OVERLOADED", `The gateway is receiving ${limits.maxUploads} uploads already; retry shortly`, 5));
    }
    inFlight++;
    perAddress.set(address, fromAddress + 1);
    if (upload) uploads++;
    res.once("close", () => {
      inFlight--;
      if (upload) uploads--;
      const left = perAddress.get(address)! - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    if (hasBody(req)) watchBody(req, res, upload ? limits.uploadTimeoutMs : limits.bodyTimeoutMs);
    next();
  };
}

/** Refused before any work: the body is drained, not read; while draining, the connection closes. */
function refuseNow(req: Request, res: Response, error: DomainError, closeConnection: boolean): void {
  req.resume();
  if (closeConnection) res.setHeader("Connection", "close");
  answer(req, res, error);
}

const EVENT_STREAM = /text\/event-stream/i;

/**
 * A GraphQL request over Server-Sent Events (graphql-sse's distinct
 * connections, Yoga's SSE): one that asks for an event stream by name. Yoga
 * would also stream a subscription for `*\/*`, `text/*` or no Accept at all;
 * graphql/streams.ts refuses a subscription on any request not taken for a
 * stream here, so none holds a request slot for its lifetime. An upload is
 * never a stream: it counts as one.
 */
export const isEventStream = (req: Request) =>
  (req.path === "/graphql" || req.path === "/graphql/") && EVENT_STREAM.test(req.headers.accept ?? "") && !(hasBody(req) && isUpload(req));

/**
 * Past the deadline with the body still arriving (a client dribbling a byte a
 * second), the request is answered 408 and its connection closed; whatever
 * was reading the body then fails, and its late answer is dropped. A request
 * answered without its body being read (a refusal, a route that needs none)
 * keeps the deadline: its connection is cut then.
 */
function watchBody(req: Request, res: Response, ms: number): void {
  const timer = setTimeout(() => {
    if (req.complete) return;
    if (!res.headersSent) {
      res.setHeader("Connection", "close");
      answer(req, res, new DomainError("REQUEST_TIMEOUT", `The request body did not arrive within ${Math.round(ms / 1000)} s`));
    }
    if (res.writableFinished) req.socket.destroy();
    else res.once("finish", () => req.socket.destroy());
  }, ms);
  timer.unref();
  // A client that hangs up after an early answer ends neither the request nor its body: the socket's close clears it too.
  const clear = () => {
    clearTimeout(timer);
    req.socket.off("close", clear);
  };
  req.once("end", clear);
  req.once("close", clear);
  req.socket.once("close", clear);
}

const hasBody = (req: Request) => {
  const { "content-length": length, "transfer-encoding": encoding } = req.headers;
  return encoding !== undefined || (length !== undefined && length !== "0");
};
export const isUpload = (req: Request) => req.is("multipart/form-data") !== false || req.path === "/api/products/bulk-upload";

/** In the door's own shape: GraphQL's errors array, or the REST error body. */
function answer(req: Request, res: Response, error: DomainError): void {
  const requestId = requestContext()?.requestId ?? "";
  res.locals.errorCode = error.code;
  if (error instanceof TransientError) res.setHeader("Retry-After", String(error.retryAfterSeconds));
  res.status(error.status);
  if (req.path === "/graphql") res.json({ errors: [{ message: error.message, extensions: { code: error.code, requestId } }] });
  else res.json({ error: error.message, code: error.code, requestId });
}

/**
 * One client address's share of the connections (the HTTP server's
 * `connection` listener): past it, its new connections are closed at once,
 * before a byte is read, while other addresses still connect.
 */
export function connectionsPerAddress(max: number): (socket: Socket) => void {
  const open = new Map<string, number>();
  return (socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = open.get(address)! - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  };
}
