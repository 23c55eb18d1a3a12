import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for every import; Vite would pick its
    // .mjs build for our sources, and two graphql instances refuse each other's
    // schema objects. One instance, as in production.
    alias: [{ find: /^graphql$/, replacement: fileURLToPath(new URL("./node_modules/graphql/index.js", import.meta.url)) }],
  },
  test: {
    include: ["tests/**/*.test.ts"],
    // PostgreSQL-only files run in the suite's PostgreSQL pass (TEST_POSTGRES_URL).
    exclude: process.env.TEST_POSTGRES_URL ? [] : ["tests/postgres-*.test.ts", "tests/multi-instance.test.ts"],
    // Every REST answer is checked against the OpenAPI document (helpers/contract-setup.ts).
    setupFiles: ["./tests/helpers/contract-setup.ts"],
    pool: "forks",
    // One file at a time: the latency tests (payments-isolation) measure p99 on 2 cores.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
  },
});
