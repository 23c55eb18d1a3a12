import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { createApp } from "./app.js";
import { metricsAccess } from "./ops.js";
import { closeDatabase, db, openDatabase } from "./db/index.js";
import { migrate } from "./db/migrate.js";
import { isEmpty, seedDemoData } from "./db/seed.js";
import { createLogger, type Logger } from "./lib/logger.js";
import { startMaintenance } from "./services/maintenance/index.js";
import { startBulkImportWorker } from "./services/bulk-import/index.js";
import { startOutboxWorker } from "./services/outbox/index.js";
import { endSubscriptions, startChangeNotices, stopChangeNotices } from "./services/events/index.js";
import { settleWork } from "./lib/in-flight.js";
import { attachGraphqlWs } from "./graphql/ws.js";
import { configureServices } from "./services/index.js";
import { startTracing } from "./lib/tracing-sdk.js";
import { connectionsPerAddress } from "./edge/capacity.js";

export interface RunningServer {
  server: Server;
  url: string;
  logger: Logger;
  /**
   * Stops accepting (new requests on open connections get 503 and
   * `Connection: close`), ends subscriptions, lets the work requests started
   * finish (up to SHUTDOWN_TIMEOUT_MS, even for clients that went away),
   * stops the workers at a checkpoint, then closes the database.
   */
  stop(): Promise<void>;
  /** Runs the periodic housekeeping (reservation expiry, key purge) now. */
  runMaintenance(): Promise<void>;
  /** Delivers due outbox events now; returns how many were delivered. */
  runOutbox(): Promise<number>;
}

/** Migrates, seeds an empty database, and listens: everything `npm start` does. */
export async function startServer(config: Config, logger = createLogger(config.LOG_LEVEL)): Promise<RunningServer> {
  const tracing = await startTracing(config, logger);
  if (config.MIGRATE_ON_START) {
    const applied = await migrate(config.DATABASE_URL);
    if (applied.length > 0) logger.info({ applied }, "migrations applied");
  }
  openDatabase(config, logger);
  configureServices(config);
  if (config.SEED_ON_START && (await isEmpty(db()))) {
    await seedDemoData(db());
    logger.info("empty database seeded with demo data");
  }

  const maintenance = startMaintenance(config.MAINTENANCE_INTERVAL_MS, logger);
  const bulkWorker = config.BULK_WORKER_ENABLED
    ? startBulkImportWorker({
        pollIntervalMs: config.BULK_WORKER_POLL_MS,
        leaseMs: config.BULK_JOB_LEASE_MS,
        maxAttempts: config.BULK_JOB_MAX_ATTEMPTS,
        batchSize: config.BULK_BATCH_SIZE,
        csvLimits: { maxRecordBytes: config.BULK_MAX_RECORD_BYTES, maxFields: config.BULK_MAX_FIELDS },
        logger,
      })
    : undefined;
  const outbox = startOutboxWorker({ pollMs: config.OUTBOX_POLL_MS, claimMs: config.OUTBOX_CLAIM_MS, maxAttempts: config.OUTBOX_MAX_ATTEMPTS, logger });
  // Timeouts are checked every connectionsCheckingInterval (Node's default: 30 s).
  const lifecycle = { draining: false };
  const { app, yoga, authenticator, persisted } = createApp(config, { logger, lifecycle });
  const server = createServer({ connectionsCheckingInterval: Math.min(1_000, config.HTTP_HEADERS_TIMEOUT_MS) }, app);
  const websockets = attachGraphqlWs(server, { yoga, authenticator, persisted, config, logger });
  await startChangeNotices(logger);
  // Slow clients cannot hold connections forever (slow-loris): the headers and
  // the whole request have deadlines, idle keep-alive sockets close.
  // Per-request body deadlines (shorter for JSON than for uploads) are the edge's
  // (edge/capacity.ts); Node's own request deadline is the backstop behind both.
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = Math.max(config.HTTP_REQUEST_TIMEOUT_MS, config.HTTP_UPLOAD_TIMEOUT_MS) + 5_000;
  // Below load balancers' idle timeouts (60 s on the common ones); past the cap, new connections are refused.
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  server.on("connection", connectionsPerAddress(config.HTTP_MAX_CONNECTIONS_PER_ADDRESS || Math.ceil(config.HTTP_MAX_CONNECTIONS / 2)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST;
  const url = `http://${host}:${port}`;
  logger.info({ url, metrics: metricsAccess(config), conveniences: conveniences(config) }, "listening");
  if (metricsAccess(config) === "off") logger.warn("GET /metrics is off: production without METRICS_TOKEN");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
      lifecycle.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await endSubscriptions();
      await websockets.close();
      const unfinished = await settleWork(deadline - Date.now());
      if (unfinished > 0) logger.error({ unfinished }, "shutdown deadline passed with requests still running");
      // Connections idle now are closed; one still sending an answer gets until the deadline.
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now()));
      await closed;
      clearTimeout(force);
      await maintenance.stop();
      await bulkWorker?.stop();
      await outbox.stop();
      await stopChangeNotices();
      await closeDatabase();
      // Last: the spans of everything above are exported before the process ends.
      await tracing?.shutdown();
      logger.info("stopped");
    })());

  return { server, url, logger, stop, runMaintenance: maintenance.runOnce, runOutbox: outbox.runOnce };
}

/** What the start log lists: the development conveniences that are on (production switches each on by its own setting). */
export function conveniences(config: Config): string[] {
  return [
    config.GRAPHIQL_ENABLED && "graphiql",
    config.GRAPHQL_INTROSPECTION && "introspection",
    config.GRAPHQL_FIELD_SUGGESTIONS && "field-suggestions",
    config.SEED_ON_START && "demo-seeding",
    metricsAccess(config) === "open" && "open-metrics",
    !config.AUTH_JWT_SECRET && !config.AUTH_JWKS_URL && `dev-signing-secret (${config.AUTH_SECRET_FILE})`,
  ].filter((c): c is string => typeof c === "string");
}
