import type { RequestHandler } from "express";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Authenticator } from "../auth/index.js";
import { watchSession } from "../auth/session-watch.js";
import type { Config } from "../config.js";
import { asUnauthenticated } from "../edge/authenticate.js";
import { isEventStream } from "../edge/capacity.js";
import { requestContext } from "../lib/request-context.js";

export interface StreamRefusal {
  status: 429;
  code: "TOO_MANY_STREAMS";
  message: string;
}

/**
 * Event streams (GraphQL over Server-Sent Events) last as long as their
 * subscription, so they are not requests in flight (edge/capacity.ts) but
 * have a budget of their own: SSE_MAX_STREAMS_PER_PRINCIPAL per caller (per
 * address when anonymous) and SSE_MAX_STREAMS in all; past either, 429
 * TOO_MANY_STREAMS at once. Runs after the token is read. A signed-in
 * stream lasts no longer than its token's rights, as a WebSocket does: its
 * connection is cut when the token expires, or at the first re-check (every
 * WS_KEEPALIVE_MS) that finds it no longer valid.
 */
export function streamBudget(
  config: Pick<Config, "SSE_MAX_STREAMS_PER_PRINCIPAL" | "SSE_MAX_STREAMS" | "WS_KEEPALIVE_MS">,
  authenticator: Authenticator,
  refuse: (res: Parameters<RequestHandler>[1], refusal: StreamRefusal) => void,
): RequestHandler {
  let open = 0;
  const perCaller = new Map<string, number>();
  return (req, res, next) => {
    if (!isEventStream(req)) return next();
    const context = requestContext();
    const principal = context?.principal;
    const caller = !principal || principal.kind === "anonymous" ? `address:${req.socket.remoteAddress}` : `${principal.kind}:${principal.sub}`;
    const mine = perCaller.get(caller) ?? 0;
    if (mine >= config.SSE_MAX_STREAMS_PER_PRINCIPAL || open >= config.SSE_MAX_STREAMS) {
      req.resume();
      res.setHeader("Retry-After", "5");
      const limit = mine >= config.SSE_MAX_STREAMS_PER_PRINCIPAL ? `at most ${config.SSE_MAX_STREAMS_PER_PRINCIPAL} per caller` : "the gateway's are all in use";
      return refuse(res, { status: 429, code: "TOO_MANY_STREAMS", message: `Too many event streams open: ${limit}; close one or retry later` });
    }
    open++;
    perCaller.set(caller, mine + 1);
    if (context) context.eventStream = true;
    let stopWatching = () => {};
    res.once("close", () => {
      stopWatching();
      open--;
      const left = perCaller.get(caller)! - 1;
      if (left > 0) perCaller.set(caller, left);
      else perCaller.delete(caller);
    });
    const authorization = req.get("authorization");
    if (authorization === undefined) return next();
    // The token was accepted a moment ago (edge/authenticate.ts, maybe from its cache); this asks afresh when it stops being accepted.
    authenticator.session(authorization).then(({ validUntil }) => {
      if (!res.destroyed) stopWatching = watchSession(authenticator, authorization, validUntil, config.WS_KEEPALIVE_MS, () => res.destroy());
      next();
    }, (error: unknown) => next(asUnauthenticated(error)));
  };
}

/**
 * A subscription over HTTP runs only on a request taken for an event stream
 * (`Accept: text/event-stream`, docs/api.md): any other answer would hold a
 * request slot for the subscription's life. WebSocket operations (no HTTP
 * request) have their own limits (./ws.ts).
 */
export function useSubscriptionsOnlyAsStreams(): Plugin {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      if (!(args.contextValue as { request?: unknown }).request || requestContext()?.eventStream) return;
      setResultAndStopExecution({
        errors: [new GraphQLError("A subscription over HTTP needs `Accept: text/event-stream` (or use the WebSocket transport)", { extensions: { code: "VALIDATION_FAILED", http: { status: 400 } } })],
      });
    },
  };
}
