import type { RequestHandler } from "express";
import type { Config } from "../config.js";
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
 * TOO_MANY_STREAMS at once. Runs after the token is read.
 */
export function streamBudget(
  config: Pick<Config, "SSE_MAX_STREAMS_PER_PRINCIPAL" | "SSE_MAX_STREAMS">,
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
    res.once("close", () => {
      open--;
      const left = perCaller.get(caller)! - 1;
      if (left > 0) perCaller.set(caller, left);
      else perCaller.delete(caller);
    });
    next();
  };
}
