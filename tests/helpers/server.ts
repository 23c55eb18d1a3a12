import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import pg from "pg";
import { loadConfig, type Config, type ConfigOverrides } from "../../src/config.js";
import { db } from "../../src/db/index.js";
import { signToken } from "../../src/auth/sign.js";
import { createLogger } from "../../src/lib/logger.js";
import { startServer } from "../../src/server.js";
import { checkRestAnswers } from "./contract-setup.js";

/** Where tests put their files; the summary reporter removes it after a green run (helpers/summary-reporter.ts). */
export const TMP_DIR = join(process.cwd(), ".tmp", "test");

/** The HS256 secret every test server trusts; tests sign their tokens with it. */
export const TEST_AUTH_SECRET = "test-only-hs256-secret-for-the-gateway-suite";

/** The simulated fraud service answers in a millisecond unless a test sets its own latency (the defaults are seconds). */
export const FAST_FRAUD_CHECK = { FRAUD_CHECK_LATENCY_MS: 1, FRAUD_CHECK_JITTER_MS: 0, FRAUD_CHECK_SLOW_RATE: 0 };

export interface TestServer {
  url: string;
  config: Config;
  stop(): Promise<void>;
  /** One pass of the periodic housekeeping (reservation expiry, key purge). */
  runMaintenance(): Promise<void>;
  /** One outbox delivery pass. */
  runOutbox(): Promise<number>;
  /** Parsed log lines, when started with captureLogs. */
  logs: Record<string, any>[];
  /**
   * fetch against the server; JSON bodies are sent with the right content type.
   * Requests carry an admin token unless `as` names another token or "anonymous".
   */
  request(path: string, init?: RequestInit & { json?: unknown; as?: string }): Promise<Response>;
  /** A token for a customer (by user id) or, without an id, for an admin, signed with this server's secret. */
  tokenFor(userId?: number): Promise<string>;
  /** A named GraphQL operation; returns the parsed response body. */
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: GqlError[] }>;
}

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; details?: any; [key: string]: unknown };
}

/** A real server on an ephemeral port over a fresh SQLite file, migrated and seeded like `npm start`. */
export async function startTestServer(overrides: ConfigOverrides = {}, options: { captureLogs?: boolean } = {}): Promise<TestServer> {
  mkdirSync(TMP_DIR, { recursive: true });
  const database = overrides.DATABASE_URL ? { url: overrides.DATABASE_URL, drop: async () => {} } : await freshDatabase();
  const config = loadConfig(
    {},
    { PORT: 0, HOST: "127.0.0.1", LOG_LEVEL: "silent", DATABASE_URL: database.url, AUTH_JWT_SECRET: TEST_AUTH_SECRET, ...FAST_FRAUD_CHECK, ...overrides },
  );
  const logs: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).trim().split("\n")) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = options.captureLogs ? createLogger("info", sink) : createLogger(config.LOG_LEVEL);
  const running = await startServer(config, logger);
  checkRestAnswers(running.url, config);
  const tokenFor = (userId?: number) => {
    if (!config.AUTH_JWT_SECRET) throw new Error("this test server has no shared secret to sign tokens with");
    const claims = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
    return signToken(config.AUTH_JWT_SECRET, userId === undefined ? { ...claims, sub: "test-admin", roles: ["admin"] } : { ...claims, sub: String(userId) }, "2h");
  };
  const adminToken = config.AUTH_JWT_SECRET ? await tokenFor() : undefined;
  const request = (path: string, init: RequestInit & { json?: unknown; as?: string } = {}) => {
    const { json, as, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set("content-type", "application/json");
    const token = as === undefined ? adminToken : as === "anonymous" ? undefined : as;
    if (token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return fetch(`${running.url}${path}`, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
  return {
    url: running.url,
    config,
    request,
    tokenFor,
    runMaintenance: running.runMaintenance,
    runOutbox: running.runOutbox,
    logs,
    async gql(query, variables) {
      const res = await request("/graphql", { method: "POST", json: { query, variables } });
      return res.json();
    },
    async stop() {
      await running.stop();
      await database.drop();
    },
  };
}

export { db };

/**
 * A fresh, empty database for one test file: an SQLite file by default, or a
 * new PostgreSQL database when TEST_POSTGRES_URL names a server (the suite's
 * second run in CI). Dropped when the server stops.
 */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.TEST_POSTGRES_URL;
  if (!admin) {
    const file = join(TMP_DIR, `test-${randomUUID()}.db`);
    return {
      url: `file:${file}`,
      drop: async () => {
        for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
      },
    };
  }
  const name = `shop_test_${randomUUID().replaceAll("-", "")}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export const usingPostgres = Boolean(process.env.TEST_POSTGRES_URL);

/** Headers with an admin token for TEST_AUTH_SECRET: for tests that fetch a spawned server directly. */
export async function adminHeaders(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await signToken(TEST_AUTH_SECRET, { sub: "test-admin", roles: ["admin"] }, "2h")}`, ...extra };
}
