import { GraphQLError, Kind, getOperationAST, type DocumentNode, type OperationDefinitionNode } from "graphql";
import { useGraphQlJit } from "@envelop/graphql-jit";
import { usePrometheus } from "@envelop/prometheus";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import type { Authenticator } from "../auth/index.js";
import { ANONYMOUS } from "../auth/principal.js";
import { usePersistedOperations, type PersistedOperations } from "./apq.js";
import { ByteLru } from "../lib/byte-lru.js";
import { graphiqlOptions } from "./graphiql.js";
import { renderGraphiQL } from "./graphiql-assets.js";
import type { Config } from "../config.js";
import { useCostLimit, useErrorCodes, useNoIntrospection } from "./limits.js";
import { MAX_CONNECTION_SIZE } from "../schema/builder.js";
import type { Registry } from "prom-client";
import { businessMetrics, graphqlMetrics } from "../lib/metrics.js";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { DomainError, TransientError } from "../errors.js";
import type { Logger } from "../lib/logger.js";
import { annotateRequest, requestContext } from "../lib/request-context.js";
import { useTracing } from "./tracing.js";
import { useResponseCache } from "./response-cache.js";
import { useHttpCaching } from "./http-cache.js";
import { responseCacheLimits } from "../lib/catalog-cache.js";
import { toDomainError } from "../edge/errors.js";
import { schema } from "../schema/index.js";
import { createLoaders } from "../schema/loaders.js";
import type { GraphQLContext } from "../schema/builder.js";
import { useSubscriptionsOnlyAsStreams } from "./streams.js";


/**
 * Expected failures reach clients with their code in extensions; anything else
 * is logged with the request id and answered as a generic INTERNAL error.
 */
export function maskError(logger: Logger) {
  return (error: unknown): Error => {
    const gqlError = isGraphQLError(error) ? error : undefined;
    const original = gqlError ? (gqlError.originalError ?? undefined) : error;
    if (gqlError && !original) return gqlError;
    // A GraphQLError raised on purpose (a scalar that does not parse) is the client's: keep it and its code.
    if (gqlError && isGraphQLError(original)) {
      const code = original.extensions?.code ?? "VALIDATION_FAILED";
      return new GraphQLError(gqlError.message, { nodes: gqlError.nodes, path: gqlError.path, extensions: { ...gqlError.extensions, code } });
    }
    const known = toDomainError(original) ?? pothosValidation(original);
    const requestId = requestContext()?.requestId;
    if (known) {
      businessMetrics.errors.inc({ code: known.code });
      const extensions: Record<string, unknown> = { code: known.code };
      if (known.details) extensions.details = known.details;
      if (known instanceof TransientError) extensions.retryAfterSeconds = known.retryAfterSeconds;
      return new GraphQLError(known.message, { nodes: gqlError?.nodes, path: gqlError?.path, extensions });
    }
    (requestContext()?.logger ?? logger).error({ err: original }, "unexpected GraphQL error");
    return new GraphQLError("Unexpected error.", {
      nodes: gqlError?.nodes,
      path: gqlError?.path,
      extensions: { code: "INTERNAL", requestId },
    });
  };
}

function isSoleOperation(document: DocumentNode, name: string | null | undefined): boolean {
  let found: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (found) return false;
    found = definition;
  }
  // Subscriptions run on graphql-js: graphql-jit's subscribe does not hand field arguments over reliably.
  return found !== undefined && found.operation !== "subscription" && (!name || found.name?.value === name);
}


/**
 * Yoga remembers parsed documents by their text (and parse errors), which
 * anyone can send: by default 1,024 of any size. A parsed document holds some
 * 90 bytes of heap per byte of its text (measured: 26 KB of text, 2.4 MB
 * parsed), so the caches are bounded by that weight, 64 MB in all; a larger
 * document is parsed each time it comes. Compiled operations (graphql-jit)
 * live as long as their parsed document.
 */
const PARSED_BYTES_PER_CHARACTER = 100;
function boundedParserCaches() {
  const limits = { maxBytes: 64 * 1024 * 1024, maxEntries: 1_000 };
  return {
    documentCache: new ByteLru<DocumentNode>(limits, (text) => text.length * PARSED_BYTES_PER_CHARACTER),
    errorCache: new ByteLru<unknown>(limits, (text) => text.length * 2),
  };
}

/** Pothos refuses arguments it cannot honour (a connection's `first: -1`): the client's error. */
function pothosValidation(error: unknown): DomainError | undefined {
  return error instanceof Error && error.name === "PothosValidationError" ? new DomainError("VALIDATION_FAILED", error.message) : undefined;
}

/** Duck-typed: graphql may be loaded twice (ESM and CJS), so instanceof is not reliable. */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && "extensions" in error && "originalError" in error;
}

