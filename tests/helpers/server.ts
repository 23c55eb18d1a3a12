import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig, type Config, type ConfigOverrides } from "../../src/config.js";
import { db } from "../../src/db/index.js";
import { createLogger } from "../../src/lib/logger.js";
import { startServer } from "../../src/server.js";

export const TMP_DIR = join(process.cwd(), ".tmp");

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
  /** fetch against the server; JSON bodies are sent with the right content type. */
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
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
  const file = join(TMP_DIR, `test-${randomUUID()}.db`);
  const config = loadConfig(
    {},
    { PORT: 0, HOST: "127.0.0.1", LOG_LEVEL: "silent", DATABASE_URL: `file:${file}`, ...overrides },
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
  const request = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set("content-type", "application/json");
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
    runMaintenance: running.runMaintenance,
    runOutbox: running.runOutbox,
    logs,
    async gql(query, variables) {
      const res = await request("/graphql", { method: "POST", json: { query, variables } });
      return res.json();
    },
    async stop() {
      await running.stop();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    },
  };
}

export { db };
