import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { Router, type Request, type Response } from "express";
import type { GraphiQLOptions } from "graphql-yoga";

/**
 * GraphiQL as a small page and separate files (its script, styles, editor
 * workers, icon), instead of Yoga's single 9 MB page with everything inlined:
 * the files sit under a versioned path, cached by the browser for a year, and
 * compressed once per process (brotli or gzip, as the browser asks), so a
 * second visit loads only the page. Served from node_modules: works offline.
 */
const require = createRequire(import.meta.url);
const PACKAGE = dirname(require.resolve("@graphql-yoga/render-graphiql/package.json"));
const VERSION = (require(join(PACKAGE, "package.json")) as { version: string }).version;
export const GRAPHIQL_ASSETS_PATH = `/graphiql/${VERSION}`;

interface Asset {
  type: string;
  body: () => Buffer;
}

/** GraphiQL's bundled files, as strings in the package's JavaScript: loaded on the first browser visit, not at start. */
let bundle: Record<"js" | "css" | "favicon" | "editorWorkerService" | "jsonWorker" | "graphqlWorker", string> | undefined;
const part = (name: keyof NonNullable<typeof bundle>) => {
  bundle ??= require(join(PACKAGE, "cjs", "graphiql.js")) as NonNullable<typeof bundle>;
  return bundle[name];
};

/** Reads the options the page carries as JSON data (not script) and starts GraphiQL; Monaco's workers load from their own files. */
const INIT = `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: (_moduleId, label) => "${GRAPHIQL_ASSETS_PATH}/" + label + ".worker.js",
};
YogaGraphiQL.renderYogaGraphiQL(
  document.querySelector("#root"),
  JSON.parse(document.getElementById("graphiql-options").textContent),
);
`;

const ASSETS: Record<string, Asset> = {
  "graphiql.js": { type: "application/javascript; charset=utf-8", body: () => Buffer.from(part("js")) },
  "graphiql.css": { type: "text/css; charset=utf-8", body: () => Buffer.from(part("css")) },
  "editorWorkerService.worker.js": { type: "application/javascript; charset=utf-8", body: () => Buffer.from(part("editorWorkerService")) },
  "json.worker.js": { type: "application/javascript; charset=utf-8", body: () => Buffer.from(part("jsonWorker")) },
  "graphql.worker.js": { type: "application/javascript; charset=utf-8", body: () => Buffer.from(part("graphqlWorker")) },
  "init.js": { type: "application/javascript; charset=utf-8", body: () => Buffer.from(INIT) },
  "favicon.ico": { type: "image/x-icon", body: () => Buffer.from(part("favicon").replace(/^data:[^,]*;base64,/, ""), "base64") },
};

type Encoding = "br" | "gzip" | "identity";
const compressors: Record<Exclude<Encoding, "identity">, (data: Buffer) => Promise<Buffer>> = {
  // Off the event loop (zlib's thread pool), once per file. Quality 5 takes all the files from 7.5 MB to
  // 1.9 MB in about 0.2 s of CPU; quality 9 saves another 80 KB for four times the wait on a first visit.
  br: (data) => promisify(brotliCompress)(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
  gzip: (data) => promisify(gzip)(data),
};
const cache = new Map<string, Promise<Buffer>>();

function encoded(name: string, asset: Asset, encoding: Encoding): Promise<Buffer> {
  const key = `${name}:${encoding}`;
  let body = cache.get(key);
  if (!body) {
    body = encoding === "identity" ? Promise.resolve(asset.body()) : compressors[encoding](asset.body());
    cache.set(key, body);
  }
  return body;
}

/** Brotli when the browser takes it (all current ones do), else gzip, else none. */
function preferredEncoding(req: Request): Encoding {
  if (req.acceptsEncodings("br") === "br") return "br";
  return req.acceptsEncodings("gzip") === "gzip" ? "gzip" : "identity";
}

/** `GET /graphiql/<version>/<file>`: only GraphiQL's own files; any other path is the app's 404. */
export function graphiqlAssets(): Router {
  const router = Router();
  router.get(`${GRAPHIQL_ASSETS_PATH}/:file`, async (req: Request<{ file: string }>, res: Response, next) => {
    const asset = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined;
    if (!asset) return next();
    const encoding = preferredEncoding(req);
    const body = await encoded(req.params.file, asset, encoding);
    res.setHeader("Content-Type", asset.type);
    res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    res.setHeader("Vary", "Accept-Encoding");
    if (encoding !== "identity") res.setHeader("Content-Encoding", encoding);
    res.end(body);
  });
  return router;
}

/** JSON that may stand inside a <script> element: no `</script>`, no `<!--`. */
const scriptSafeJson = (value: unknown) => JSON.stringify(value).replaceAll("<", "\\u003c");
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The GraphiQL page: a few hundred bytes of HTML naming the files above, with the page's options as inert JSON. */
export function renderGraphiQL(options: GraphiQLOptions = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(options.title ?? "GraphiQL")}</title>
  <link rel="icon" href="${GRAPHIQL_ASSETS_PATH}/favicon.ico">
  <link rel="stylesheet" href="${GRAPHIQL_ASSETS_PATH}/graphiql.css">
</head>
<body id="body" class="no-focus-outline">
  <noscript>GraphiQL needs JavaScript.</noscript>
  <div id="root"></div>
  <script type="application/json" id="graphiql-options">${scriptSafeJson(options)}</script>
  <script src="${GRAPHIQL_ASSETS_PATH}/graphiql.js"></script>
  <script src="${GRAPHIQL_ASSETS_PATH}/init.js"></script>
</body>
</html>
`;
}
