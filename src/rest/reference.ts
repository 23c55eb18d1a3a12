import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import express, { Router } from "express";
import type { Authenticator } from "../auth/index.js";
import type { Config } from "../config.js";
import { mayEmbedDevelopmentToken, setPageHeaders } from "../edge/pages.js";
import { developmentToken } from "../graphql/graphiql.js";
import { openApiDocument } from "./openapi/document.js";
import type { RestRoute } from "./route-table.js";

const SWAGGER_UI = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS = new Set(["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"]);

/** The page; `options` (JSON, inert: read by init.js) carries the development token when there is one to give. */
const page = (options: { token?: string }) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shop gateway REST API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script type="application/json" id="docs-options">${JSON.stringify(options).replaceAll("<", "\\u003c")}</script>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/** The same for every caller: a script another site can load holds nothing it should not read. */
const INIT = `const options = JSON.parse(document.getElementById("docs-options").textContent);
const ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: false,
  onComplete: () => options.token && ui.preauthorizeApiKey("bearerAuth", options.token),
});
`;

/**
 * `GET /openapi.json`, the REST shim's OpenAPI 3.1 document, and `GET /docs`,
 * an interactive reference (Swagger UI, served from node_modules: it works
 * offline). Anyone may read both: they describe the public contract. In
 * development, asked for on loopback, the page is signed in as the demo
 * customer, as GraphiQL is (edge/pages.ts).
 */
export function apiReference(config: Config, authenticator: Authenticator, routes: readonly RestRoute[]): Router {
  const router = Router();
  const document = JSON.stringify(openApiDocument(routes));
  const mint = developmentToken(config, authenticator);

  router.get("/openapi.json", (_req, res) => {
    res.type("application/json").setHeader("Cache-Control", "no-cache");
    res.send(document);
  });
  router.get("/docs", async (req, res) => {
    const token = mint && mayEmbedDevelopmentToken(config.HOST, req.headers.host) ? await mint() : undefined;
    setPageHeaders(res);
    res.type("html").setHeader("Cache-Control", "no-store");
    res.send(page(token ? { token } : {}));
  });
  router.get("/docs/init.js", (_req, res) => {
    res.type("application/javascript").setHeader("Cache-Control", "no-cache");
    res.send(INIT);
  });
  // Only Swagger UI's own files; any other path under /docs is the app's 404.
  router.use("/docs", (req, _res, next) => next(ASSETS.has(req.path.slice(1)) ? undefined : "router"), express.static(SWAGGER_UI, { maxAge: "1d", index: false }));
  return router;
}
