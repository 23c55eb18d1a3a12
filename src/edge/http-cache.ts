import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import { currentPrincipal } from "../lib/request-context.js";
import { COMPRESSION_THRESHOLD } from "./compress.js";

export interface PublicCacheSettings {
  maxAgeSeconds: number;
  staleWhileRevalidateSeconds: number;
}

/**
 * HTTP caching for a public read (the catalogue): an ETag from the body's
 * bytes, so `If-None-Match` is answered 304 with no body, and
 * `Cache-Control: public` with a short max-age for an anonymous caller.
 * Anything signed in is `private, no-store`: what a principal sees is never
 * kept in a shared cache. `Vary` names what changes the answer. The ETag is
 * strong, except for a body that will be compressed: different bytes per
 * content-coding make it a weak validator (RFC 9110 8.8.1). Express answers
 * the 304 (`req.fresh` compares ignoring `W/`). Errors are never cached.
 */
export function publicRead(settings: PublicCacheSettings): RequestHandler {
  const publicPolicy = `public, max-age=${settings.maxAgeSeconds}, stale-while-revalidate=${settings.staleWhileRevalidateSeconds}`;
  return (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (value: unknown) => {
      res.vary("Authorization").vary("Accept-Encoding");
      if (res.statusCode !== 200) {
        res.setHeader("Cache-Control", "no-store");
        return json(value);
      }
      res.setHeader("Cache-Control", currentPrincipal().kind === "anonymous" ? publicPolicy : "private, no-store");
      const body = JSON.stringify(value);
      // The next page's link is part of the answer: a 304 must not leave a client with an old cursor.
      const tag = `"${createHash("sha256").update(body).update(String(res.getHeader("link") ?? "")).digest("base64url").slice(0, 27)}"`;
      const compressed = Buffer.byteLength(body) >= COMPRESSION_THRESHOLD && /(\b(br|gzip|deflate)\b|\*)/i.test(req.get("accept-encoding") ?? "");
      res.setHeader("ETag", compressed ? `W/${tag}` : tag);
      return res.type("json").send(body);
    };
    next();
  };
}
