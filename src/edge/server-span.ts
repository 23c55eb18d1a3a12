import type { Request, Response } from "express";
import { contextFromHeaders, linkFromHeaders, ROOT_CONTEXT, SpanKind, SpanStatusCode, startSpan, tracingEnabled, type Span } from "../lib/tracing.js";

/**
 * One SERVER span per HTTP request, continuing the caller's W3C traceparent
 * (or, with TRACE_INCOMING_CONTEXT=link, starting a trace linked to it).
 * It is named when it ends: `GET /api/orders/:orderId` by route, or by the
 * GraphQL operation (`mutation checkout`) that graphql/tracing.ts names it with.
 */
export function startServerSpan(req: Request, requestId: string, incoming: "continue" | "link"): Span | undefined {
  if (!tracingEnabled()) return undefined;
  const continued = incoming === "continue";
  return startSpan(
    req.method,
    {
      kind: SpanKind.SERVER,
      links: continued ? undefined : linkFromHeaders(req.headers),
      attributes: {
        "http.request.method": req.method,
        "url.path": req.path.slice(0, 256),
        "url.scheme": "http",
        "network.peer.address": req.socket.remoteAddress ?? "",
        "user_agent.original": req.get("user-agent")?.slice(0, 256) ?? "",
        "http.request.id": requestId,
      },
    },
    continued ? contextFromHeaders(req.headers) : ROOT_CONTEXT,
    true,
  );
}

export function endServerSpan(span: Span, req: Request, res: Response, route: string): void {
  if (!graphqlNamed.has(span)) span.updateName(`${req.method} ${route}`);
  span.setAttributes({ "http.route": route, "http.response.status_code": res.statusCode });
  if (res.locals.errorCode) span.setAttribute("error.type", String(res.locals.errorCode));
  if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  if (!res.writableFinished) span.setAttribute("http.aborted", true);
  span.end();
}

const graphqlNamed = new WeakSet<Span>();

/** Names the request's span after its GraphQL operation (`query products`): the route alone says only /graphql. */
export function nameServerSpan(span: Span, name: string): void {
  graphqlNamed.add(span);
  span.updateName(name);
}
