import express, { type Express } from "express";
import type { YogaServerInstance } from "graphql-yoga";
import type { GraphQLContext } from "./schema/builder.js";
import type { Registry } from "prom-client";
import type { Config } from "./config.js";
import { createAuthenticator, type Authenticator } from "./auth/index.js";
import { authenticate } from "./edge/authenticate.js";
import { capacity } from "./edge/capacity.js";
import { compressWhenAsked } from "./edge/compress.js";
import { publicAnswerCache } from "./edge/http-cache.js";
import { noSniff } from "./edge/pages.js";
import { cors, restCsrf } from "./edge/cross-site.js";
import { countQueriesPerRequest, requestScope } from "./edge/request-scope.js";
import { DomainError } from "./errors.js";
import { persistedOperations, type PersistedOperations } from "./graphql/apq.js";
import { graphiqlAssets } from "./graphql/graphiql-assets.js";
import { graphqlHandlers } from "./graphql/http.js";
import { createGraphQLServer } from "./graphql/server.js";
import { loadTrustedDocuments } from "./graphql/trusted-documents.js";
import { responseCacheLimits } from "./lib/catalog-cache.js";
import type { Logger } from "./lib/logger.js";
import { createMetricsRegistry } from "./lib/metrics.js";
import { apiInfo, health, metricsRoute, type Lifecycle } from "./ops.js";
import { errorHandler } from "./rest/errors.js";
import { mountRoutes, restRoutes } from "./rest/index.js";
import { apiReference } from "./rest/reference.js";
import { databaseGauges } from "./services/maintenance/gauges.js";

export interface AppDeps {
  logger: Logger;
  metrics?: Registry;
  authenticator?: Authenticator;
  /** Set to draining by a shutdown: new requests are refused, probes say so. */
  lifecycle?: Lifecycle;
}

export interface App {
  app: Express;
  /** The GraphQL server, the authenticator and the persisted operations, for the WebSocket transport beside the HTTP app (graphql/ws.ts). */
  yoga: YogaServerInstance<object, GraphQLContext>;
  authenticator: Authenticator;
  persisted: PersistedOperations | undefined;
}

/** Builds the whole HTTP app (GraphQL, REST shim, health, metrics) without listening. */
export function createApp(config: Config, deps: AppDeps): App {
  const { logger } = deps;
  const metrics = deps.metrics ?? createMetricsRegistry(databaseGauges());
  const authenticator = deps.authenticator ?? createAuthenticator(config);
  const lifecycle = deps.lifecycle ?? { draining: false };
  countQueriesPerRequest();
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestScope(logger, config.TRACE_INCOMING_CONTEXT));
  app.use(noSniff);
  app.use(
    capacity(
      {
        bodyTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
        uploadTimeoutMs: config.HTTP_UPLOAD_TIMEOUT_MS,
        maxInFlight: config.HTTP_MAX_IN_FLIGHT,
        maxInFlightPerAddress: config.HTTP_MAX_IN_FLIGHT_PER_ADDRESS || Math.ceil(config.HTTP_MAX_IN_FLIGHT / 2),
        maxUploads: config.UPLOAD_MAX_CONCURRENT,
      },
      lifecycle,
    ),
  );
  app.use(cors(config.CORS_ORIGINS));
  app.use(compressWhenAsked());
  // The storefront's REST shim first: its reads are the hottest path, and every layer passed costs.
  app.use("/api", restCsrf, authenticate(authenticator));
  const routes = restRoutes(config, logger);
  const cacheLimits = responseCacheLimits(config);
  const endpoints = ["GET /health", "GET /metrics", "POST /graphql", "GET /openapi.json", "GET /docs", ...mountRoutes(app, routes, { maxAgeSeconds: config.CATALOG_CACHE_MAX_AGE_S, staleWhileRevalidateSeconds: config.CATALOG_CACHE_SWR_S }, cacheLimits && publicAnswerCache(cacheLimits))];
  app.get("/", apiInfo(endpoints));
  app.use(apiReference(config, authenticator, routes));
  if (config.GRAPHIQL_ENABLED) app.use(graphiqlAssets());
  app.get("/health", authenticate(authenticator), health(lifecycle));
  app.get("/metrics", metricsRoute(metrics, config));
  const persisted = persistedOperations(config, config.GRAPHQL_TRUSTED_DOCUMENTS ? loadTrustedDocuments(config.GRAPHQL_TRUSTED_DOCUMENTS) : undefined);
  const yoga = createGraphQLServer(config, logger, metrics, authenticator, persisted);
  app.all("/graphql", ...graphqlHandlers(config, yoga, authenticator));
  app.use((req, _res, next) => next(new DomainError("NOT_FOUND", `No route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return { app, yoga, authenticator, persisted };
}
