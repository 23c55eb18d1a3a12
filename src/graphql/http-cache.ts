import type { Response } from "express";
import type { Plugin } from "graphql-yoga";
import { cachePolicy, entityTag, noneMatch, validator, type PublicCacheSettings } from "../edge/http-cache.js";
import { isPlainResult, isPublicCatalogueQuery } from "./response-cache.js";

/**
 * HTTP caching for GraphQL over GET (persisted queries are asked that way, so
 * a CDN or browser can keep them), as for the REST catalogue
 * (edge/http-cache.ts): a public catalogue query answered without errors gets
 * an ETag from its body, `If-None-Match` is answered 304 with no body, and
 * `Cache-Control` is public for an anonymous caller, `private, no-store` for
 * anyone signed in. Any other GET answer (a query about the caller, an error)
 * is `private, no-store`, and so is an answer in any other format than JSON
 * (an event stream, multipart). POST answers are never cacheable and are left alone.
 */
/** The single-answer formats a client may ask for; event streams and multipart answers are never kept. */
const JSON_TYPES = /^application\/(graphql-response\+)?json\b/i;

export function useHttpCaching(settings: PublicCacheSettings): Plugin {
  const policy = cachePolicy(settings);
  const publicAnswers = new WeakSet<Request>();
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request?.method !== "GET" || !isPublicCatalogueQuery(args)) return undefined;
      return {
        onExecuteDone({ result }) {
          if (isPlainResult(result) && !result.errors?.length) publicAnswers.add(request);
        },
      };
    },
    onResponse({ request, response, setResponse, fetchAPI, serverContext }) {
      if (request.method !== "GET") return undefined;
      // The same URL is answered as JSON, an event stream or multipart by `Accept`: a shared cache must tell them apart.
      // This answer's headers replace the HTTP app's: Express's `vary` adds these names to what the app varies on (Origin, with a CORS allowlist).
      const app = (serverContext as { res?: Response }).res;
      response.headers.set("Vary", app ? String(app.vary("Accept").vary("Authorization").vary("Accept-Encoding").getHeader("Vary")) : "Accept, Authorization, Accept-Encoding");
      const type = response.headers.get("content-type") ?? "";
      if (!publicAnswers.has(request) || response.status !== 200 || !JSON_TYPES.test(type)) {
        response.headers.set("Cache-Control", "private, no-store");
        return undefined;
      }
      return response.text().then((body) => {
        const tag = entityTag(body, [type]);
        const headers = new fetchAPI.Headers(response.headers);
        headers.set("Cache-Control", policy());
        headers.set("ETag", validator(tag, Buffer.byteLength(body), request.headers.get("accept-encoding")));
        if (noneMatch(request.headers.get("if-none-match"), tag)) {
          headers.delete("Content-Length");
          setResponse(new fetchAPI.Response(null, { status: 304, headers }));
        } else setResponse(new fetchAPI.Response(body, { status: 200, headers }));
      });
    },
  };
}
