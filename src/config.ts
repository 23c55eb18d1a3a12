import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A comma-separated list of at most `max` items, each checked by `item`. */
const list = (item: z.ZodString, max: number) =>
  z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).max(max));

/** OTLP over HTTP, JSON or protobuf; gRPC is not bundled. */
const otlpProtocol = z.enum(["http/protobuf", "http/json"], { error: "must be http/protobuf or http/json (gRPC is not supported)" });

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres:\/\/|postgresql:\/\/)/, "must start with file:, postgres:// or postgresql://")
    .default("file:./data/shop.db"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MIGRATE_ON_START: bool.default(true),
  SEED_ON_START: bool.optional(),
  JSON_BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: int(0, 120_000).default(10_000),
  SQLITE_BUSY_TIMEOUT_MS: int(0, 60_000).default(5_000),
  SQLITE_CHECKPOINT_INTERVAL_MS: int(10, 60_000).default(50),
  DB_TRANSACTION_MAX_WAIT_MS: int(10, 60_000).default(2_000),
  DB_POOL_SIZE: int(1, 500).default(10),
  DB_POOL_ACQUIRE_TIMEOUT_MS: int(10, 60_000).default(2_000),
  DB_STATEMENT_TIMEOUT_MS: int(100, 600_000).default(10_000),
  DB_TRANSACTION_TIMEOUT_MS: int(100, 120_000).default(5_000),
  IDEMPOTENCY_KEY_TTL_HOURS: int(1, 24 * 30).default(24),
  IDEMPOTENCY_LOCK_TIMEOUT_MS: int(1_000, 3_600_000).default(60_000),
  RESERVATION_TTL_MINUTES: int(1, 7 * 24 * 60).default(30),
  MAINTENANCE_INTERVAL_MS: int(1_000, 3_600_000).default(60_000),
  MAX_CHECKOUT_ITEMS: int(1, 1000).default(100),
  CARD_GATEWAY_LATENCY_MS: int(0, 60_000).default(50),
  CARD_GATEWAY_TIMEOUT_MS: int(10, 120_000).default(5_000),
  /** The share of refund calls the simulated gateway fails as an outage would (nothing refunded; a retry continues). */
  CARD_GATEWAY_REFUND_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /**
   * The simulated fraud service: `normal` answers in 150-400 ms, well within
   * its timeout; `incident` is the service of the pool-exhaustion post-mortem
   * (2-5 s, one call in ten 15-30 s). The three settings below override either.
   */
  FRAUD_CHECK_PROFILE: z.enum(["normal", "incident"]).default("normal"),
  FRAUD_CHECK_LATENCY_MS: int(0, 120_000).optional(),
  FRAUD_CHECK_JITTER_MS: int(0, 120_000).optional(),
  FRAUD_CHECK_SLOW_RATE: z.coerce.number().min(0).max(1).optional(),
  FRAUD_CHECK_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  FRAUD_CHECK_TIMEOUT_MS: int(10, 120_000).default(3_000),
  FRAUD_SCORE_REJECT_THRESHOLD: z.coerce.number().min(0).max(1).default(0.8),
  FRAUD_BREAKER_FAILURE_THRESHOLD: int(1, 1000).default(5),
  FRAUD_BREAKER_RESET_MS: int(100, 3_600_000).default(30_000),
  UPLOAD_DIR: z.string().min(1).default("./data/uploads"),
  BULK_UPLOAD_MAX_BYTES: int(1, 2 * 1024 * 1024 * 1024 - 1).default(1024 * 1024 * 1024),
  BULK_BATCH_SIZE: int(1, 100_000).default(5_000),
  BULK_WORKER_ENABLED: bool.default(true),
  BULK_WORKER_POLL_MS: int(10, 60_000).default(1_000),
  BULK_JOB_LEASE_MS: int(500, 3_600_000).default(30_000),
  BULK_JOB_MAX_ATTEMPTS: int(1, 100).default(3),
  /** One CSV record's limits: over either, the job fails with the record's line (real catalogues are far below). */
  BULK_MAX_RECORD_BYTES: int(256, 16 * 1024 * 1024).default(64 * 1024),
  BULK_MAX_FIELDS: int(5, 10_000).default(64),
  SHIPPING_LATENCY_MS: int(0, 120_000).default(500),
  SHIPPING_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  SHIPPING_TIMEOUT_MS: int(10, 120_000).default(3_000),
  FULFILLMENT_MAX_ATTEMPTS: int(1, 100).default(5),
  EMAIL_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  OUTBOX_POLL_MS: int(10, 60_000).default(1_000),
  /** How long a claimed outbox event is hidden from other workers: a crashed worker's events are redelivered after it. */
  OUTBOX_CLAIM_MS: int(1_000, 3_600_000).default(30_000),
  OUTBOX_MAX_ATTEMPTS: int(1, 100).default(8),
  GRAPHQL_MAX_DEPTH: int(1, 100).default(12),
  GRAPHQL_MAX_ALIASES: int(0, 1000).default(15),
  GRAPHQL_MAX_DIRECTIVES: int(0, 1000).default(10),
  GRAPHQL_MAX_TOKENS: int(100, 100_000).default(3_000),
  GRAPHQL_MAX_COST: int(1, 10_000_000).default(10_000),
  GRAPHQL_MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  GRAPHQL_INTROSPECTION: bool.optional(),
  GRAPHQL_FIELD_SUGGESTIONS: bool.optional(),
  GRAPHIQL_ENABLED: bool.optional(),
  /** Automatic persisted queries (Apollo's protocol): on by default. */
  GRAPHQL_APQ: bool.default(true),
  /** A trusted-documents manifest (clients/trusted-documents.json): only its operations run. */
  GRAPHQL_TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  /** GraphQL operation names that get their own label in graphql_operation_duration_seconds; the rest count as `other`. */
  GRAPHQL_METRIC_OPERATIONS: list(z.string().regex(/^[_A-Za-z][_0-9A-Za-z]{0,63}$/, "must be GraphQL operation names"), 200).default([]),
  /** Origins (scheme://host[:port]) a browser may call from, with credentials; empty: no cross-origin access. */
  CORS_ORIGINS: list(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i, "must be origins like https://shop.example.com"), 100).default([]),
  HTTP_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /** A request's body (JSON, forms) must arrive within this; then 408 and the connection closes. */
  HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  /** The same for file uploads (CSV imports), which are large by nature. */
  HTTP_UPLOAD_TIMEOUT_MS: int(1_000, 3_600_000).default(600_000),
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).default(2_000),
  /** One client address's share of HTTP_MAX_CONNECTIONS; 0: half of it. Behind a proxy set it to HTTP_MAX_CONNECTIONS. */
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: int(0, 1_000_000).default(0),
  /** Requests served at once; past it new ones get 503 OVERLOADED with Retry-After (not /health, /metrics). */
  HTTP_MAX_IN_FLIGHT: int(1, 100_000).default(512),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(5_000),
  /** One client address's share of HTTP_MAX_IN_FLIGHT; 0: half of it. Behind a proxy (every request from its address) set it to HTTP_MAX_IN_FLIGHT. */
  HTTP_MAX_IN_FLIGHT_PER_ADDRESS: int(0, 100_000).default(0),
  /** File uploads (CSV imports, either door) being received at once; past it 503 OVERLOADED. */
  UPLOAD_MAX_CONCURRENT: int(1, 1_000).default(4),
  /** Event streams (GraphQL subscriptions over SSE): per principal and in total; past either 429 TOO_MANY_STREAMS. They do not count as requests in flight. */
  SSE_MAX_STREAMS_PER_PRINCIPAL: int(1, 10_000).default(20),
  SSE_MAX_STREAMS: int(1, 1_000_000).default(1_000),
  /** WebSocket (graphql-ws): sockets per principal, subscriptions per socket, and how often a socket is pinged and its token re-checked. */
  WS_MAX_SOCKETS_PER_PRINCIPAL: int(1, 10_000).default(20),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: int(1, 10_000).default(50),
  WS_KEEPALIVE_MS: int(100, 600_000).default(30_000),
  /** The public catalogue's response caches, each door's (lib/catalog-cache.ts): size in bytes and entries, new entries per client address a minute; 0 bytes switches them off. */
  RESPONSE_CACHE_MAX_BYTES: int(0, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  RESPONSE_CACHE_MAX_ENTRIES: int(1, 1_000_000).default(2_000),
  RESPONSE_CACHE_INSERTS_PER_MIN: int(1, 1_000_000).default(120),
  /** Automatic persisted queries: the store's size in bytes and entries, the largest document it keeps, and registrations per client address per minute. */
  APQ_MAX_BYTES: int(0, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  APQ_MAX_ENTRIES: int(0, 1_000_000).default(5_000),
  APQ_MAX_DOCUMENT_BYTES: int(64, 1024 * 1024).default(16 * 1024),
  APQ_REGISTRATIONS_PER_MIN: int(0, 1_000_000).default(60),
  AUTH_JWT_SECRET: z.string().min(32, "must be at least 32 bytes (HS256 shared secret)").optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL of the identity provider's JWKS" }).optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_CLOCK_TOLERANCE_S: int(0, 300).default(30),
  AUTH_JWKS_COOLDOWN_MS: int(0, 3_600_000).default(30_000),
  AUTH_SECRET_FILE: z.string().min(1).default("./data/auth-secret"),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Calls per principal (per address when anonymous) per minute; 0 switches a limit off. */
  RATE_LIMIT_CHECKOUT_PER_MIN: int(0, 1_000_000).default(30),
  RATE_LIMIT_PAYMENT_PER_MIN: int(0, 1_000_000).default(30),
  RATE_LIMIT_APPLY_COUPON_PER_MIN: int(0, 1_000_000).default(30),
  RATE_LIMIT_UPLOAD_PER_MIN: int(0, 1_000_000).default(10),
  RATE_LIMIT_CANCEL_PER_MIN: int(0, 1_000_000).default(30),
  /** Admins (staff tools, imports, load tests) are exempt unless this is true. */
  RATE_LIMIT_ADMINS: bool.default(false),
  /**
   * OpenTelemetry traces (docs/observability.md), by the standard variables
   * only. Off unless OTEL_TRACES_EXPORTER names an exporter (the spec's default
   * is otlp; ours is off, so a clone without a collector exports nothing).
   */
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_TRACES_EXPORTER: z.enum(["otlp", "console", "none"]).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http(s) URL (the collector's OTLP/HTTP port)" }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.default("http/protobuf"),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(255).default("shop-gateway"),
  OTEL_RESOURCE_ATTRIBUTES: z.string().max(4096).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"])
    .default("parentbased_always_on"),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  /** Not the spec's `tracecontext,baggage`: baggage from the internet would be forwarded to the payment providers. */
  OTEL_PROPAGATORS: list(z.string().regex(/^(tracecontext|baggage|none)$/, "must be tracecontext, baggage or none"), 3).default(["tracecontext"]),
  OTEL_BSP_SCHEDULE_DELAY: int(0, 600_000).default(5_000),
  OTEL_BSP_EXPORT_TIMEOUT: int(0, 600_000).default(30_000),
  OTEL_BSP_MAX_QUEUE_SIZE: int(1, 1_000_000).default(2_048),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: int(1, 1_000_000).default(512),
  /**
   * The longest attribute value a span keeps (longer ones are cut; the span's
   * takes precedence over the general one). The spec's default is no limit;
   * here it is 4,096 characters, so a client's text quoted in an error (a
   * 1 MB query's parse error) cannot make each queued span that large.
   */
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: int(1, 1_000_000).optional(),
  OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: int(1, 1_000_000).optional(),
  /**
   * What a request's incoming `traceparent` becomes: `continue` (its trace goes on here)
   * or `link` (a new trace, linked to the caller's: for an edge facing clients that must
   * not choose trace ids or sampling).
   */
  TRACE_INCOMING_CONTEXT: z.enum(["continue", "link"]).default("continue"),
  /** A span per GraphQL resolver too (there are many: only while looking for one). */
  GRAPHQL_TRACE_RESOLVERS: bool.default(false),
  /** The public catalogue's HTTP caching (anonymous reads only): how long a browser or CDN may use an answer, and serve it stale while it revalidates. */
  CATALOG_CACHE_MAX_AGE_S: int(0, 86_400).default(5),
  CATALOG_CACHE_SWR_S: int(0, 86_400).default(30),
  DEFAULT_PAGE_SIZE: int(1, 200).default(50),
  MAX_PAGE_SIZE: int(1, 1000).default(200),
});

type Parsed = z.infer<typeof envSchema>;
/**
 * Development conveniences (introspection, suggestions, GraphiQL, demo
 * seeding) default to on outside production and off in it. Outside
 * production the server listens on 127.0.0.1 unless HOST says otherwise, so
 * the conveniences stay on this machine; in production on 0.0.0.0.
 */
export type Config = Readonly<
  Omit<Parsed, "HOST" | "SEED_ON_START" | "GRAPHQL_INTROSPECTION" | "GRAPHQL_FIELD_SUGGESTIONS" | "GRAPHIQL_ENABLED" | keyof FraudSimulation> & FraudSimulation & {
    HOST: string;
    SEED_ON_START: boolean;
    GRAPHQL_INTROSPECTION: boolean;
    GRAPHQL_FIELD_SUGGESTIONS: boolean;
    GRAPHIQL_ENABLED: boolean;
  }
>;
export type ConfigOverrides = Partial<Config>;

interface FraudSimulation {
  FRAUD_CHECK_LATENCY_MS: number;
  FRAUD_CHECK_JITTER_MS: number;
  FRAUD_CHECK_SLOW_RATE: number;
}

const FRAUD_PROFILES: Record<"normal" | "incident", FraudSimulation> = {
  normal: { FRAUD_CHECK_LATENCY_MS: 150, FRAUD_CHECK_JITTER_MS: 250, FRAUD_CHECK_SLOW_RATE: 0 },
  incident: { FRAUD_CHECK_LATENCY_MS: 2_000, FRAUD_CHECK_JITTER_MS: 3_000, FRAUD_CHECK_SLOW_RATE: 0.1 },
};

export class ConfigError extends Error {}

/** Settings that were renamed: set under the old name, they would be ignored without a word, so the gateway refuses to start. */
const RENAMED: Record<string, string> = {
  GRAPHQL_RESPONSE_CACHE_MAX_BYTES: "RESPONSE_CACHE_MAX_BYTES",
  GRAPHQL_RESPONSE_CACHE_MAX_ENTRIES: "RESPONSE_CACHE_MAX_ENTRIES",
  GRAPHQL_RESPONSE_CACHE_INSERTS_PER_MIN: "RESPONSE_CACHE_INSERTS_PER_MIN",
};

/** Parses the environment once; tests pass overrides instead of touching process.env. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: ConfigOverrides = {},
): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const renamed = Object.keys(present).filter((name) => Object.hasOwn(RENAMED, name));
  if (renamed.length > 0) {
    throw new ConfigError(`Renamed settings: ${renamed.map((name) => `${name} is now ${RENAMED[name]}`).join("; ")}`);
  }
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join("\n")}`);
  }
  const data = { ...parsed.data, ...overrides };
  const devDefault = data.NODE_ENV !== "production";
  if (!devDefault && !data.AUTH_JWT_SECRET && !data.AUTH_JWKS_URL) {
    throw new ConfigError(
      "Authentication is not configured: in production set AUTH_JWKS_URL (your identity provider's JWKS, see docs/auth.md) " +
        "or AUTH_JWT_SECRET (an HS256 secret of at least 32 bytes)",
    );
  }
  // An identity provider signs tokens for all its clients: without iss and aud checks, a token
  // issued to any other of its applications (with any roles) would be accepted here.
  if (!devDefault && data.AUTH_JWKS_URL && (!data.AUTH_AUDIENCE || !data.AUTH_ISSUER)) {
    throw new ConfigError(
      "AUTH_JWKS_URL is set without AUTH_AUDIENCE and AUTH_ISSUER: in production set both (this API's audience and your identity provider's issuer, see docs/auth.md), " +
        "or the gateway would accept tokens the provider issued to its other clients",
    );
  }
  return Object.freeze({
    ...data,
    HOST: data.HOST ?? (devDefault ? "127.0.0.1" : "0.0.0.0"),
    FRAUD_CHECK_LATENCY_MS: data.FRAUD_CHECK_LATENCY_MS ?? FRAUD_PROFILES[data.FRAUD_CHECK_PROFILE].FRAUD_CHECK_LATENCY_MS,
    FRAUD_CHECK_JITTER_MS: data.FRAUD_CHECK_JITTER_MS ?? FRAUD_PROFILES[data.FRAUD_CHECK_PROFILE].FRAUD_CHECK_JITTER_MS,
    FRAUD_CHECK_SLOW_RATE: data.FRAUD_CHECK_SLOW_RATE ?? FRAUD_PROFILES[data.FRAUD_CHECK_PROFILE].FRAUD_CHECK_SLOW_RATE,
    SEED_ON_START: data.SEED_ON_START ?? devDefault,
    GRAPHQL_INTROSPECTION: data.GRAPHQL_INTROSPECTION ?? devDefault,
    GRAPHQL_FIELD_SUGGESTIONS: data.GRAPHQL_FIELD_SUGGESTIONS ?? devDefault,
    GRAPHIQL_ENABLED: data.GRAPHIQL_ENABLED ?? devDefault,
  });
}
