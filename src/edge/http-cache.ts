import { createHash } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { CatalogCache, type CatalogCacheLimits } from "../lib/catalog-cache.js";
import { currentPrincipal } from "../lib/request-context.js";
import { COMPRESSION_THRESHOLD } from "./compress.js";

export interface PublicCacheSettings {
  maxAgeSeconds: number;
  staleWhileRevalidateSeconds: number;
}

/** A public read's answer as sent: its body, its strong validator, and the headers that belong to it (the next page's `Link`). */
export interface PublicAnswer {
  body: string;
  bytes: number;
  tag: string;
  headers: [name: string, value: string][];
}

/** The REST door's response cache for public reads (lib/catalog-cache.ts): entries keyed by the URL as sent. */
export const publicAnswerCache = (limits: CatalogCacheLimits) =>
  new CatalogCache<PublicAnswer>(limits, (key, answer) => key.length + answer.bytes + answer.tag.length + JSON.stringify(answer.headers).length);

/**
 * HTTP caching for a public read (the catalogue): an ETag from the body's
 * bytes, so `If-None-Match` is answered 304 with no body, and
 * `Cache-Control: public` with a short max-age for an anonymous caller.
 * Anything signed in is `private, no-store`: what a principal sees is never
 * kept in a shared cache. `Vary` names what changes the answer. The ETag is
 * strong, except for a body that will be compressed: different bytes per
 * content-coding make it a weak validator (RFC 9110 8.8.1). Express answers
 * the 304 (`req.fresh` compares ignoring `W/`). Errors are never cached.
 *
 * With `cache`, a 200 answer is also kept in memory under the URL and the
 * database's change version, and served from there, validator included,
 * until anything is written. The route's answer must not depend on who asks
 * (its access is "anyone"); `headers` are the ones the handler sets that
 * belong to the answer.
 */
export function publicRead(settings: PublicCacheSettings, headers: readonly string[], cache?: CatalogCache<PublicAnswer>): RequestHandler {
  const policy = cachePolicy(settings);
  const send = (req: Request, res: Response, answer: PublicAnswer) => {
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    res.vary("Authorization").vary("Accept-Encoding");
    res.setHeader("Cache-Control", policy());
    res.setHeader("ETag", validator(answer.tag, answer.bytes, req.get("accept-encoding")));
    res.type("json").send(answer.body);
  };
  const capture = (req: Request, res: Response, version?: string) => {
    const json = res.json.bind(res);
    res.json = (value: unknown) => {
      if (res.statusCode !== 200) {
        res.vary("Authorization").vary("Accept-Encoding");
        res.setHeader("Cache-Control", "no-store");
        return json(value);
      }
      const answer = answerOf(res, JSON.stringify(value), headers);
      if (cache && version !== undefined) void cache.store(version, req.originalUrl, answer);
      send(req, res, answer);
      return res;
    };
  };
  return (req, res, next) => {
    if (!cache) {
      capture(req, res);
      return next();
    }
    // Without a version (the database is unreachable) the route runs as if there were no cache.
    cache
      .lookup(req.originalUrl)
      .then(
        ({ version, value }) => (value ? send(req, res, value) : (capture(req, res, version), next())),
        () => (capture(req, res), next()),
      )
      .catch(next);
  };
}

function answerOf(res: Response, body: string, names: readonly string[]): PublicAnswer {
  const headers = names.flatMap((name): [string, string][] => {
    const value = res.getHeader(name);
    return value === undefined ? [] : [[name, String(value)]];
  });
  // The next page's link is part of the answer: a 304 must not leave a client with an old cursor.
  return { body, bytes: Buffer.byteLength(body), tag: entityTag(body, headers.map(([, value]) => value)), headers };
}

/** `Cache-Control` for a public read, by who asks: a shared cache may keep an anonymous answer briefly; a signed-in one is never stored. */
export function cachePolicy(settings: PublicCacheSettings): () => string {
  const policy = `public, max-age=${settings.maxAgeSeconds}, stale-while-revalidate=${settings.staleWhileRevalidateSeconds}`;
  return () => (currentPrincipal().kind === "anonymous" ? policy : "private, no-store");
}

/** A strong entity tag for a body and what else belongs to the answer. */
export function entityTag(body: string, extra: readonly string[] = []): string {
  const hash = createHash("sha256").update(body);
  for (const value of extra) hash.update("\0").update(value);
  return `"${hash.digest("base64url").slice(0, 27)}"`;
}

/** The ETag to send: weak when the edge will compress the body (edge/compress.ts), whose bytes then differ per content-coding. */
export function validator(tag: string, bytes: number, acceptEncoding: string | undefined | null): string {
  const compressed = bytes >= COMPRESSION_THRESHOLD && /(\b(br|gzip|deflate)\b|\*)/i.test(acceptEncoding ?? "");
  return compressed ? `W/${tag}` : tag;
}

/** `If-None-Match` against a tag, compared weakly as RFC 9110 13.1.2 asks: `*`, or any listed tag with or without `W/`. */
export function noneMatch(ifNoneMatch: string | null | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === tag);
}
