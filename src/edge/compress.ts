import compression from "compression";
import type { RequestHandler } from "express";

/**
 * gzip or brotli for responses over 1 KB, when the client says it accepts
 * them (JSON, CSV, the 9 MB GraphiQL page). CSV downloads stay streamed (each
 * chunk compressed as it goes); event streams are never buffered. A request
 * without Accept-Encoding (most API clients, the benchmarks) skips the
 * middleware entirely.
 */
export function compressWhenAsked(): RequestHandler {
  const compress = compression({
    threshold: 1024,
    filter: (req, res) => !String(res.getHeader("content-type") ?? "").startsWith("text/event-stream") && compression.filter(req, res),
  });
  return (req, res, next) => (req.headers["accept-encoding"] ? compress(req, res, next) : next());
}