export function createGraphQLServer(
  config: Config,
  logger: Logger,
  metrics: Registry,
  authenticator: Authenticator,
  persisted: PersistedOperations | undefined,
): YogaServerInstance<object, GraphQLContext> {
  const metricOperations = new Set(config.GRAPHQL_METRIC_OPERATIONS);
  const cacheLimits = responseCacheLimits(config);
  return createYoga<object, GraphQLContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // CORS is the edge's, for both doors (edge/cross-site.ts): Yoga's own would allow every origin.
    cors: false,
    batching: false,
    maxRequestBodySize: config.GRAPHQL_MAX_BODY_BYTES,
    parserAndValidationCache: boundedParserCaches(),
    graphiql: graphiqlOptions(config, authenticator),
    renderGraphiQL,
    maskedErrors: { maskError: maskError(logger) },
    logging: logger.child({ component: "graphql" }),
    // Over HTTP the request context carries the principal; over WebSocket (graphql/ws.ts) the connection's is passed in.
    context: (initial: object) => ({
      requestId: requestContext()?.requestId ?? (initial as Partial<GraphQLContext>).requestId ?? "",
      principal: requestContext()?.principal ?? (initial as Partial<GraphQLContext>).principal ?? ANONYMOUS,
      loaders: createLoaders(),
      logger: requestContext()?.logger ?? logger,
    }),
    plugins: [
      ...(persisted ? [usePersistedOperations(persisted)] : []),
      // Limits (README, "Safety limits"): refused at parse or validation, before anything runs.
      maxTokensPlugin({ n: config.GRAPHQL_MAX_TOKENS, exposeLimits: true }),
      maxDepthPlugin({ n: config.GRAPHQL_MAX_DEPTH, flattenFragments: true, exposeLimits: true }),
      maxAliasesPlugin({ n: config.GRAPHQL_MAX_ALIASES, exposeLimits: true }),
      maxDirectivesPlugin({ n: config.GRAPHQL_MAX_DIRECTIVES, exposeLimits: true }),
      useCostLimit(config.GRAPHQL_MAX_COST, MAX_CONNECTION_SIZE),
      ...(config.GRAPHQL_FIELD_SUGGESTIONS ? [] : [blockFieldSuggestionsPlugin()]),
      ...(config.GRAPHQL_INTROSPECTION ? [] : [useNoIntrospection()]),
      useErrorCodes(),
      useSubscriptionsOnlyAsStreams(),
      // Executes each distinct operation through a compiled function (cached per
      // document): far cheaper than graphql-js's generic executor on large order
      // pages (bench/README.md). Its cache is keyed by the document alone, so only
      // a document whose one operation is the one asked for runs compiled; any
      // other (several operations, a name that is not there) runs on graphql-js,
      // which picks the operation by operationName or answers a clean error.
      useGraphQlJit({}, { enableIf: ({ document, operationName }) => isSoleOperation(document, operationName) }),
      usePrometheus({
        registry: metrics,
        // The phase histograms are left out: parsing and validation are cached per document, and
        // execution is graphql_operation_duration_seconds by operation (lib/metrics.ts). Each costs
        // label work on every request.
        metrics: {
          graphql_envelop_request: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_error_result: true,
        },
        // Operation names and error paths (aliases) are client strings: an unbounded label
        // set. These metrics keep the operation type; the bounded operation label is ours.
        labels: { operationName: false, path: false },
      }),
      {
        onExecute({ args }: { args: { document: DocumentNode; operationName?: string | null } }) {
          const operation = getOperationAST(args.document, args.operationName);
          const name = operation?.name?.value;
          annotateRequest({ operation: `graphql:${name ?? "anonymous"}` });
          const labels = { operation: name === undefined ? "anonymous" : metricOperations.has(name) ? name : "other", type: operation?.operation ?? "unknown" };
          const started = performance.now();
          return { onExecuteDone: () => graphqlMetrics.operationDuration.observe(labels, (performance.now() - started) / 1000) };
        },
      },
      // Last: its execute wraps whichever executor the plugins above chose (graphql-jit's).
      useTracing({ resolvers: config.GRAPHQL_TRACE_RESOLVERS, namedOperations: metricOperations }),
      // After everything that must see a cached answer too (limits, metrics, the request's name and span).
      // Before the response cache, so that its answers get their HTTP validators too.
      useHttpCaching({ maxAgeSeconds: config.CATALOG_CACHE_MAX_AGE_S, staleWhileRevalidateSeconds: config.CATALOG_CACHE_SWR_S }),
      ...(cacheLimits ? [useResponseCache(cacheLimits)] : []),
    ],
  });
}
