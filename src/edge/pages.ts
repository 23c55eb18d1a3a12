import type { RequestHandler, Response } from "express";

/**
 * The pages a person opens in a browser (GraphiQL, the REST reference): their
 * scripts come from this origin only (no inline script: options travel as
 * inert JSON in the page), nothing may frame them, and no referrer leaves.
 * Inline styles stay allowed: the editors set them as they lay out.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function setPageHeaders(res: Response): void {
  res.setHeader("Content-Security-Policy", PAGE_POLICY);
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Referrer-Policy", "no-referrer");
}

/** Every answer: a browser must not guess a type other than the one sent (a JSON error read as HTML or script). */
export const noSniff: RequestHandler = (_req, res, next) => {
  res.setHeader("X-Content-Type-Options", "nosniff");
  next();
};

const LOOPBACK_NAME = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** `localhost`, `127.x.x.x` or `[::1]`, with or without a port. */
export function isLoopbackHost(host: string | undefined | null): boolean {
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return LOOPBACK_NAME.test(name);
}

/**
 * Whether a development page may carry the demo customer's token: only when
 * the server listens on loopback and the page was asked for by a loopback
 * name. Another name (a DNS-rebinding attack, a LAN address) gets the page
 * without it.
 */
export function mayEmbedDevelopmentToken(listenHost: string, requestHost: string | undefined | null): boolean {
  return isLoopbackHost(listenHost) && isLoopbackHost(requestHost);
}
