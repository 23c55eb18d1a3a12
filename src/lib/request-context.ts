import { AsyncLocalStorage } from "node:async_hooks";
import { ANONYMOUS, type Principal } from "../auth/principal.js";
import type { Logger } from "./logger.js";
import { currentTraceparent, type Span } from "./tracing.js";

/** What one request carries through its async work: ids, its logger, what the summary line reports. */
export interface RequestContext {
  requestId: string;
  /** The peer's address (no proxy is trusted): what an anonymous caller is rate-limited by. */
  clientAddress?: string;
  logger: Logger;
  /** Who is calling; anonymous until the edge has read the Authorization header. */
  principal: Principal;
  dbQueries: number;
  dbTimeMs: number;
  /** GraphQL operation name or REST route. */
  operation?: string;
  userId?: number;
  idempotencyKey?: string;
  replayed?: boolean;
  /** The request's SERVER span, while tracing is on. */
  span?: Span;
  /** Taken for an event stream (graphql/streams.ts): only such a request may run a subscription over HTTP. */
  eventStream?: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function requestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The current request's principal (anonymous outside a request). */
export function currentPrincipal(): Principal {
  return storage.getStore()?.principal ?? ANONYMOUS;
}

/** Adds what a service learns (the user, the idempotency key, a replay) to the request's summary line. */
export function annotateRequest(fields: Pick<RequestContext, "operation" | "userId" | "idempotencyKey" | "replayed">): void {
  const context = storage.getStore();
  if (context) Object.assign(context, fields);
}

/** The current request's logger (with its requestId), or the fallback outside a request. */
export function contextLogger(fallback: Logger): Logger {
  return storage.getStore()?.logger ?? fallback;
}

/** Where work stored for later (an outbox event, an import job) came from: its delivery logs and spans point back to the request. */
export interface Origin {
  requestId: string | null;
  /** The W3C traceparent of the span that stored the work. */
  traceContext: string | null;
}

export function requestOrigin(): Origin {
  return { requestId: storage.getStore()?.requestId ?? null, traceContext: currentTraceparent() };
}
