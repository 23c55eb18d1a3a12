import { fileURLToPath } from "node:url";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

/**
 * Files that start processes (`npm start`, a spawned gateway, Prometheus, the
 * Prisma CLI), kill them, or put a measured load on the machine. They run one
 * at a time after the rest, each in a fresh worker, so that no other file
 * competes with them for the two cores.
 */
const SERIAL = [
  "tests/attacks/**/*.test.ts",
  "tests/bulk-import-crash.test.ts",
  "tests/client-edges.test.ts",
  "tests/lifecycle.test.ts",
  "tests/multi-instance.test.ts",
  "tests/payments-isolation.test.ts",
  "tests/postgres-migrations.test.ts",
  "tests/postgres-throwaway.test.ts",
  "tests/prisma-cli.test.ts",
  "tests/prometheus.test.ts",
  "tests/readme-examples.test.ts",
  // Its hits need a quiet database: on PostgreSQL the cache's version is the cluster's
  // snapshot, which every other file's writes move (graphql/response-cache.ts).
  "tests/response-cache.test.ts",
  "tests/shutdown.test.ts",
  "tests/streamed-compression.test.ts",
];

// PostgreSQL-only files run in the suite's PostgreSQL pass (TEST_POSTGRES_URL).
const POSTGRES_ONLY = process.env.TEST_POSTGRES_URL ? [] : ["tests/postgres-*.test.ts", "tests/multi-instance.test.ts"];

const project = (test: TestProjectInlineConfiguration["test"]): TestProjectInlineConfiguration => ({ extends: true, test });

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for every import; Vite would pick its
    // .mjs build for our sources, and two graphql instances refuse each other's
    // schema objects. One instance, as in production.
    alias: [{ find: /^graphql$/, replacement: fileURLToPath(new URL("./node_modules/graphql/index.js", import.meta.url)) }],
  },
  test: {
    // Every REST answer is checked against the OpenAPI document (helpers/contract-setup.ts).
    setupFiles: ["./tests/helpers/file-setup.ts", "./tests/helpers/contract-setup.ts"],
    pool: "forks",
    // Generous on purpose: a test's own time on a quiet machine is a third of this or less.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
    projects: [
      // The bulk: files in parallel, one worker per core, each worker importing
      // the app and Prisma once for all its files (every file opens and closes
      // its own database and server).
      project({
        name: "parallel",
        include: ["tests/**/*.test.ts"],
        exclude: [...SERIAL, ...POSTGRES_ONLY],
        isolate: false,
        fileParallelism: true,
        maxWorkers: 2,
        sequence: { groupOrder: 0 },
      }),
      project({
        name: "serial",
        include: SERIAL,
        exclude: POSTGRES_ONLY,
        fileParallelism: false,
        sequence: { groupOrder: 1 },
      }),
    ],
  },
});
